package relay

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// newLoop is a loop closed at the end of the test.
func newLoop(t *testing.T) *loop.Loop {
	t.Helper()
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// testPipe is a pipe closed at the end of the test, both ends blocking.
func testPipe(t *testing.T) (r, w int) {
	t.Helper()
	r, w, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(r, w) })
	return r, w
}

// openFds counts our open fds.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// New watches what may be written to later (pipes and sockets, through
// the loop) and writes files at once; outputs that name one file are
// twins. The given pipe description stays as it was: New opens its own.
func TestNewSinkKinds(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := newLoop(t)
	o := New(l, int(f.Fd()), int(f.Fd()), options(LevelInfo, false))
	if o.stdout.mode != modeBlocking || o.stderr.mode != modeBlocking || o.stdout.twin != o.stderr || o.stderr.twin != o.stdout {
		t.Fatalf("file: modes %d %d, twins %v", o.stdout.mode, o.stderr.mode, o.stdout.twin == o.stderr)
	}
	if l.Registered() != 0 {
		t.Fatalf("a file is watched: %d registered", l.Registered())
	}

	_, pw := testPipe(t)
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(sp[0], sp[1])
	o = New(l, pw, sp[0], options(LevelInfo, false))
	defer sys.Close(o.stdout.fd)
	if o.stdout.mode != modeWrite || o.stdout.fd == pw || o.stderr.mode != modeMessage || o.stderr.fd != sp[0] || o.stdout.twin != nil {
		t.Fatalf("pipe: mode %d fd %d (given %d); socket: mode %d fd %d (given %d)", o.stdout.mode, o.stdout.fd, pw, o.stderr.mode, o.stderr.fd, sp[0])
	}
	if l.Registered() != 2 {
		t.Fatalf("%d registered, want the pipe and the socket", l.Registered())
	}
	if fl, _ := unix.FcntlInt(uintptr(pw), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Fatal("the given pipe description was made nonblocking")
	}
}

// Through New and a file: our messages at the level asked for, stamped
// with the last Tick; lines of a source read by turns, stamped likewise.
func TestNewWritesToAFile(t *testing.T) {
	path := t.TempDir() + "/log"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := New(newLoop(t), int(f.Fd()), int(f.Fd()), options(LevelInfo, true))
	o.Tick(time.Date(2026, 11, 28, 13, 57, 31, 420e6, time.UTC))
	o.Infof("starting %d services", 2)
	o.Debugf("not at this level")
	src, w, err := o.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	writeAll(t, w, `{"msg":"hi"}`+"\n")
	sys.Close(w)
	o.Tick(time.Date(2026, 11, 28, 13, 57, 32, 5e6, time.FixedZone("CET", 3600)))
	turns(t, o, func() bool { return o.Open() > 0 })
	o.Flush()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-11-28T13:57:31.420Z dinit: info: starting 2 services\n" +
		`{"msg":"hi","service":"web","stage":"run","logged":"2026-11-28T12:57:32.005Z"}` + "\n"
	if string(b) != want || o.Pending() != 0 {
		t.Fatalf("file holds %q (%d pending), want %q", b, o.Pending(), want)
	}
}

// turns runs turns of o's loop, as the supervisor does, while more says
// so, for at most 5 s.
func turns(t *testing.T, o *Output, more func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); more(); o.ReadTurn() {
		if time.Now().After(deadline) {
			t.Fatal("still going after 5 s")
		}
		wait := time.Now().Add(100 * time.Millisecond)
		if o.HasReady() {
			wait = time.Now()
		}
		if _, err := o.loop.Poll(wait); err != nil {
			t.Fatal(err)
		}
	}
}

// A source lives from NewSource to Close (explicit, or at EOF): Open
// counts it, the loop watches it, and it holds one fd; nothing of it is
// left afterwards. A second Close changes nothing.
func TestSourceLeavesNothingBehind(t *testing.T) {
	l := newLoop(t)
	o := New(l, -1, -1, options(LevelWarn, false)) // fd -1: sinks broken from the start
	before, fds := l.Registered(), openFds(t)
	a, wa, err := o.NewSource("a", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	b, wb, err := o.NewSource("b", "log", false)
	if err != nil {
		t.Fatal(err)
	}
	if o.Open() != 2 || l.Registered() != before+2 || openFds(t) != fds+4 {
		t.Fatalf("open %d, registered %d (+%d), fds %d (+%d)", o.Open(), l.Registered(), before, openFds(t), fds)
	}
	a.Close() // its writer still holds the pipe
	a.Close()
	sys.Close(wa, wb)
	turns(t, o, func() bool { return o.Open() > 0 }) // b at EOF
	if !b.closed || o.Open() != 0 || l.Registered() != before || openFds(t) != fds {
		t.Fatalf("open %d, registered %d (was %d), fds %d (was %d)", o.Open(), l.Registered(), before, openFds(t), fds)
	}
}

// Broken: only once both outputs failed for good. A failed stdout is
// reported on stderr, once; what is pending then is discarded.
func TestBrokenOutputs(t *testing.T) {
	outR, outW := testPipe(t)
	errR, errW := testPipe(t)
	o := New(newLoop(t), outW, errW, options(LevelWarn, false))
	defer sys.Close(o.stdout.fd, o.stderr.fd)
	o.Tick(time.Date(2026, 11, 28, 13, 57, 31, 420e6, time.UTC))
	sys.Close(outR)
	o.stdout.buf = append(o.stdout.buf, "lost\n"...)
	if o.Pending() != 5 {
		t.Fatalf("pending %d, want 5", o.Pending())
	}
	o.Flush() // EPIPE on stdout: the message waits for the next flush
	want := "2026-11-28T13:57:31.420Z dinit: error: writing to stdout: broken pipe; discarding stdout from now on\n"
	if o.Broken() || o.Pending() != len(want) {
		t.Fatalf("broken %v with stderr still fine; pending %d, want %d", o.Broken(), o.Pending(), len(want))
	}
	o.stdout.buf = append(o.stdout.buf, "lost too\n"...)
	o.Flush()
	if err := unix.SetNonblock(errR, true); err != nil {
		t.Fatal(err)
	}
	if got := string(drain(t, errR)); got != want || o.Pending() != 0 {
		t.Fatalf("stderr %q (%d pending), want %q", got, o.Pending(), want)
	}
	sys.Close(errR)
	o.Warnf("nobody reads this")
	o.Flush()
	if !o.Broken() || o.Pending() != 0 {
		t.Fatalf("broken %v, pending %d; want broken, nothing pending", o.Broken(), o.Pending())
	}
	if !strings.Contains(o.stderr.broken.Error(), "broken pipe") {
		t.Fatalf("stderr failed with %v", o.stderr.broken)
	}
}
