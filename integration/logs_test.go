package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Logs that pipelines can trust (SPEC 10): DINIT_JSON_STDOUT=wrap,
// DINIT_LOG_FORMAT=json, the lifecycle events, the configuration errors.
// Every line of these runs also goes through checkFormat, which in the JSON
// log format and in wrap mode parses each line strictly (checkStdoutJSON,
// checkStderrJSON).

// logsMode is one combination of the output variables.
type logsMode struct {
	name    string
	env     []string
	stdout  string // "json", "wrap" or "plain": DINIT_JSON_STDOUT
	jsonLog bool   // DINIT_LOG_FORMAT=json
	// docker: the lines are read from docker logs, which stores every line
	// as a JSON string: invalid UTF-8 in text lines comes back as U+FFFD.
	docker bool
}

var logsModes = []logsMode{
	{name: "json", stdout: "json"},
	{name: "wrap", env: []string{"DINIT_JSON_STDOUT=wrap"}, stdout: "wrap"},
	{name: "json,log=json", env: []string{"DINIT_LOG_FORMAT=json"}, stdout: "json", jsonLog: true},
	{name: "wrap,log=json", env: []string{"DINIT_JSON_STDOUT=wrap", "DINIT_LOG_FORMAT=json"}, stdout: "wrap", jsonLog: true},
	{name: "plain,log=json", env: []string{"DINIT_JSON_STDOUT=0", "DINIT_LOG_FORMAT=json"}, stdout: "plain", jsonLog: true},
}

// eachLogsMode runs f as a parallel subtest per logsMode and mode.
func eachLogsMode(t *testing.T, f func(t *testing.T, lm logsMode, m mode)) {
	for _, lm := range logsModes {
		t.Run(lm.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) { f(t, lm, m) })
		})
	}
}

// outLine is one line a service writes to stdout.
type outLine struct {
	in string // without the newline
	// obj: in is one JSON object, and this is what dinit writes of it on
	// stdout before the appended fields (U+FFFD as a character); "" when
	// in is not a JSON object.
	obj string
}

// content is what the service of a logs test writes: stdout lines (one of
// them the overlong line long), then stderr lines; the last line of each
// has no newline.
type content struct {
	stdout []outLine
	stderr []string
	long   string
}

// overlong is a line of 1.5 MiB of letters A to Z, a random sequence (any
// piece lost, doubled or out of order shows), no other line being made of
// capitals only.
func overlong(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, lineLimit+lineLimit/2)
	for i := range b {
		b[i] = 'A' + byte(r.IntN(26))
	}
	return string(b)
}

