package integration

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// Accounting (SPEC 10): once a program has ended and its pipes reached EOF,
// an info line says what it relayed: `web/run: relayed 1200 lines (98304
// bytes) on stdout, 3 on stderr`, then `; N not JSON` and `; N split for
// length` when not zero; in the JSON log format, with the fields
// stdout_lines, stdout_bytes, stderr_lines, stderr_bytes (for the streams
// the program has), not_json and split. Bytes are those read from the pipe,
// newlines included; an overlong line counts once.

// acct is the accounting line expected for one program.
type acct struct {
	label          string
	hasOut         bool // the program's stdout is relayed (not a run with a log program)
	outLines, outB int
	errLines, errB int
	notJSON, split int
}

func plural(n int) string {
	if n == 1 {
		return "1 line"
	}
	return fmt.Sprintf("%d lines", n)
}

// text is the line in the text format.
func (a acct) text() string {
	var s string
	if a.hasOut {
		s = fmt.Sprintf("%s: relayed %s (%d bytes) on stdout, %d on stderr", a.label, plural(a.outLines), a.outB, a.errLines)
	} else {
		s = fmt.Sprintf("%s: relayed %s (%d bytes) on stderr", a.label, plural(a.errLines), a.errB)
	}
	if a.notJSON > 0 {
		s += fmt.Sprintf("; %d not JSON", a.notJSON)
	}
	if a.split > 0 {
		s += fmt.Sprintf("; %d split for length", a.split)
	}
	return info("%s", s)
}

// json is the line in the JSON log format.
func (a acct) json() string {
	var fields []any
	if a.hasOut {
		fields = append(fields, "stdout_lines", a.outLines, "stdout_bytes", a.outB)
	}
	fields = append(fields, "stderr_lines", a.errLines, "stderr_bytes", a.errB, "not_json", a.notJSON, "split", a.split)
	return jInfo(strings.TrimPrefix(a.text(), "TS dinit: info: "), a.label, "", fields...)
}

// TestAccounting runs six services that write known output, then stop on
// SIGTERM, and checks the accounting lines exactly: both pipes, one line
// (singular), blank lines and CRLF (bytes counted, lines not), a run whose
// stdout goes to its log program (stderr only) and that log program, lines
// not JSON and lines split for length, and a silent service (no line). In
// the text and JSON log formats, and with DINIT_JSON_STDOUT=0 (nothing is
// "not JSON" there).
func TestAccounting(t *testing.T) {
	t.Parallel()
	longOut := overlong(3)                         // 1.5 MiB
	longErr := overlong(4)[:lineLimit+lineLimit/5] // 1.2 MiB
	mixedOut := `{"ok":1}` + "\nplain\n" + longOut + "\n" + `{"ok":2}` + "\ntail"
	mixedErr := longErr + "\ne\n"
	const done = "echo done >&2\n"
	files := tree{
		"both/run":       script(`printf '{"a":1}\n{"b":2}\n{"c":3}\n'` + "\nprintf 'e1\\ne2\\n' >&2\n" + done + "exec sleep 1000\n"),
		"one/run":        script("echo '{}'\n" + done + "exec sleep 1000\n"),
		"blank/run":      script(`printf 'a\n\n\r\nb\r\n' >&2` + "\n" + done + "exec sleep 1000\n"),
		"logged/run":     script(`echo '{"l":1}'; echo '{"l":2}'; echo le >&2` + "\n" + done + "exec sleep 1000\n"),
		"logged/log/run": script("exec cat\n"),
		"mixed/run":      script("cat out.bin\ncat err.bin >&2\n" + done + "exec sleep 1000\n"),
		"mixed/out.bin":  text(mixedOut),
		"mixed/err.bin":  text(mixedErr),
		"quiet/run":      script("exec sleep 1000\n"),
	}
	services := []string{"both", "one", "blank", "logged", "mixed"}
	configs := []struct {
		name    string
		env     []string
		plain   bool
		jsonLog bool
	}{
		{"text", nil, false, false},
		{"json", []string{"DINIT_LOG_FORMAT=json"}, false, true},
		{"plain stdout", []string{"DINIT_JSON_STDOUT=0"}, true, false},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: append(slices.Clone(c.env), "DINIT_LOG_LEVEL=info"), plainStdout: c.plain, files: files})
				for _, s := range services {
					if c.jsonLog {
						d.waitStderr(`^\{"msg":"done","service":"` + s + `","stage":"run"`)
					} else {
						d.waitStderr(`^TS ` + s + `/run: done$`)
					}
				}
				d.signal(syscall.SIGTERM)
				d.expectExit(0)
				notJSON := 2
				if c.plain {
					notJSON = 0
				}
				want := []acct{
					{label: "both/run", hasOut: true, outLines: 3, outB: 24, errLines: 3, errB: 11},
					{label: "one/run", hasOut: true, outLines: 1, outB: 3, errLines: 1, errB: 5},
					{label: "blank/run", hasOut: true, errLines: 3, errB: 13},
					{label: "logged/run", errLines: 2, errB: 8},
					{label: "logged/log", hasOut: true, outLines: 2, outB: 16},
					{label: "mixed/run", hasOut: true, outLines: 5, outB: len(mixedOut), errLines: 3, errB: len(mixedErr) + 5,
						notJSON: notJSON, split: 2},
				}
				var wantLines []string
				for _, a := range want {
					if c.jsonLog {
						wantLines = append(wantLines, a.json())
					} else {
						wantLines = append(wantLines, a.text())
					}
				}
				all := d.allErrLines()
				d.expectSameLines("accounting lines", accountingOf(all), wantLines)
				d.expectNoLine("stderr", all, `quiet/run: relayed`)
				// Each after its program's end (checked by errLines), all
				// before dinit's last line.
				d.errLines()
				if c.jsonLog {
					d.expectLast("stderr", all, jExiting(0))
				} else {
					d.expectLast("stderr", all, exiting(0))
				}
			})
		})
	}
}

// At the default level (warn), no accounting line.
func TestAccountingNotAtDefaultLevel(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			d := start(t, setup{mode: subreaper, env: []string{"DINIT_LOG_FORMAT=" + format}, files: tree{
				"web/run": script("echo '{\"a\":1}'\necho 'not json'\necho oops >&2\n"),
			}})
			d.expectExit(0)
			d.expectNoLine("stderr", d.allErrLines(), `relayed`)
		})
	}
}

// The main program is accounted as any program (`dinit sh -c ...` is
// sh/run), and a program that ends by itself is accounted once its output
// is read to the end, after its end and before dinit's last line.
func TestAccountingMainProgram(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		requireNoDefaultDir(t)
		d := start(t, setup{mode: m, noDir: true, env: infoLevel,
			args: []string{"sh", "-c", `echo '{"x":1}'; echo 'not json'; echo oops >&2; printf 'no newline'`}})
		d.expectExit(0)
		pid := d.pidOf("sh/run")
		a := acct{label: "sh/run", hasOut: true, outLines: 3, outB: 8 + 9 + 10, errLines: 1, errB: 5, notJSON: 2}
		all := d.allErrLines()
		d.expectLines("accounting", accountingOf(all), []string{a.text()})
		d.expectInOrder("stderr", all,
			info("sh/run: PID %d finished with status 0", pid),
			warn("shutting down: sh/run: PID %d finished with status 0", pid),
			a.text(),
			exiting(0))
		if got := matching(all, `^`+regexp.QuoteMeta(warn("sh/run: not JSON stdout: no newline"))+`$`); len(got) != 1 {
			t.Errorf("the last line, without a newline: %q", got)
		}
	})
}
