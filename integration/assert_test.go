package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// tsRe matches dinit's timestamps (UTC, milliseconds).
var tsRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// normalize replaces every timestamp with TS.
func normalize(s string) string { return tsRe.ReplaceAllLiteralString(s, "TS") }

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

// errLines and outLines are dinit's stderr and stdout, normalised.
func (d *instance) errLines() []string { return splitLines(normalize(d.stderr.String())) }
func (d *instance) outLines() []string { return splitLines(normalize(d.stdout.String())) }

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
	for _, l := range splitLines(d.stderr.String()) {
		m := stderrLineRe.FindStringSubmatch(l)
		if m == nil {
			bad("stderr line without the <ts> <source>: prefix: %s", short(l))
			continue
		}
		d.checkTime(m[1], l, bad)
	}
	for _, l := range splitLines(d.stdout.String()) {
		if d.plainStdout {
			if m := plainLineRe.FindStringSubmatch(l); m == nil {
				bad("stdout line without the <ts> <name>/<stage>: prefix: %s", short(l))
			} else {
				d.checkTime(m[1], l, bad)
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