// isPiece: s is made of capitals only (a piece of the overlong line).
func isPiece(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func (c content) files() tree {
	var out []string
	for _, l := range c.stdout {
		out = append(out, l.in)
	}
	return tree{
		// Both outputs at once: their lines interleave on stderr.
		"web/run":     script("echo $$ >pid\ncat out.bin &\ncat err.bin >&2\nwait\n"),
		"web/out.bin": text(strings.Join(out, "\n")),
		"web/err.bin": text(strings.Join(c.stderr, "\n")),
	}
}

// Views: what a reader gets of one line, compared as strings. Lines of the
// text formats are themselves (normalised); a JSON object of a service on
// stdout is "obj <line>" (U+FFFD as a character); a line dinit wrapped on
// stdout is "wrap <msg, quoted>"; a service's line on stderr in the JSON log
// format is "<stream> <msg, quoted>"; consecutive pieces of the overlong
// line are one "PIECES".
const piecesView = "PIECES"

func objView(obj string) string  { return "obj " + fffd(jsonOut(obj, "web", "run")) }
func wrapView(msg string) string { return "wrap " + strconv.Quote(msg) }
func streamView(stream, msg string) string {
	return stream + " " + strconv.Quote(msg)
}

// fffd writes U+FFFD as a character where it is escaped.
func fffd(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\ufffd`, "\ufffd"), `\uFFFD`, "\ufffd")
}

// decoded is the string a JSON reader gets for the bytes s: one U+FFFD per
// byte of invalid UTF-8 (SPEC 6).
func decoded(s string) string { return string([]rune(s)) }

// expect returns the views expected: on stdout, on stderr from the
// service's stdout, on stderr from its stderr.
func (lm logsMode) expect(c content) (stdout, fromStdout, fromStderr []string) {
	text := func(l string) string { return l }
	if lm.docker {
		text = decoded
	}
	svcLine := func(line string) string { return text(svc("web", "run", line)) }
	notJSON := func(line string) string { return text(warn("web/run: not JSON stdout: %s", line)) }
	for _, l := range c.stdout {
		switch {
		case lm.stdout == "plain" && l.in == c.long:
			fromStdout = append(fromStdout, piecesView)
		case lm.stdout == "plain":
			stdout = append(stdout, svcLine(l.in))
		case l.in == c.long && lm.stdout == "wrap":
			stdout = append(stdout, piecesView)
		case l.in == c.long:
			fromStdout = append(fromStdout, piecesView)
		case l.obj != "":
			stdout = append(stdout, objView(l.obj))
		case lm.stdout == "wrap":
			stdout = append(stdout, wrapView(decoded(l.in)))
		case lm.jsonLog:
			fromStdout = append(fromStdout, streamView("stdout", decoded(l.in)))
		default:
			fromStdout = append(fromStdout, notJSON(l.in))
		}
	}
	for _, l := range c.stderr {
		if lm.jsonLog {
			fromStderr = append(fromStderr, streamView("stderr", decoded(l)))
		} else {
			fromStderr = append(fromStderr, svcLine(l))
		}
	}
	return stdout, fromStdout, fromStderr
}

// seq collects the views of one output and origin, consecutive pieces
// joined.
type seq struct {
	views  []string
	pieces [][]string
	open   bool // the last view is PIECES, and more may follow
}

func (s *seq) add(v string) { s.views, s.open = append(s.views, v), false }

func (s *seq) piece(p string) {
	if !s.open {
		s.views = append(s.views, piecesView)
		s.pieces = append(s.pieces, nil)
		s.open = true
	}
	s.pieces[len(s.pieces)-1] = append(s.pieces[len(s.pieces)-1], p)
}

// logViews are the views of the outputs of a run, for the service web.
type logViews struct {
	stdout     seq      // on stdout
	fromStdout seq      // on stderr, from web's stdout
	fromStderr seq      // on stderr, from web's stderr
	ours       []string // our messages, in text form (textForm)
	others     []string // lines of other services, as they are
	// misplaced: pieces of the long line on stderr before the warning
	// about it.
	misplaced []string
}

// viewsOf reads the outputs of a logs test (normalised lines).
func (lm logsMode) viewsOf(out, errs []string) logViews {
	var v logViews
	for _, l := range out {
		if lm.stdout == "plain" {
			if strings.HasPrefix(l, "TS web/run: ") {
				v.stdout.add(l)
			} else {
				v.others = append(v.others, l)
			}
			continue
		}
		o, err := parseObject(l) // checkFormat checks it strictly
		if err != nil {
			v.stdout.add("unparsable " + l)
			continue
		}
		if svc, _ := o.str("service"); svc != "web" {
			v.others = append(v.others, l)
			continue
		}
		msg, _ := o.str("msg")
		switch {
		case !slices.Equal(o.keys, []string{"msg", "service", "stage", "logged"}):
			v.stdout.add("obj " + fffd(l)) // as objView
		case isPiece(msg):
			v.stdout.piece(msg)
		default:
			v.stdout.add(wrapView(msg))
		}
	}
	warned := false
	piece := func(to *seq, p string) {
		if !warned {
			v.misplaced = append(v.misplaced, "a piece of the long line before the warning about it")
		}
		to.piece(p)
	}
	for _, l := range errs {
		if lm.jsonLog {
			if strings.HasPrefix(l, `{"logged":`) { // parsed by checkFormat
				t := textForm(l)
				warned = warned || strings.Contains(t, "line longer than")
				v.ours = append(v.ours, t)
				continue
			}
			o, err := parseObject(l) // checkFormat checks it strictly
			if err != nil || len(o.keys) == 0 {
				v.fromStderr.add("unparsable " + l)
				continue
			}
			if svc, _ := o.str("service"); svc != "web" {
				v.others = append(v.others, l)
				continue
			}
			msg, _ := o.str("msg")
			stream, _ := o.str("stream")
			to := &v.fromStderr
			if stream == "stdout" {
				to = &v.fromStdout
			}
			if isPiece(msg) {
				piece(to, msg)
			} else {
				to.add(streamView(stream, msg))
			}
			continue
		}
		switch rest, isWeb := strings.CutPrefix(l, "TS web/run: "); {
		case strings.HasPrefix(l, "TS dinit: warning: web/run: not JSON stdout: "):
			v.fromStdout.add(l)
		case strings.HasPrefix(l, "TS dinit: "):
			warned = warned || strings.Contains(l, "line longer than")
			v.ours = append(v.ours, l)
		case isWeb && isPiece(rest):
			piece(&v.fromStdout, rest)
		case isWeb:
			v.fromStderr.add(l)
		default:
			v.others = append(v.others, l)
		}
	}
	return v
}

// check compares the views with what lm makes of c.
func (v logViews) check(t *testing.T, lm logsMode, c content) {
	t.Helper()
	wantOut, wantFromStdout, wantFromStderr := lm.expect(c)
	expectSeq(t, "stdout", v.stdout.views, wantOut)
	expectSeq(t, "stderr: lines of the service's stdout", v.fromStdout.views, wantFromStdout)
	expectSeq(t, "stderr: lines of the service's stderr", v.fromStderr.views, wantFromStderr)
	expectPiecesOf(t, "stdout", v.stdout, c.long)
	expectPiecesOf(t, "stderr", v.fromStdout, c.long)
	for _, m := range slices.Compact(v.misplaced) {
		t.Error(m)
	}
}

// expectSeq checks got == want in order; on a difference it shows where,
// not the whole of a long list.
func expectSeq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo, hi := max(0, i-3), min(max(len(got), len(want)), i+5)
	var g, w []string
	if lo < len(got) {
		g = got[lo:min(hi, len(got))]
	}
	if lo < len(want) {
		w = want[lo:min(hi, len(want))]
	}
	t.Errorf("%s: %d lines, want %d; first difference at line %d (lines %d on):\n%s",
		what, len(got), len(want), i+1, lo+1, diffLines(g, w))
}

// expectPiecesOf checks that each group of pieces joins into long, in
// pieces of at most the limit.
func expectPiecesOf(t *testing.T, what string, s seq, long string) {
	t.Helper()
	for _, group := range s.pieces {
		var sizes []int
		for _, p := range group {
			sizes = append(sizes, len(p))
			if len(p) > lineLimit {
				t.Errorf("%s: a piece of %d bytes, more than the limit %d", what, len(p), lineLimit)
			}
		}
		if joined := strings.Join(group, ""); joined != long {
			t.Errorf("%s: the pieces (sizes %v) join into %d bytes that are not the long line (%d bytes)", what, sizes, len(joined), len(long))
		}
		if len(group) < 2 {
			t.Errorf("%s: the long line in %d piece(s)", what, len(group))
		}
	}
}

// runLogs runs content in lm and mode m at the default level, and checks
// every line: the views in each output, by origin, in order; the pieces;
// our messages (the warning about the long line and the shutdown's
// reason).
func runLogs(t *testing.T, lm logsMode, m mode, c content) {
	d := start(t, setup{mode: m, env: lm.env, plainStdout: lm.stdout == "plain", files: c.files()})
	d.expectExit(0)
	v := lm.viewsOf(d.outLines(), d.errLines())
	v.check(t, lm, c)
	d.expectLines("lines of other sources", v.others, nil)
	d.expectSameLines("stderr: our messages", v.ours, []string{
		warn("web/run: line longer than %d bytes, emitting it in pieces", lineLimit),
		d.reasonLine(),
	})
}

// formatCases: every kind of line, in every combination of the variables.
// (A function: package variables are also made when the test binary runs as
// a helper program.)
func formatCases() content {
	long := overlong(1)
	return content{
		stdout: []outLine{
			{in: `{"id":1,"text":"hello"}`, obj: `{"id":1,"text":"hello"}`},
			{in: `{}`, obj: `{}`},
			{in: `{"nested":{"a":[1,2,{"b":"}"}]},"esc":"q\"b\\s\/"}`, obj: `{"nested":{"a":[1,2,{"b":"}"}]},"esc":"q\"b\\s\/"}`},
			{in: `  {"spaced":true}  `, obj: `{"spaced":true}`},
			{in: `plain text line`},
			{in: "bad \xff\xfe utf8 \xe2\x98 cut"},
			{in: "{\"bad\":\"x\xffy\"}", obj: "{\"bad\":\"x\ufffdy\"}"},
			{in: "ctl \x01\x1b[31mred\x1b[0m \x7f tab\there"},
			{in: "{\"ctl\":\"a\x01b\"}"},
			{in: "sep \u2028 and \u2029 <&> \"quoted\" back\\slash"},
			{in: `{"lone":"\ud800"}`, obj: `{"lone":"\ufffd"}`},
			{in: `{"low":"\udc00x","rev":"\udc00\ud800","end":"\ud800"}`, obj: `{"low":"\ufffdx","rev":"\ufffd\ufffd","end":"\ufffd"}`},
			{in: `{"pair":"\ud83d\ude00","upper":"\uD800\uDC00","esc":"\\ud800"}`, obj: `{"pair":"\ud83d\ude00","upper":"\uD800\uDC00","esc":"\\ud800"}`},
			{in: `plain with \ud800 escape`},
			{in: `not {"json"}`},
			{in: `[1,2,3]`},
			{in: `"just a string"`},
			{in: long},
			{in: `{"after":"long"}`, obj: `{"after":"long"}`},
			{in: `last words`}, // no newline
		},
		stderr: []string{
			"err plain",
			"err bad \xff utf8",
			"err ctl \x01\x1b x",
			`{"json":"on stderr"}`,
			`err \ud800 literal`,
			"err last", // no newline
		},
		long: long,
	}
}

// TestLogsFormats: in each combination of DINIT_JSON_STDOUT and
// DINIT_LOG_FORMAT, a service writes JSON objects, plain text, invalid
// UTF-8, control characters, lone surrogate escapes, an overlong line,
// stderr lines, and last lines without a newline. Every line is where it
// belongs, exactly (decoded where it is JSON), in order per origin; the
// pieces of the long line join into it; and every line passes the strict
// checks of checkFormat (JSON objects a strict parser takes, with their
// fields).
func TestLogsFormats(t *testing.T) {
	t.Parallel()
	c := formatCases()
	eachLogsMode(t, func(t *testing.T, lm logsMode, m mode) { runLogs(t, lm, m, c) })
}

// bulkContent: 20000 stdout lines of five kinds (objects, plain text,
// invalid UTF-8, objects with non-ASCII escapes, control characters), the
// overlong line among them, and 5000 stderr lines, every line unique.
func bulkContent() content {
	c := content{long: overlong(2)}
	for i := range 20000 {
		if i == 10000 {
			c.stdout = append(c.stdout, outLine{in: c.long})
		}
		var l outLine
		switch i % 5 {
		case 0:
			l.in = fmt.Sprintf(`{"i":%d,"k":"obj"}`, i)
			l.obj = l.in
		case 1:
			l.in = fmt.Sprintf("plain line %d", i)
		case 2:
			l.in = fmt.Sprintf("bad utf8 %d \xff\xc3(", i)
		case 3:
			l.in = fmt.Sprintf(`{"i":%d,"s":"\ud83d\ude00 é"}`, i)
			l.obj = l.in
		case 4:
			l.in = fmt.Sprintf("ctl %d \x01\x1f\x7f", i)
		}
		c.stdout = append(c.stdout, l)
	}
	c.stdout = append(c.stdout, outLine{in: "final line"})
	for i := range 5000 {
		if i%7 == 0 {
			c.stderr = append(c.stderr, fmt.Sprintf("err %d \xff", i))
		} else {
			c.stderr = append(c.stderr, fmt.Sprintf("err %d", i))
		}
	}
	return c
}

// TestLogsNothingDropped: 20001 stdout lines and 5000 stderr lines,
// written at once, in each combination of the variables: every line comes
// out once, in order per origin, none lost or doubled; the pieces of the
// overlong line join into it.
func TestLogsNothingDropped(t *testing.T) {
	t.Parallel()
	c := bulkContent()
	eachLogsMode(t, func(t *testing.T, lm logsMode, m mode) {
		runLogs(t, lm, m, c) // every line, exactly, in order per origin
		// The count, said plainly: lines out (the long line's pieces as
		// one) are the lines written.
		wantOut, wantFromStdout, wantFromStderr := lm.expect(c)
		if n, want := len(wantOut)+len(wantFromStdout)+len(wantFromStderr), len(c.stdout)+len(c.stderr); n != want {
			t.Fatalf("bad test: %d lines expected of %d written", n, want)
		}
		if !t.Failed() {
			t.Logf("%d lines written: %d came out on stdout, %d on stderr, as written", len(c.stdout)+len(c.stderr),
				len(wantOut), len(wantFromStdout)+len(wantFromStderr))
		}
	})
}

// The expected lines of our messages in the JSON log format.

// jsonMsg is one of our messages in the JSON log format, normalised: label
// "web/run" gives service and stage ("" gives neither), event "" gives
// none, and fields are key, value pairs (int or string).
func jsonMsg(level, msg, label, event string, fields ...any) string {
	var b bytes.Buffer
	str := func(s string) {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		b.Truncate(b.Len() - 1)
	}
	b.WriteString(`{"logged":"TS","level":"` + level + `","msg":`)
	str(msg)
	if label != "" {
		i := strings.LastIndexByte(label, '/')
		b.WriteString(`,"service":`)
		str(label[:i])
		b.WriteString(`,"stage":`)
		str(label[i+1:])
	}
	if event != "" {
		b.WriteString(`,"event":"` + event + `"`)
	}
	for i := 0; i+1 < len(fields); i += 2 {
		b.WriteString(`,"` + fields[i].(string) + `":`)
		switch v := fields[i+1].(type) {
		case int:
			b.WriteString(strconv.Itoa(v))
		case string:
			str(v)
		}
	}
	b.WriteByte('}')
	return b.String()
}

func jInfo(msg, label, event string, fields ...any) string {
	return jsonMsg("info", msg, label, event, fields...)
}
func jWarn(msg, label, event string, fields ...any) string {
	return jsonMsg("warning", msg, label, event, fields...)
}

// jSvc is a service's stderr line in the JSON log format.
func jSvc(label, msg string) string {
	i := strings.LastIndexByte(label, '/')
	m, _ := json.Marshal(msg)
	return fmt.Sprintf(`{"msg":%s,"service":"%s","stage":"%s","logged":"TS","stream":"stderr"}`, m, label[:i], label[i+1:])
}

// jStarted are the lines of a program's start.
func jStarted(label string, pid int) []string {
	return []string{
		jInfo(label+": starting", label, "starting"),
		jInfo(fmt.Sprintf("%s: running with PID %d", label, pid), label, "started", "pid", pid),
	}
}

// jStopped are the lines of a run program stopped with SIGTERM that dies
// of it.
func jStopped(label string, pid int) []string {
	return []string{
		jInfo(label+": terminating", label, "terminating", "pid", pid),
		jInfo(fmt.Sprintf("%s: sending SIGTERM to PID %d", label, pid), label, "", "pid", pid, "signal", 15),
		jInfo(fmt.Sprintf("%s: PID %d finished with signal 15", label, pid), label, "exited", "pid", pid, "signal", 15),
	}
}

// jExiting is dinit's last line.
func jExiting(code int) string {
	if code != 0 {
		return jWarn(fmt.Sprintf("dinit exiting with status %d", code), "", "exiting", "status", code)
	}
	return jInfo("dinit exiting with status 0", "", "exiting", "status", 0)
}

// jPreamble is jsonMsg's form of preamble.
func (d *instance) jPreamble() []string {
	if d.mode != subreaper {
		return nil
	}
	return []string{jInfo(fmt.Sprintf("not running as a PID 1, but PID %d, registering as a process subreaper", d.cmd.Process.Pid), "", "")}
}

// jPidOf waits for the started event of label and returns its PID.
func (d *instance) jPidOf(label string) int {
	d.t.Helper()
	m := d.waitStderr(`^\{"logged":"TS","level":"info","msg":"` + regexp.QuoteMeta(label) + `: running with PID (\d+)"`)
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitJSON waits for one of our messages in the JSON log format whose msg
// is msg.
func (d *instance) waitJSON(msg string) {
	d.t.Helper()
	d.waitStderr(`^\{"logged":"TS","level":"\w+","msg":"` + regexp.QuoteMeta(msg) + `"`)
}

// ourAndTheirs splits stderr lines of the JSON log format into ours and the
// services'.
func ourAndTheirs(lines []string) (ours, theirs []string) {
	return splitBySource(lines, func(l string) bool { return strings.HasPrefix(l, `{"logged":`) })
}

// accountingOf returns the accounting lines among stderr lines (either
// format), in order.
func accountingOf(lines []string) []string {
	var out []string
	for _, l := range lines {
		if accountingRe.MatchString(textForm(l)) {
			out = append(out, l)
		}
	}
	return out
}

// TestLogEvents asserts the events of whole runs in the JSON log format at
// info level, line for line: each event with its attribution and fields,
// the accounting of each program that wrote, the services' lines.
func TestLogEvents(t *testing.T) {
	t.Parallel()
	env := []string{"DINIT_LOG_FORMAT=json", "DINIT_LOG_LEVEL=info"}
	waitGo := "while [ ! -e go ]; do sleep 0.05; done\n"

	// Three services: db runs, off disables itself (exit 115), web fails
	// with status 3, which stops db and gives dinit's status 3.
	t.Run("failure", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: env, files: tree{
				"db/run":  script("exec sleep 1000\n"),
				"off/run": script(waitGo + "exit 115\n"),
				"web/run": script(`echo '{"web":"up"}'` + "\necho 'web says bye' >&2\n" + waitGo + "exit 3\n"),
			}})
			db, off, web := d.jPidOf("db/run"), d.jPidOf("off/run"), d.jPidOf("web/run")
			touchIn(t, d, "off/go")
			d.waitJSON(fmt.Sprintf("off/run: PID %d finished and disabled itself", off))
			touchIn(t, d, "web/go")
			d.expectExit(3)
			reason := fmt.Sprintf("web/run: PID %d finished with status 3", web)
			want := d.jPreamble()
			want = append(want, jStarted("db/run", db)...)
			want = append(want, jStarted("off/run", off)...)
			want = append(want, jStarted("web/run", web)...)
			want = append(want,
				jInfo(fmt.Sprintf("off/run: PID %d finished and disabled itself", off), "off/run", "disabled", "pid", off),
				jInfo(reason, "web/run", "exited", "pid", web, "status", 3),
				jWarn("shutting down: "+reason, "", "shutdown", "reason", reason),
			)
			want = append(want, jStopped("db/run", db)...)
			want = append(want, jExiting(3))
			ours, theirs := ourAndTheirs(d.errLines())
			d.expectLines("stderr: our messages", ours, want)
			d.expectLines("stderr: the services' lines", theirs, []string{jSvc("web/run", "web says bye")})
			d.expectLines("stderr: accounting", accountingOf(d.allErrLines()), []string{
				jInfo("web/run: relayed 1 line (13 bytes) on stdout, 1 on stderr", "web/run", "",
					"stdout_lines", 1, "stdout_bytes", 13, "stderr_lines", 1, "stderr_bytes", 13, "not_json", 0, "split", 0),
			})
			d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"web":"up"}`, "web", "run")})
		})
	})

	// SIGALRM is ignored, SIGHUP forwarded, SIGTERM stops both services;
	// dinit exits 0.
	t.Run("signals", func(t *testing.T) {
		t.Parallel()
		svc := func(name string) file {
			return script(fmt.Sprintf(`trap 'echo "{\"hup\":\"%s\"}"' HUP`+"\n", name) + ready(name) + loop)
		}
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: env, files: tree{"a/run": svc("a"), "b/run": svc("b")}})
			a, b := d.jPidOf("a/run"), d.jPidOf("b/run")
			d.waitReady("a")
			d.waitReady("b")
			d.signal(syscall.SIGALRM)
			d.waitJSON("got signal 14, ignoring it")
			d.signal(syscall.SIGHUP)
			d.waitJSON("got signal 1, forwarding it to running services")
			d.waitStdout(`^\{"hup":"a"`)
			d.waitStdout(`^\{"hup":"b"`)
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
			signals := []string{
				jInfo("got signal 14, ignoring it", "", "signal", "signal", 14),
				jInfo("got signal 1, forwarding it to running services", "", "forwarded", "signal", 1),
				jInfo("got signal 15, terminating services", "", "signal", "signal", 15),
				jWarn("shutting down: got signal 15", "", "shutdown", "reason", "got signal 15"),
			}
			want := d.jPreamble()
			want = append(want, jStarted("a/run", a)...)
			want = append(want, jStarted("b/run", b)...)
			want = append(want, signals...)
			want = append(want, jStopped("a/run", a)...)
			want = append(want, jStopped("b/run", b)...)
			want = append(want, jExiting(0))
			ours, theirs := ourAndTheirs(d.errLines())
			d.expectSameLines("stderr: our messages", ours, want)
			// a and b end in either order; all else is in order.
			d.expectInOrder("stderr: our messages", ours, slices.Concat(d.jPreamble(), jStarted("a/run", a),
				jStarted("b/run", b), signals, jStopped("a/run", a)[:2], jStopped("b/run", b)[:2])...)
			d.expectInOrder("stderr: our messages", ours, jStopped("a/run", a)[2], jExiting(0))
			d.expectInOrder("stderr: our messages", ours, jStopped("b/run", b)[2], jExiting(0))
			d.expectLines("stderr: the services' lines", theirs, nil)
			d.expectSameLines("stderr: accounting", accountingOf(d.allErrLines()), []string{
				jInfo("a/run: relayed 2 lines (26 bytes) on stdout, 0 on stderr", "a/run", "",
					"stdout_lines", 2, "stdout_bytes", 26, "stderr_lines", 0, "stderr_bytes", 0, "not_json", 0, "split", 0),
				jInfo("b/run: relayed 2 lines (26 bytes) on stdout, 0 on stderr", "b/run", "",
					"stdout_lines", 2, "stdout_bytes", 26, "stderr_lines", 0, "stderr_bytes", 0, "not_json", 0, "split", 0),
			})
			d.expectSameLines("stdout", d.outLines(), []string{
				readyOut("a"), readyOut("b"), jsonOut(`{"hup":"a"}`, "a", "run"), jsonOut(`{"hup":"b"}`, "b", "run"),
			})
		})
	})

	// A reparented process (terminate policy) that ignores SIGTERM: the
	// reparented, terminating, kill and exited events of sleep/<pid>.
	t.Run("reparented", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: append(slices.Clone(env), "DINIT_KILL_TIMEOUT=1"), files: tree{
				"web/run": script(orphan("o", `trap "" TERM;`, "sleep 100") + "exec sleep 1000\n"),
			}})
			web, o := d.jPidOf("web/run"), d.orphanPID("o")
			label := fmt.Sprintf("sleep/%d", o)
			d.waitJSON(fmt.Sprintf("%s: PID %d finished with signal 9", label, o))
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
			want := d.jPreamble()
			want = append(want, jStarted("web/run", web)...)
			want = append(want,
				jWarn(fmt.Sprintf("%s: terminating reparented child process with PID %d: sleep 100", label, o), label, "reparented", "pid", o, "policy", "terminate"),
				jInfo(fmt.Sprintf("%s: sending SIGTERM to PID %d", label, o), label, "terminating", "pid", o, "signal", 15),
				jInfo(fmt.Sprintf("%s: sending SIGKILL to PID %d", label, o), label, "kill", "pid", o, "signal", 9),
				jInfo(fmt.Sprintf("%s: PID %d finished with signal 9", label, o), label, "exited", "pid", o, "signal", 9),
				jInfo("got signal 15, terminating services", "", "signal", "signal", 15),
				jWarn("shutting down: got signal 15", "", "shutdown", "reason", "got signal 15"),
			)
			want = append(want, jStopped("web/run", web)...)
			want = append(want, jExiting(0))
			ours, theirs := ourAndTheirs(d.errLines())
			d.expectLines("stderr: our messages", ours, want)
			d.expectLines("stderr: the services' lines", theirs, nil)
			n := len(fmt.Sprintf(`{"orphan":"o","pid":%d}`, o)) + 1
			d.expectLines("stderr: accounting", accountingOf(d.allErrLines()), []string{
				jInfo(fmt.Sprintf("web/run: relayed 1 line (%d bytes) on stdout, 0 on stderr", n), "web/run", "",
					"stdout_lines", 1, "stdout_bytes", n, "stderr_lines", 0, "stderr_bytes", 0, "not_json", 0, "split", 0),
			})
		})
	})

	// At the default level, a failure says why the container stopped and
	// with what status, in JSON too: the only two lines of ours.
	t.Run("default level", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: []string{"DINIT_LOG_FORMAT=json"}, files: tree{
				"db/run":  script("exec sleep 1000\n"),
				"web/run": script("echo $$ >pid\necho 'web fails' >&2\nexit 2\n"),
			}})
			d.expectExit(3)
			reason := fmt.Sprintf("web/run: PID %d finished with status 2", d.pidFile("web/pid"))
			ours, theirs := ourAndTheirs(d.allErrLines())
			d.expectLines("stderr: our messages", ours, []string{
				jWarn("shutting down: "+reason, "", "shutdown", "reason", reason),
				jExiting(3),
			})
			d.expectLines("stderr: the services' lines", theirs, []string{jSvc("web/run", "web fails")})
		})
	})
}

