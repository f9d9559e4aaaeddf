package relay

import (
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// pipeOutput is a test output on a real loop, with its own read buffer.
func pipeOutput(t *testing.T, level Level, json bool) *Output {
	t.Helper()
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := testOutput(level, json)
	o.loop = l
	o.readBuf = make([]byte, readSize)
	return o
}

// One read of 64 KiB of one-byte lines from a source with a 4 KiB label
// would add 32768 copies of the label (132 MiB) at once: backpressure
// applies inside the read, so the sink never holds more than one line past
// the mark, and the rest of the read follows, in order, as the sink drains.
func TestOneReadNeverGrowsTheSinkPastOneLine(t *testing.T) {
	o := pipeOutput(t, LevelWarn, false)
	name := strings.Repeat("n", 4092)
	src, w, err := o.NewSource(name, "run", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(w)
	const lines = readSize / 2
	writeAll(t, w, strings.Repeat("a\n", lines))
	const ts = "2026-11-28T13:57:31.420Z" // testOutput's clock
	line := ts + " " + name + "/run: a\n"
	bound := sinkHigh + len(line) // one line past the mark
	o.markReady(src)
	got := 0
	for deadline := time.Now().Add(10 * time.Second); got < lines; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d lines after 10 s", got, lines)
		}
		o.ReadTurn()
		if p := o.Pending(); p > bound {
			t.Fatalf("the sink holds %d bytes after a turn, bound %d", p, bound)
		}
		out := o.stdout.buf
		for i := 0; i < len(out); i += len(line) {
			if len(out[i:]) < len(line) || string(out[i:i+len(line)]) != line {
				t.Fatalf("line %d torn or altered", got)
			}
			got++
		}
		o.stdout.buf = o.stdout.buf[:0] // the reader takes everything
	}
	if got != lines || o.Pending() != 0 {
		t.Fatalf("%d lines, want %d; %d bytes pending", got, lines, o.Pending())
	}
}

// The rest of a stopped read lives in the shared read buffer: no other
// source reads before it is split, or its lines would be overwritten.
func TestRestOfAReadIsSplitBeforeOtherReads(t *testing.T) {
	o := pipeOutput(t, LevelWarn, false)
	long := strings.Repeat("n", 4092)
	a, wa, _ := o.NewSource(long, "run", true)
	b, wb, _ := o.NewSource("b", "run", true)
	defer sys.Close(wa, wb)
	writeAll(t, wa, strings.Repeat("a\n", readSize/2))
	writeAll(t, wb, strings.Repeat("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n", 1000))
	o.markReady(a)
	o.markReady(b)
	want := map[string]int{" " + long + "/run: a": readSize / 2, " b/run: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1000}
	got := map[string]int{}
	for deadline := time.Now().Add(10 * time.Second); len(o.ready) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("lines after 10 s: %d and %d", got[" "+long+"/run: a"], got[" b/run: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"])
		}
		o.ReadTurn()
		for _, line := range strings.SplitAfter(string(o.stdout.buf), "\n") {
			if line != "" {
				got[strings.TrimSuffix(line[len("2026-11-28T13:57:31.420Z"):], "\n")]++
			}
		}
		o.stdout.buf = o.stdout.buf[:0]
	}
	if len(got) != len(want) {
		t.Fatalf("%d kinds of lines, want %d: lines were altered", len(got), len(want))
	}
	for line, n := range want {
		if got[line] != n {
			t.Errorf("%d lines %.20q, want %d", got[line], line, n)
		}
	}
}
