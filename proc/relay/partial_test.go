package relay

import (
	"strings"
	"testing"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// heldBy is what the sources pin for partial lines, by their own count.
func heldBy(srcs ...*Source) int {
	n := 0
	for _, s := range srcs {
		n += s.lines.Held()
	}
	return n
}

// Unterminated lines of all sources share one budget: past it, the largest
// partial line is emitted as a piece at once, with a warning, and its line
// goes on in pieces. Sizes are multiples of 8 KiB so that each pooled buffer
// is exactly as large as its line.
func TestPartialLinesShareABudget(t *testing.T) {
	o := pipeOutput(t, LevelWarn, true)
	o.partials.budget = 300 << 10
	a, b, c := newTestSource(t, o, "a", true), newTestSource(t, o, "b", false), newTestSource(t, o, "c", true)
	big := strings.Repeat("x", 128<<10)
	a.split([]byte(big))
	b.split([]byte(strings.Repeat("y", 64<<10)))
	if len(o.stderr.buf) != 0 || o.partials.held != heldBy(a, b, c) {
		t.Fatalf("cut below the budget: %.80q; held %d, sources hold %d", o.stderr.buf, o.partials.held, heldBy(a, b, c))
	}
	c.split([]byte(strings.Repeat("z", 120<<10))) // 312 KiB: over
	if o.partials.held > o.partials.budget || o.partials.held != heldBy(a, b, c) || a.lines.Held() != 0 {
		t.Fatalf("held %d (budget %d), sources hold %d, a holds %d", o.partials.held, o.partials.budget, heldBy(a, b, c), a.lines.Held())
	}
	a.split([]byte("tail\n{}\n"))
	const ts = "2026-11-28T13:57:31.420Z"
	want := ts + " dinit: warning: a/run: unterminated lines exceed 307200 bytes in total, emitting it in pieces\n" +
		ts + " a/run: " + big + "\n" + ts + " a/run: tail\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("stderr %.200q...\nwant %.200q...", got, want)
	}
	if got := string(o.stdout.buf); got != `{"service":"a","stage":"run","logged":"`+ts+`"}`+"\n" {
		t.Fatalf("stdout %q", got)
	}
	for _, s := range []*Source{a, b, c} {
		s.Close()
	}
	if o.partials.held != 0 || len(o.partials.holders) != 0 {
		t.Fatalf("after close: held %d by %d sources", o.partials.held, len(o.partials.holders))
	}
}

// newTestSource is a source on a real pipe of o, fed by the test through
// split (as a read would) rather than through the pipe.
func newTestSource(t *testing.T, o *Output, name string, stdout bool) *Source {
	t.Helper()
	s, w, err := o.NewSource(name, "run", stdout)
	if err != nil {
		t.Fatal(err)
	}
	sys.Close(w)
	return s
}
