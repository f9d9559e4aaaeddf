package integration

import (
	"slices"
	"strings"
	"testing"
)

// stdoutCase is one line a service writes to stdout and what dinit makes
// of it in JSON mode: a line on stdout (json) or a warning (notJSON).
type stdoutCase struct {
	in      string // without the newline
	json    string // the object expected on stdout, before the appended fields
	notJSON bool   // expected as "not JSON stdout: <in>"
	dropped bool   // expected nowhere
}

var stdoutCases = []stdoutCase{
	{in: `{"msg":"hi"}`, json: `{"msg":"hi"}`},
	{in: `{}`, json: `{}`},
	{in: `{"a":"}"}`, json: `{"a":"}"}`},
	{in: `  {"b":1}  `, json: `{"b":1}`},
	{in: "\t{\"tab\":true}\t", json: `{"tab":true}`},
	{in: "{\"crlf\":2}\r", json: `{"crlf":2}`},
	{in: ``, dropped: true},
	{in: "\r", dropped: true},
	{in: `{"n":{"d":[1,{"e":"}"}],"s":"a\"b\\","u":"\u00e9\ud83d\ude00"},"x":null,"y":-1.5e3,"z":[]}`, json: `{"n":{"d":[1,{"e":"}"}],"s":"a\"b\\","u":"\u00e9\ud83d\ude00"},"x":null,"y":-1.5e3,"z":[]}`},
	{in: `{"utf8":"héllo ☃"}`, json: `{"utf8":"héllo ☃"}`},
	{in: `{not json}`, notJSON: true},
	{in: `plain text`, notJSON: true},
	{in: `[1,2]`, notJSON: true},
	{in: `"str"`, notJSON: true},
	{in: `42`, notJSON: true},
	{in: `{"a":1} {"b":2}`, notJSON: true},
	{in: `{"a":1}}`, notJSON: true},
	{in: `{"k":"v",}`, notJSON: true},
	{in: `{"a":1`, notJSON: true},
	{in: `{'a':1}`, notJSON: true},
	{in: `{"a":"unterminated}`, notJSON: true},
	{in: `{"a":tru}`, notJSON: true},
	{in: `{"ctl":"a` + "\x01" + `b"}`, notJSON: true},
	{in: `{"last":true}`, json: `{"last":true}`}, // written without a final newline
}

// Bad UTF-8 inside strings of a JSON line: one U+FFFD per bad byte, the
// line stays on stdout.
var badUTF8Cases = []stdoutCase{
	{in: "{\"bad\":\"\xff\xfeok\"}", json: "{\"bad\":\"\ufffd\ufffdok\"}"},
	{in: "{\"cut\":\"\xe2\x98\"}", json: "{\"cut\":\"\ufffd\ufffd\"}"},
	{in: "{\"k\xc3\":1}", json: "{\"k\ufffd\":1}"},
}

// stderrCases: what the service writes to stderr, and the lines expected.
const stderrInput = "err one\n\nerr two\r\n\r\n  indented  \nerr last"

var stderrWant = []string{"err one", "err two", "  indented  ", "err last"}

// outputService writes stdout.bin to stdout and stderr.bin to stderr.
func outputService(cases []stdoutCase) tree {
	var out []string
	for _, c := range cases {
		out = append(out, c.in)
	}
	return tree{
		"web/run":        script("echo $$ >pid\ncat stdout.bin\ncat stderr.bin >&2\n"),
		"web/stdout.bin": text(strings.Join(out, "\n")),
		"web/stderr.bin": text(stderrInput),
	}
}

// expectedOutput returns the stdout lines and the stderr lines (warnings
// for non-JSON lines, as given by notJSON, then the service's stderr).
func expectedOutput(cases []stdoutCase, notJSON func(in string) string) (stdout, fromStdout, fromStderr []string) {
	for _, c := range cases {
		switch {
		case c.dropped:
		case c.notJSON:
			fromStdout = append(fromStdout, notJSON(c.in))
		default:
			stdout = append(stdout, jsonOut(c.json, "web", "run"))
		}
	}
	for _, l := range stderrWant {
		fromStderr = append(fromStderr, svc("web", "run", l))
	}
	return stdout, fromStdout, fromStderr
}

// reasonLine is the shutdown's reason for outputService: web/run ended
// with 0. The service's last stderr line has no newline: dinit emits it at
// EOF, which may come after it saw run end, so the reason has no fixed
// place among the service's lines (see splitReason).
func (d *instance) reasonLine() string {
	return warn("shutting down: web/run: PID %d finished with status 0", d.pidFile("web/pid"))
}

// splitReason splits stderr lines into the shutdown's reasons and the rest.
func (d *instance) splitReason(lines []string) (reasons, rest []string) {
	return splitBySource(lines, func(l string) bool { return strings.HasPrefix(l, "TS dinit: warning: shutting down: ") })
}

// splitBySource splits stderr lines into those made of the service's
// stdout (per isStdout) and the rest, each keeping its order.
func splitBySource(lines []string, isStdout func(string) bool) (fromStdout, rest []string) {
	for _, l := range lines {
		if isStdout(l) {
			fromStdout = append(fromStdout, l)
		} else {
			rest = append(rest, l)
		}
	}
	return fromStdout, rest
}