func touchIn(t *testing.T, d *instance, rel string) {
	t.Helper()
	if err := touch(d.dir + "/" + rel); err != nil {
		t.Fatal(err)
	}
}

// TestLogFormatJSONAttribution: in the JSON log format a message about a
// program carries its service and stage, as every message that names one
// (SPEC 10: "the attribution ... where the message has them"): here the
// warning about an overlong line.
func TestLogFormatJSONAttribution(t *testing.T) {
	t.Parallel()
	d := start(t, setup{mode: subreaper, env: []string{"DINIT_LOG_FORMAT=json"}, files: tree{
		"web/run":      script("echo $$ >pid\ncat long.bin\n"),
		"web/long.bin": text(strings.Repeat("x", lineLimit+1) + "\n"),
	}})
	d.expectExit(0)
	reason := fmt.Sprintf("web/run: PID %d finished with status 0", d.pidFile("web/pid"))
	ours, _ := ourAndTheirs(d.errLines())
	d.expectSameLines("stderr: our messages", ours, []string{
		jWarn(fmt.Sprintf("web/run: line longer than %d bytes, emitting it in pieces", lineLimit), "web/run", ""),
		jWarn("shutting down: "+reason, "", "shutdown", "reason", reason),
	})
}

// TestLogsConfigErrors: a bad DINIT_JSON_STDOUT or DINIT_LOG_FORMAT is
// refused with one error line and exit 1, before anything starts; the
// format is read first, so the other variables' errors come in it.
func TestLogsConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  []string
		line string
	}{
		{[]string{"DINIT_JSON_STDOUT=2"},
			`TS dinit: error: invalid DINIT_JSON_STDOUT value "2": want one of 1, true, yes, on, 0, false, no, off, wrap`},
		{[]string{"DINIT_JSON_STDOUT=On"},
			`TS dinit: error: invalid DINIT_JSON_STDOUT value "On": want one of 1, true, yes, on, 0, false, no, off, wrap`},
		{[]string{"DINIT_LOG_FORMAT=xml"},
			`TS dinit: error: invalid DINIT_LOG_FORMAT value "xml": want one of text, json`},
		{[]string{"DINIT_LOG_FORMAT=JSON"},
			`TS dinit: error: invalid DINIT_LOG_FORMAT value "JSON": want one of text, json`},
		{[]string{"DINIT_LOG_FORMAT=xml", "DINIT_LOG_LEVEL=loud"},
			`TS dinit: error: invalid DINIT_LOG_FORMAT value "xml": want one of text, json`},
		{[]string{"DINIT_LOG_FORMAT=json", "DINIT_LOG_LEVEL=loud"},
			`{"logged":"TS","level":"error","msg":"invalid DINIT_LOG_LEVEL value \"loud\": want one of none, error, warn, info, debug"}`},
		{[]string{"DINIT_LOG_FORMAT=json", "DINIT_JSON_STDOUT=2"},
			`{"logged":"TS","level":"error","msg":"invalid DINIT_JSON_STDOUT value \"2\": want one of 1, true, yes, on, 0, false, no, off, wrap"}`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.env, ","), func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				env := c.env
				if !slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, "DINIT_LOG_LEVEL=") }) {
					env = append(slices.Clone(env), "DINIT_LOG_LEVEL=info")
				}
				d := start(t, setup{mode: m, env: env, files: markerService})
				d.expectExit(1)
				d.expectLines("stderr", d.allErrLines(), []string{c.line})
				d.expectLines("stdout", d.outLines(), nil)
				if markerCreated(d) {
					t.Errorf("a service ran (its marker file exists)")
				}
			})
		})
	}
}

