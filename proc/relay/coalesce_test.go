package relay

import (
	"strings"
	"testing"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// A source with more than one read's worth in its pipe stays ready after a
// turn: FlushIdle then leaves its lines in the sink, and writes them all at
// once when the pipe is dry.
func TestFlushIdleWaitsForTheLastRead(t *testing.T) {
	o := pipeOutput(t, LevelWarn, false)
	r, w := testPipe(t)
	if _, err := unix.FcntlInt(uintptr(w), unix.F_SETPIPE_SZ, 1<<20); err != nil {
		t.Fatal(err)
	}
	o.stdout = &sink{fd: w, mode: modeBlocking}
	src, in, err := o.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(in)
	if _, err := unix.FcntlInt(uintptr(in), unix.F_SETPIPE_SZ, 1<<20); err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("x", 63) + "\n"
	const lines = 2 * readSize / 64 // two full reads
	writeAll(t, in, strings.Repeat(line, lines))
	o.markReady(src)

	o.ReadTurn()
	o.FlushIdle()
	if !o.HasReady() || o.Pending() == 0 {
		t.Fatalf("after one read of two: ready %v, pending %d; want ready and lines held", o.HasReady(), o.Pending())
	}
	if n := pipeHolds(t, r); n != 0 {
		t.Fatalf("%d bytes written while the source was still ready", n)
	}
	for turns := 0; o.HasReady(); turns++ {
		if turns > 3 {
			t.Fatal("the source is still ready after 4 turns")
		}
		o.ReadTurn()
		o.FlushIdle()
	}
	const ts = "2026-11-28T13:57:31.420Z " // testOutput's clock
	want := len(ts+"web/run: "+line) * lines
	if n := pipeHolds(t, r); n != want || o.Pending() != 0 {
		t.Fatalf("the pipe holds %d bytes, %d pending; want %d and 0", n, o.Pending(), want)
	}
}

// pipeHolds is the number of unread bytes in the pipe r.
func pipeHolds(t *testing.T, r int) int {
	t.Helper()
	n, err := unix.IoctlGetInt(r, unix.TIOCINQ) // FIONREAD
	if err != nil {
		t.Fatal(err)
	}
	return n
}
