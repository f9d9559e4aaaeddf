package integration

import (
	"strings"
	"testing"
)

// lineLimit is dinit's documented line length limit.
const lineLimit = 1 << 20

// expectPieces checks that the stderr lines of name/stage made only of
// byte c join into n bytes, in pieces of at most lineLimit, after the
// warning about the long line.
func expectPieces(d *instance, lines []string, name string, c byte, n int) {
	d.t.Helper()
	prefix := "TS " + name + "/run: "
	warning := warn("%s/run: line longer than %d bytes, emitting it in pieces", name, lineLimit)
	var sizes []int
	total, sawWarning, bad := 0, false, false
	for _, l := range lines {
		if l == warning && total == 0 {
			sawWarning = true
		}
		piece, ok := strings.CutPrefix(l, prefix)
		if !ok || piece == "" || strings.Trim(piece, string(c)) != "" {
			continue
		}
		if !sawWarning {
			bad = true
		}
		sizes = append(sizes, len(piece))
		total += len(piece)
		if len(piece) > lineLimit {
			d.t.Errorf("a piece of the long line of %c has %d bytes, more than %d", c, len(piece), lineLimit)
		}
	}
	if total != n {
		d.t.Errorf("the long line of %d %c joins into %d bytes (pieces %v), want %d", n, c, total, sizes, n)
	}
	if !sawWarning || bad {
		d.t.Errorf("want %q before the pieces of the long line of %c (warning seen: %v)", warning, c, sawWarning)
	}
}

// A line over the limit is emitted in pieces with a warning; the stream
// goes on. A line of exactly the limit is an ordinary line.
func TestLongLines(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		exact := `{"p":"` + strings.Repeat("e", lineLimit-8) + `"}`
		if len(exact) != lineLimit {
			t.Fatalf("bad test: %d", len(exact))
		}
		out := strings.Join([]string{
			strings.Repeat("x", lineLimit+10),
			`{"after":1}`,
			exact,
			strings.Repeat("y", 2*lineLimit+5),
			`{"end":true}`,
		}, "\n") + "\n"
		errOut := strings.Repeat("z", lineLimit+1) + "\nshort\n"
		d := start(t, setup{mode: m, files: tree{
			"web/run":     script("echo $$ >pid\ncat out.bin\ncat err.bin >&2\n"),
			"web/out.bin": text(out),
			"web/err.bin": text(errOut),
		}})
		d.expectExit(0)
		d.expectLines("stdout", d.outLines(), []string{
			jsonOut(`{"after":1}`, "web", "run"),
			jsonOut(exact, "web", "run"),
			jsonOut(`{"end":true}`, "web", "run"),
		})
		got := d.errLines()
		expectPieces(d, got, "web", 'x', lineLimit+10)
		expectPieces(d, got, "web", 'y', 2*lineLimit+5)
		expectPieces(d, got, "web", 'z', lineLimit+1)
		lastZ, shortAt := -1, -1
		for i, l := range got {
			if strings.HasPrefix(l, "TS web/run: zz") {
				lastZ = i
			}
			if l == svc("web", "run", "short") {
				shortAt = i
			}
		}
		if shortAt < lastZ {
			t.Errorf("the line after the long stderr line: at %d, last piece at %d", shortAt, lastZ)
		}
		if n := len(matching(got, `^TS dinit: warning: web/run: line longer than`)); n != 3 {
			t.Errorf("%d long-line warnings, want 3", n)
		}
		// The shutdown's reason, once: run may end before all of its output
		// is read, so anywhere.
		reason := warn("shutting down: web/run: PID %d finished with status 0", d.pidFile("web/pid"))
		if n := countLines(got, reason); n != 1 {
			t.Errorf("%d lines %q, want 1", n, reason)
		}
		for _, l := range got {
			if !strings.HasPrefix(l, "TS web/run: ") && !strings.HasPrefix(l, "TS dinit: warning: web/run: line longer than") && l != reason {
				t.Errorf("unexpected stderr line %s", short(l))
			}
		}
	})
}