// TestLogsVariableValues: every accepted spelling of DINIT_JSON_STDOUT and
// DINIT_LOG_FORMAT does what it names.
func TestLogsVariableValues(t *testing.T) {
	t.Parallel()
	files := tree{"web/run": script("echo $$ >pid\necho '{\"a\":1}'\necho 'not json'\n")}
	cases := []struct {
		env   string
		plain bool
		wrap  bool
		json  bool
	}{
		{env: "DINIT_JSON_STDOUT=1"}, {env: "DINIT_JSON_STDOUT=true"}, {env: "DINIT_JSON_STDOUT=yes"},
		{env: "DINIT_JSON_STDOUT=on"}, {env: "DINIT_JSON_STDOUT="},
		{env: "DINIT_JSON_STDOUT=0", plain: true}, {env: "DINIT_JSON_STDOUT=false", plain: true},
		{env: "DINIT_JSON_STDOUT=no", plain: true}, {env: "DINIT_JSON_STDOUT=off", plain: true},
		{env: "DINIT_JSON_STDOUT=wrap", wrap: true},
		{env: "DINIT_LOG_FORMAT=text"}, {env: "DINIT_LOG_FORMAT="}, {env: "DINIT_LOG_FORMAT=json", json: true},
	}
	for _, c := range cases {
		t.Run(c.env, func(t *testing.T) {
			t.Parallel()
			d := start(t, setup{mode: subreaper, env: []string{c.env}, plainStdout: c.plain, files: files})
			d.expectExit(0)
			reason := fmt.Sprintf("web/run: PID %d finished with status 0", d.pidFile("web/pid"))
			var wantOut, wantErr []string
			switch {
			case c.plain:
				wantOut = []string{svc("web", "run", `{"a":1}`), svc("web", "run", "not json")}
				wantErr = []string{warn("shutting down: %s", reason)}
			case c.wrap:
				wantOut = []string{jsonOut(`{"a":1}`, "web", "run"), jsonOut(`{"msg":"not json"}`, "web", "run")}
				wantErr = []string{warn("shutting down: %s", reason)}
			case c.json:
				wantOut = []string{jsonOut(`{"a":1}`, "web", "run")}
				wantErr = []string{
					`{"msg":"not json","service":"web","stage":"run","logged":"TS","stream":"stdout"}`,
					jWarn("shutting down: "+reason, "", "shutdown", "reason", reason),
				}
			default:
				wantOut = []string{jsonOut(`{"a":1}`, "web", "run")}
				wantErr = []string{warn("web/run: not JSON stdout: not json"), warn("shutting down: %s", reason)}
			}
			d.expectLines("stdout", d.outLines(), wantOut)
			// The reason may come before the last line: run's end and its
			// output race.
			d.expectSameLines("stderr", d.allErrLines(), wantErr)
		})
	}
}

