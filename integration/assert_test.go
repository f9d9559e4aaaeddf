package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// tsRe matches dinit's timestamps (UTC, milliseconds).
var tsRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// normalize replaces every timestamp with TS, as tsRe.ReplaceAllString
// would, but by hand: a regexp over megabytes of output (the long-line
// tests) takes seconds under -race.
func normalize(s string) string {
	var b strings.Builder
	done := 0 // s[:done] is in b
	for i := 0; ; {
		j := strings.IndexByte(s[i:], 'Z')
		if j < 0 {
			break
		}
		z := i + j
		if z-23 >= done && isTimestampString(s[z-23:z+1]) {
			if done == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done : z-23])
			b.WriteString("TS")
			done = z + 1
		}
		i = z + 1
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// isTimestampString: s is one timestamp of ours, as tsRe matches it.
func isTimestampString(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd.dddZ"
	if len(s) != len(layout) {
		return false
	}
	for i := range len(layout) {
		if layout[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != layout[i] {
			return false
		}
	}
	return true
}

// normalizeLine is normalize for one line, fast for the common case of a
// leading timestamp and no other.
func normalizeLine(b []byte) string {
	if len(b) >= 24 && isTimestamp(b[:24]) {
		b = append([]byte("TS"), b[24:]...)
	}
	if bytes.IndexByte(b, 'Z') < 0 {
		return string(b)
	}
	return normalize(string(b))
}

// splitLines splits on "\n"; a final "\n" does not start another line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// errLines and outLines are dinit's stderr and stdout, normalised. The
// accounting lines (`web/run: relayed ...`) are taken out of errLines, after
// a check that each comes after its program's end: where they fall among
// other programs' lines is a race, and the tests of accounting
// (accounting_test.go) assert them exactly from allErrLines.
func (d *instance) errLines() []string {
	d.t.Helper()
	return withoutAccounting(d.t, d.allErrLines())
}
func (d *instance) allErrLines() []string { return splitLines(normalize(d.stderr.String())) }
func (d *instance) outLines() []string    { return splitLines(normalize(d.stdout.String())) }

// accountingRe matches an accounting line of ours (normalised text form).
var accountingRe = regexp.MustCompile(`^TS dinit: info: (.+): relayed \d+ lines? \(\d+ bytes\) on std(out|err)(, \d+ on stderr)?(; \d+ not JSON)?(; \d+ split for length)?$`)

// withoutAccounting returns lines without the accounting lines, and fails
// the test for one that does not follow the end of its program. Lines of
// the JSON log format are recognised by their text (see textForm).
func withoutAccounting(t testing.TB, lines []string) []string {
	t.Helper()
	var kept []string
	for i, l := range lines {
		m := accountingRe.FindStringSubmatch(textForm(l))
		if m == nil {
			kept = append(kept, l)
			continue
		}
		end := "TS dinit: info: " + m[1] + ": PID "
		if !slices.ContainsFunc(lines[:i], func(e string) bool {
			e = textForm(e)
			return strings.HasPrefix(e, end) && strings.Contains(e, " finished ")
		}) {
			t.Errorf("accounting line before the end of its program: %q", l)
		}
	}
	return kept
}

// ourJSONRe matches the start of one of our messages in the JSON log
// format, normalised or not (docker's normalisation keeps it).
var ourJSONRe = regexp.MustCompile(`^\{"logged":"[^"]*","level":"(debug|info|warning|error)","msg":("(?:[^"\\]|\\.)*")`)

// textForm is the text-format line of one of our messages in the JSON log
// format ("TS dinit: <level>: <msg>", with the timestamp as the line has
// it: normalise first); any other line is returned as it is.
func textForm(l string) string {
	if !strings.HasPrefix(l, `{"logged":`) {
		return l
	}
	m := ourJSONRe.FindStringSubmatch(l)
	if m == nil {
		return l
	}
	var msg string
	if json.Unmarshal([]byte(m[2]), &msg) != nil {
		return l
	}
	ts := strings.TrimPrefix(l, `{"logged":"`)
	return ts[:strings.IndexByte(ts, '"')] + " dinit: " + m[1] + ": " + msg
}

// Expected lines.
func info(format string, a ...any) string { return "TS dinit: info: " + fmt.Sprintf(format, a...) }
func warn(format string, a ...any) string { return "TS dinit: warning: " + fmt.Sprintf(format, a...) }
func svc(name, stage, line string) string { return "TS " + name + "/" + stage + ": " + line }

// jsonOut is what dinit writes to stdout for a JSON object line of a service.
func jsonOut(obj, name, stage string) string {
	n, _ := json.Marshal(name)
	body := strings.TrimSpace(obj)
	body = strings.TrimSpace(body[1 : len(body)-1])
	fields := fmt.Sprintf(`"service":%s,"stage":"%s","logged":"TS"}`, n, stage)
	if body == "" {
		return "{" + fields
	}
	return "{" + body + "," + fields
}

// exiting is dinit's last line: at warning for a non-zero status.
func exiting(code int) string {
	if code != 0 {
		return warn("dinit exiting with status %d", code)
	}
	return info("dinit exiting with status %d", code)
}

// pidFile is the PID a program wrote to a file of the service directory
// (echo $$ >pid), read once dinit exited: at the default level no info
// line gives it.
func (d *instance) pidFile(name string) int {
	d.t.Helper()
	data, err := os.ReadFile(filepath.Join(d.dir, name))
	if err != nil {
		d.t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		d.t.Fatalf("%s: %v", name, err)
	}
	return pid
}

// preamble is what dinit logs at info level before anything else: in
// subreaper mode, that it registers as a subreaper.
func (d *instance) preamble() []string {
	if d.mode != subreaper {
		return nil
	}
	return []string{info("not running as a PID 1, but PID %d, registering as a process subreaper", d.cmd.Process.Pid)}
}

// expectLines checks got == want, line by line, in order.
func (d *instance) expectLines(what string, got, want []string) {
	d.t.Helper()
	if !slices.Equal(got, want) {
		d.t.Errorf("%s:\n%s", what, diffLines(got, want))
	}
}

// expectSameLines checks that got and want hold the same lines, ignoring
// order.
func (d *instance) expectSameLines(what string, got, want []string) {
	d.t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		d.t.Errorf("%s (in any order):\n%s", what, diffLines(g, w))
	}
}