// JSON mode at the default level (warn): objects get the fields appended,
// everything else becomes a warning on stderr; no info lines.
func TestJSONStdout(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, files: outputService(stdoutCases)})
		d.expectExit(0)
		wantOut, wantWarn, wantErr := expectedOutput(stdoutCases, func(in string) string {
			return warn("web/run: not JSON stdout: %s", in)
		})
		d.expectLines("stdout", d.outLines(), wantOut)
		reason, rest := d.splitReason(d.errLines())
		warnings, rest := splitBySource(rest, func(l string) bool { return strings.HasPrefix(l, "TS dinit: warning: ") })
		d.expectLines("stderr: warnings", warnings, wantWarn)
		d.expectLines("stderr: the service's stderr", rest, wantErr)
		d.expectLines("stderr: the shutdown's reason", reason, []string{d.reasonLine()})
	})
}

func TestJSONStdoutBadUTF8(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, files: outputService(badUTF8Cases)})
		d.expectExit(0)
		wantOut, _, wantErr := expectedOutput(badUTF8Cases, nil)
		// U+FFFD may be written as the character or as the escape \ufffd.
		var got []string
		for _, l := range d.outLines() {
			got = append(got, strings.ReplaceAll(strings.ReplaceAll(l, `\ufffd`, "\ufffd"), `\uFFFD`, "\ufffd"))
		}
		d.expectLines("stdout", got, wantOut)
		reason, rest := d.splitReason(d.errLines())
		d.expectLines("stderr: the service's stderr", rest, wantErr)
		d.expectLines("stderr: the shutdown's reason", reason, []string{d.reasonLine()})
	})
}

// When warnings are not logged, non-JSON lines still reach stderr, as
// "<ts> name/stage: line".
func TestNotJSONBelowWarnLevel(t *testing.T) {
	t.Parallel()
	for _, level := range []string{"error", "none"} {
		t.Run(level, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: []string{"DINIT_LOG_LEVEL=" + level}, files: outputService(stdoutCases)})
				d.expectExit(0)
				wantOut, wantFromStdout, wantErr := expectedOutput(stdoutCases, func(in string) string { return svc("web", "run", in) })
				d.expectLines("stdout", d.outLines(), wantOut)
				fromStdout, rest := splitBySource(d.errLines(), func(l string) bool { return !slices.Contains(wantErr, l) })
				d.expectLines("stderr: non-JSON stdout lines", fromStdout, wantFromStdout)
				d.expectLines("stderr: the service's stderr", rest, wantErr)
			})
		})
	}
}

// DINIT_JSON_STDOUT=0: stdout lines are passed as "<ts> name/stage: line".
func TestPlainStdout(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: []string{"DINIT_JSON_STDOUT=0"}, plainStdout: true, files: outputService(stdoutCases)})
		d.expectExit(0)
		var want []string
		for _, c := range stdoutCases {
			line := strings.TrimSuffix(c.in, "\r")
			if line != "" {
				want = append(want, svc("web", "run", line))
			}
		}
		d.expectLines("stdout", d.outLines(), want)
		_, _, wantErr := expectedOutput(nil, nil)
		reason, rest := d.splitReason(d.errLines())
		d.expectLines("stderr: the service's stderr", rest, wantErr)
		d.expectLines("stderr: the shutdown's reason", reason, []string{d.reasonLine()})
	})
}

// Info and debug levels include the info lines; warn (the default) has
// none, but has the warnings (the shutdown's reason, a non-zero final
// status); every level keeps the service's own stderr.
func TestLogLevels(t *testing.T) {
	t.Parallel()
	files := tree{"web/run": script("echo $$ >pid\necho '{\"x\":1}'\necho 'not json'\necho 'to stderr' >&2\nexit 4\n")}
	for _, level := range []string{"", "none", "error", "warn", "info", "debug"} {
		t.Run("level="+level, func(t *testing.T) {
			t.Parallel()
			var env []string
			if level != "" {
				env = []string{"DINIT_LOG_LEVEL=" + level}
			}
			d := start(t, setup{mode: subreaper, env: env, files: files})
			d.expectExit(3)
			d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"x":1}`, "web", "run")})
			got := d.errLines()
			var want []string
			switch level {
			case "none", "error":
				want = []string{svc("web", "run", "not json"), svc("web", "run", "to stderr")}
			case "", "warn":
				want = []string{
					warn("web/run: not JSON stdout: not json"),
					svc("web", "run", "to stderr"),
					warn("shutting down: web/run: PID %d finished with status 4", d.pidFile("web/pid")),
					exiting(3),
				}
			case "info", "debug":
				r := d.pidOf("web/run")
				want = append(d.preamble(),
					info("web/run: starting"),
					info("web/run: running with PID %d", r),
					warn("web/run: not JSON stdout: not json"),
					svc("web", "run", "to stderr"),
					info("web/run: PID %d finished with status 4", r),
					warn("shutting down: web/run: PID %d finished with status 4", r),
					exiting(3),
				)
			}
			if level == "debug" {
				// Debug adds lines of its own, in the same format.
				got = matching(got, `^TS (dinit: (info|warning|error): |web/run: )`)
			}
			d.expectSameLines("stderr", got, want)
		})
	}
}