// TestStrictJSONChecker tests the harness's checker of JSON lines (no dinit
// run): what it must take and what it must refuse, so that the strict
// checks of checkFormat are not vacuous.
func TestStrictJSONChecker(t *testing.T) {
	t.Parallel()
	const ts = "2026-11-29T10:00:00.000Z"
	good := []struct{ stream, line string }{
		{"stdout", `{"a":"\ud83d\ude00","b":"\\ud800","service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stdout", `{"service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"web/run: running with PID 12","service":"web","stage":"run","event":"started","pid":12}`},
		{"stderr", `{"logged":"` + ts + `","level":"warning","msg":"shutting down: got signal 15","event":"shutdown","reason":"got signal 15"}`},
		{"stderr", `{"logged":"` + ts + `","level":"error","msg":"invalid x"}`},
		{"stderr", `{"msg":"a \\ud800 b","service":"web","stage":"run","logged":"` + ts + `","stream":"stderr"}`},
	}
	bad := []struct{ stream, line string }{
		{"stdout", `{"a":"\ud800","service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stdout", `{"a":"\udc00\ud800","service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stdout", `{"a":"x` + "\xff" + `","service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stdout", `{"service":"web","logged":"` + ts + `","stage":"run"}`},
		{"stdout", `{"service":1,"stage":"run","logged":"` + ts + `"}`},
		{"stdout", `{"service":"web","stage":"run","logged":"` + ts + `"} `},
		{"stdout", `not json`},
		{"stderr", ts + ` dinit: info: text`},
		{"stderr", `{"level":"info","logged":"` + ts + `","msg":"x"}`},
		{"stderr", `{"logged":"` + ts + `","level":"loud","msg":"x"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","event":"started","service":"web"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","event":"born"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","pid":"12"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","pid":1.5}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","pid":1,"pid":2}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","color":"red"}`},
		{"stderr", `{"logged":"` + ts + `","level":"info","msg":"x","stage":"run"}`},
		{"stderr", `{"msg":"x","service":"web","stage":"run","logged":"` + ts + `"}`},
		{"stderr", `{"msg":"x","service":"web","stage":"run","logged":"` + ts + `","stream":"stdin"}`},
		{"stderr", `{"msg":"\udfff","service":"web","stage":"run","logged":"` + ts + `","stream":"stderr"}`},
	}
	check := func(stream, line string) error {
		if stream == "stdout" {
			_, err := checkStdoutJSON(line)
			return err
		}
		_, err := checkStderrJSON(line)
		return err
	}
	for _, c := range good {
		if err := check(c.stream, c.line); err != nil {
			t.Errorf("%s line %s refused: %v", c.stream, c.line, err)
		}
	}
	for _, c := range bad {
		if err := check(c.stream, c.line); err == nil {
			t.Errorf("%s line %q taken", c.stream, c.line)
		}
	}
}