// expectInOrder checks that want appear in got in this order (other lines
// may come between).
func (d *instance) expectInOrder(what string, got []string, want ...string) {
	d.t.Helper()
	i := 0
	for _, l := range got {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		d.t.Errorf("%s: line %q not found in order after %q", what, want[i], want[:i])
	}
}

// expectLast checks the last line.
func (d *instance) expectLast(what string, got []string, want string) {
	d.t.Helper()
	if len(got) == 0 || got[len(got)-1] != want {
		last := "(none)"
		if len(got) > 0 {
			last = got[len(got)-1]
		}
		d.t.Errorf("%s: last line is %q, want %q", what, last, want)
	}
}

// expectNoLine checks that no line matches pattern.
func (d *instance) expectNoLine(what string, got []string, pattern string) {
	d.t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range got {
		if re.MatchString(l) {
			d.t.Errorf("%s: unexpected line %q (matches %q)", what, l, pattern)
		}
	}
}

// matching returns the lines that match pattern.
func matching(lines []string, pattern string) []string {
	re := regexp.MustCompile(pattern)
	var out []string
	for _, l := range lines {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// countLines is how many of lines are line.
func countLines(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

// diffLines shows got and want side by side, marking differences.
func diffLines(got, want []string) string {
	var b strings.Builder
	n := max(len(got), len(want))
	for i := range n {
		var g, w string
		if i < len(got) {
			g = got[i]
		} else {
			g = "(missing)"
		}
		if i < len(want) {
			w = want[i]
		} else {
			w = "(nothing)"
		}
		if g == w {
			fmt.Fprintf(&b, "    %s\n", short(g))
		} else {
			fmt.Fprintf(&b, "  - got:  %s\n  + want: %s\n", short(g), short(w))
		}
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 400 {
		return fmt.Sprintf("%q... (%d bytes)", s[:400], len(s))
	}
	return fmt.Sprintf("%q", s)
}

var (
	stderrLineRe = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (dinit: (debug|info|warning|error): |[^ /]+/[^ :]+: )`)
	plainLineRe  = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) [^ /]+/[^ :]+: `)
	loggedRe     = regexp.MustCompile(`"logged":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}$`)
)

// checkFormat checks invariants of every line dinit wrote: whole lines
// only, a current UTC timestamp on each, and (in JSON mode) one valid JSON
// object per stdout line carrying the appended fields.
func (d *instance) checkFormat() {
	d.t.Helper()
	errs := 0
	bad := func(format string, a ...any) {
		if errs++; errs <= 10 {
			d.t.Errorf(format, a...)
		}
	}
	for _, s := range []*stream{d.stdout, d.stderr} {
		if b := s.bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
			bad("%s does not end with a newline: torn last line %s", s.name, short(string(b[bytes.LastIndexByte(b, '\n')+1:])))
		}
	}
	jsonLog := d.jsonLog()
	for _, l := range splitLines(d.stderr.String()) {
		if jsonLog {
			if ts, err := checkStderrJSON(l); err != nil {
				bad("stderr line, in the JSON log format: %v: %s", err, short(l))
			} else {
				d.checkTime(ts, l, bad)
			}
			continue
		}
		m := stderrLineRe.FindStringSubmatch(l)
		if m == nil {
			bad("stderr line without the <ts> <source>: prefix: %s", short(l))
			continue
		}
		d.checkTime(m[1], l, bad)
	}
	// The strict check of every stdout object (field types, key order)
	// where the test is about formats: JSON log format or wrap.
	strict := jsonLog || d.envValue("DINIT_JSON_STDOUT") == "wrap"
	for _, l := range splitLines(d.stdout.String()) {
		if d.plainStdout {
			if m := plainLineRe.FindStringSubmatch(l); m == nil {
				bad("stdout line without the <ts> <name>/<stage>: prefix: %s", short(l))
			} else {
				d.checkTime(m[1], l, bad)
			}
			continue
		}
		if strict {
			if ts, err := checkStdoutJSON(l); err != nil {
				bad("stdout line: %v: %s", err, short(l))
			} else {
				d.checkTime(ts, l, bad)
			}
			continue
		}
		if !strings.HasPrefix(l, "{") || !json.Valid([]byte(l)) {
			bad("stdout line is not one JSON object: %s", short(l))
			continue
		}
		if !utf8.ValidString(l) {
			bad("stdout line is not valid UTF-8: %s", short(l))
		}
		if strings.Contains(l, `\u`) {
			if esc, ok := loneSurrogate(l); ok {
				bad("stdout line escapes a lone surrogate (%s): %s", esc, short(l))
			}
		}
		if m := loggedRe.FindStringSubmatch(l); m == nil {
			bad(`stdout line does not end with "logged":"<ts>"}: %s`, short(l))
		} else {
			d.checkTime(m[1], l, bad)
		}
	}
	if errs > 10 {
		d.t.Errorf("... and %d more malformed lines", errs-10)
	}
}

func (d *instance) checkTime(ts, line string, bad func(string, ...any)) {
	tm, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
	if err != nil {
		bad("bad timestamp %q in %s", ts, short(line))
		return
	}
	if tm.Before(d.started.Add(-time.Minute)) || tm.After(time.Now().Add(time.Minute)) {
		bad("timestamp %s is not the current UTC time (started at %s) in %s", ts, d.started.UTC().Format(time.RFC3339), short(line))
	}
}

// envValue is the value the instance's environment gives key (the last
// setting wins), "" when it is not set.
func (s setup) envValue(key string) string {
	v := ""
	for _, kv := range s.env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// jsonLog: the instance runs in the JSON log format (DINIT_LOG_FORMAT=json),
// where every stderr line is one JSON object.
func (s setup) jsonLog() bool { return s.envValue("DINIT_LOG_FORMAT") == "json" }

// The strict checks of the JSON lines dinit writes (SPEC 10): one JSON
// object per line that the strictest parsers accept (valid UTF-8, no lone
// surrogate escape, which jq and Python's strict mode refuse), with the
// fields a reader relies on, of the right types, in the documented order.

// jsonObject is one line parsed as a JSON object: its keys in order and
// their raw values.
type jsonObject struct {
	keys []string
	vals map[string]json.RawMessage
	dups []string // keys that appear more than once
}

// parseStrict parses line as exactly one JSON object, strictly.
func parseStrict(line string) (jsonObject, error) {
	o := jsonObject{vals: map[string]json.RawMessage{}}
	if !utf8.ValidString(line) {
		return o, errors.New("not valid UTF-8")
	}
	if !strings.HasPrefix(line, "{") || !strings.HasSuffix(line, "}") || !json.Valid([]byte(line)) {
		return o, errors.New("not one JSON object")
	}
	if esc, ok := loneSurrogate(line); ok {
		return o, fmt.Errorf("escapes a lone surrogate (%s)", esc)
	}
	return parseObject(line)
}

// parseObject splits a JSON object into its keys and raw values, without
// decoding the values (fast: the tests read megabytes of lines). It takes
// what Go's decoder takes (invalid UTF-8, lone surrogates); it does not
// validate the values: parseStrict does.
func parseObject(line string) (jsonObject, error) {
	o := jsonObject{vals: map[string]json.RawMessage{}}
	bad := errors.New("not one JSON object")
	s := strings.TrimSpace(line)
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return o, bad
	}
	i := skipSpace(s, 1)
	if i < len(s) && s[i] == '}' {
		if i != len(s)-1 {
			return o, bad
		}
		return o, nil
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return o, bad
		}
		end := stringEnd(s, i)
		if end < 0 {
			return o, bad
		}
		k := s[i+1 : end-1]
		if strings.IndexByte(k, '\\') >= 0 {
			if err := json.Unmarshal([]byte(s[i:end]), &k); err != nil {
				return o, err
			}
		}
		i = skipSpace(s, end)
		if i >= len(s) || s[i] != ':' {
			return o, bad
		}
		i = skipSpace(s, i+1)
		vend := valueEnd(s, i)
		if vend < 0 {
			return o, bad
		}
		if _, ok := o.vals[k]; ok {
			o.dups = append(o.dups, k)
		}
		o.keys = append(o.keys, k)
		o.vals[k] = json.RawMessage(s[i:vend])
		i = skipSpace(s, vend)
		switch {
		case i == len(s)-1 && s[i] == '}':
			return o, nil
		case i < len(s) && s[i] == ',':
			i = skipSpace(s, i+1)
		default:
			return o, bad
		}
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the JSON string that starts at s[i]
// (a quote), or -1.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); {
		k := strings.IndexAny(s[j:], `"\`)
		if k < 0 {
			return -1
		}
		j += k
		if s[j] == '"' {
			return j + 1
		}
		j += 2 // an escape: \" or \\ or \uXXXX (the rest is plain)
	}
	return -1
}

// valueEnd returns the index after the JSON value that starts at s[i], or
// -1.
func valueEnd(s string, i int) int {
	if i >= len(s) {
		return -1
	}
	switch s[i] {
	case '"':
		return stringEnd(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); {
			k := strings.IndexAny(s[j:], `"{}[]`)
			if k < 0 {
				return -1
			}
			j += k
			switch s[j] {
			case '"':
				if j = stringEnd(s, j); j < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			default:
				depth--
			}
			j++
			if depth == 0 {
				return j
			}
		}
		return -1
	}
	j := i
	for j < len(s) && !strings.ContainsRune(",}] \t\r\n", rune(s[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// str returns the string value of key; ok is false when it is missing or
// not a string.
func (o jsonObject) str(key string) (v string, ok bool) {
	raw, found := o.vals[key]
	if !found || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	err := json.Unmarshal(raw, &v)
	return v, err == nil
}

// integer returns the integer value of key.
func (o jsonObject) integer(key string) (v int64, ok bool) {
	raw, found := o.vals[key]
	if !found {
		return 0, false
	}
	v, err := strconv.ParseInt(string(raw), 10, 64)
	return v, err == nil
}

// loneSurrogate finds a \uD800-\uDFFF escape that is not half of a pair in
// valid JSON text, and returns it.
func loneSurrogate(s string) (string, bool) {
	hex4 := func(h string) rune {
		n, _ := strconv.ParseUint(h, 16, 16)
		return rune(n)
	}
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch {
		case c == '"':
			inString = false
		case c == '\\' && s[i+1] != 'u':
			i++
		case c == '\\':
			r := hex4(s[i+2 : i+6])
			switch {
			case 0xd800 <= r && r < 0xdc00:
				if i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
					if r2 := hex4(s[i+8 : i+12]); 0xdc00 <= r2 && r2 < 0xe000 {
						i += 11
						continue
					}
				}
				return s[i : i+6], true
			case 0xdc00 <= r && r < 0xe000:
				return s[i : i+6], true
			}
			i += 5
		}
	}
	return "", false
}

// checkStdoutJSON checks a stdout line of a JSON mode: one strict JSON
// object with string fields service, stage and logged, logged last. It
// returns the timestamp.
func checkStdoutJSON(line string) (ts string, err error) {
	o, err := parseStrict(line)
	if err != nil {
		return "", err
	}
	for _, k := range []string{"service", "stage", "logged"} {
		if _, ok := o.str(k); !ok {
			return "", fmt.Errorf("no string field %q", k)
		}
	}
	if o.keys[len(o.keys)-1] != "logged" {
		return "", errors.New(`"logged" is not the last field`)
	}
	ts, _ = o.str("logged")
	return ts, nil
}

// Our messages in the JSON log format: the events and the fields they may
// carry, with their types.
var (
	jsonEvents = map[string]bool{
		"starting": true, "started": true, "ready": true, "exited": true, "disabled": true,
		"terminating": true, "signal": true, "forwarded": true, "reparented": true, "adopted": true,
		"reaped": true, "kill": true, "shutdown": true, "exiting": true,
	}
	jsonIntFields = map[string]bool{
		"pid": true, "status": true, "signal": true, "dropped": true, "processes": true,
		"stdout_lines": true, "stdout_bytes": true, "stderr_lines": true, "stderr_bytes": true,
		"not_json": true, "split": true,
	}
	jsonStrFields = map[string]bool{"reason": true, "policy": true}
	jsonLevels    = map[string]bool{"debug": true, "info": true, "warning": true, "error": true}
)

// serviceLineKeys are the keys of a service's line on stderr in the JSON log
// format, in order.
var serviceLineKeys = []string{"msg", "service", "stage", "logged", "stream"}

// checkStderrJSON checks a stderr line of the JSON log format: one strict
// JSON object, either one of our messages (logged, level, msg, then service,
// stage, event where it has them, then its fields) or a service's line
// (msg, service, stage, logged, stream). It returns the timestamp.
func checkStderrJSON(line string) (ts string, err error) {
	o, err := parseStrict(line)
	if err != nil {
		return "", err
	}
	if len(o.dups) > 0 {
		return "", fmt.Errorf("duplicate keys %q", o.dups)
	}
	if len(o.keys) == 0 {
		return "", errors.New("empty object")
	}
	if o.keys[0] == "msg" {
		if !slices.Equal(o.keys, serviceLineKeys) {
			return "", fmt.Errorf("a service's line with keys %q, want %q", o.keys, serviceLineKeys)
		}
		for _, k := range serviceLineKeys {
			if _, ok := o.str(k); !ok {
				return "", fmt.Errorf("%q is not a string", k)
			}
		}
		if s, _ := o.str("stream"); s != "stdout" && s != "stderr" {
			return "", fmt.Errorf("stream %q", s)
		}
		ts, _ = o.str("logged")
		return ts, nil
	}
	if len(o.keys) < 3 || !slices.Equal(o.keys[:3], []string{"logged", "level", "msg"}) {
		return "", fmt.Errorf("keys %q: neither a message of ours (logged, level, msg, ...) nor a service's line (msg, ...)", o.keys)
	}
	for _, k := range o.keys[:3] {
		if _, ok := o.str(k); !ok {
			return "", fmt.Errorf("%q is not a string", k)
		}
	}
	if lv, _ := o.str("level"); !jsonLevels[lv] {
		return "", fmt.Errorf("level %q", lv)
	}
	if msg, _ := o.str("msg"); msg == "" {
		return "", errors.New("empty msg")
	}
	rest := o.keys[3:]
	for _, k := range []string{"service", "stage", "event"} {
		if len(rest) > 0 && rest[0] == k {
			v, ok := o.str(k)
			if !ok || v == "" {
				return "", fmt.Errorf("%q is not a non-empty string", k)
			}
			if k == "event" && !jsonEvents[v] {
				return "", fmt.Errorf("event %q is not in the vocabulary", v)
			}
			rest = rest[1:]
		}
	}
	if _, ok := o.vals["stage"]; ok {
		if _, ok := o.vals["service"]; !ok {
			return "", errors.New("a stage without a service")
		}
	}
	for _, k := range rest {
		switch {
		case jsonIntFields[k]:
			if _, ok := o.integer(k); !ok {
				return "", fmt.Errorf("%q is not an integer", k)
			}
		case jsonStrFields[k]:
			if _, ok := o.str(k); !ok {
				return "", fmt.Errorf("%q is not a string", k)
			}
		default:
			return "", fmt.Errorf("field %q: not a known field of ours, or out of order (keys %q)", k, o.keys)
		}
	}
	ts, _ = o.str("logged")
	return ts, nil
}
