//go:build amd64 || arm64

package inject

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Redirections driven as the supervisor's loop drives them: with parking,
// retries, the reaper's peeks in between and kicks.

// failure is a PID a redirection gave up on, and why.
type failure struct {
	pid int
	err error
}

// newRedirection prepares the redirection of pid to outW and errW and
// closes it at the end of the test.
func newRedirection(t *testing.T, pid, outW, errW int) *Redirection {
	t.Helper()
	r, err := New(pid, outW, errW)
	if err != nil {
		t.Fatalf("New(%d): %v", pid, err)
	}
	t.Cleanup(r.Close)
	return r
}

// runRedirection drives r as the loop does until nothing is pending
// (within limit): a step when due, then the reaper's peek, which hands the
// tracees' stops to Claim (and must never report one as an end), then a
// kick, as the loop kicks parked switches when the reaper saw reports. It
// returns what the steps gave up on.
func runRedirection(t *testing.T, r *Redirection, limit time.Duration) []failure {
	t.Helper()
	var failed []failure
	for deadline := time.Now().Add(limit); r.Pending(); time.Sleep(time.Millisecond) {
		if now := time.Now(); !now.Before(r.Due()) {
			if pid, err := r.Step(now); err != nil {
				failed = append(failed, failure{pid, err})
			}
		}
		if got, err := sys.PeekExited(Claim); got != 0 || err != nil {
			t.Fatalf("PeekExited = %d, %v: a stop or a failure was taken for an end", got, err)
		}
		r.Kick(time.Now())
		if time.Now().After(deadline) {
			t.Fatalf("still pending after %v", limit)
		}
	}
	return failed
}

// ptPipe is a pipe whose read end is closed at the end of the test; the
// write end is the caller's to close.
func ptPipe(t *testing.T) (r, w int) {
	t.Helper()
	r, w, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(r) })
	return r, w
}

// fdTarget is where pid's fd leads ("" when closed).
func fdTarget(pid, fd int) string {
	target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	return target
}

// expectUntouched checks that nothing of ours is left on pid: no tracer,
// nothing parked or adrift, and the given state (once settled: just
// detached, it runs until it is back in its system call or group stop).
func expectUntouched(t *testing.T, pid int, state byte) {
	t.Helper()
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Errorf("PID %d is still traced by %d", pid, tracer)
	}
	if len(ptActive) != 0 || len(ptAdrift) != 0 {
		t.Errorf("%d parked, %d adrift", len(ptActive), len(ptAdrift))
	}
	ptWaitState(t, pid, state)
}

// A process that does not stop at once (a vfork parent, in uninterruptible
// sleep for 400 ms) parks its switch: the first step gives the thread back
// at once, with the process seized by this thread; once it stops (its stop
// consumed by the reaper's peek and kept for it), the switch goes on to the
// end: no failure, no tracer left, not stopped.
func TestRedirectParksUntilTheProcessStops(t *testing.T) {
	ptLock(t)
	pid, oldR := ptHelperReady(t, "vfork")
	ptWaitState(t, pid, 'D')
	outR, outW := ptPipe(t)
	errR, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	r := newRedirection(t, pid, outW, errW)
	start := time.Now()
	if failed, err := r.Step(start); failed != 0 || err != nil {
		t.Fatalf("first step: %d, %v", failed, err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("the first step took %v: it waited for the stop (the vfork lasts 400 ms)", d)
	}
	if r.resume == nil || ptActive[pid] == nil || ptTracerOf(pid) != unix.Gettid() {
		t.Fatalf("after the first step: parked=%v, active=%v, tracer %d (this thread %d); want the switch parked on the seized process",
			r.resume != nil, ptActive[pid] != nil, ptTracerOf(pid), unix.Gettid())
	}
	if !r.Pending() || r.Due().After(time.Now().Add(parkPoll)) {
		t.Fatalf("pending=%v, due in %v; want a parked switch due within %v", r.Pending(), time.Until(r.Due()), parkPoll)
	}
	if failed := runRedirection(t, r, 8*time.Second); len(failed) > 0 {
		t.Fatalf("failures: %v", failed)
	}
	if r.Processes() != 1 || fdTarget(pid, 1) != injTarget(t, outR) || fdTarget(pid, 2) != injTarget(t, errR) {
		t.Fatalf("%d switched; fd 1 -> %s, fd 2 -> %s; want our pipes %s, %s",
			r.Processes(), fdTarget(pid, 1), fdTarget(pid, 2), injTarget(t, outR), injTarget(t, errR))
	}
	// Its first words after the vfork come through us, none through the old pipe.
	if got := injLine(t, outR); got != "vfork done" {
		t.Fatalf("stdout %q", got)
	}
	expectUntouched(t, pid, 'S')
	injNothing(t, oldR) // EOF: nothing came, and nobody holds the old pipe any more
}

// A process stopped by someone else (SIGSTOP) is redirected and stays
// stopped, untraced; SIGCONT lets it go on.
func TestRedirectKeepsAStoppedProcessStopped(t *testing.T) {
	ptLock(t)
	_, oldW := ptPipe(t)
	pid := ptStart(t, -1, oldW, oldW, "/bin/sleep", "1000")
	sys.Close(oldW)
	ptWaitBlocked(t, pid, "sleep")
	_ = unix.Kill(pid, unix.SIGSTOP)
	ptWaitState(t, pid, 'T')
	outR, outW := ptPipe(t)
	errR, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	r := newRedirection(t, pid, outW, errW)
	if failed := runRedirection(t, r, 8*time.Second); len(failed) > 0 {
		t.Fatalf("failures: %v", failed)
	}
	if fdTarget(pid, 1) != injTarget(t, outR) || fdTarget(pid, 2) != injTarget(t, errR) {
		t.Fatalf("fd 1 -> %s, fd 2 -> %s: not redirected", fdTarget(pid, 1), fdTarget(pid, 2))
	}
	expectUntouched(t, pid, 'T')
	_ = unix.Kill(pid, unix.SIGCONT)
	ptWaitState(t, pid, 'S')
}

// readLine reads fd up to and including a newline, within 5 s (nil if
// none came).
func readLine(fd int) []byte {
	var line []byte
	b := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for !bytes.HasSuffix(line, []byte("\n")) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, int(time.Until(deadline).Milliseconds())); n <= 0 {
			return nil
		}
		n, err := unix.Read(fd, b)
		if n <= 0 || err != nil {
			return line
		}
		line = append(line, b[:n]...)
	}
	return line
}

// A process in the middle of writing a line of more than PIPE_BUF bytes
// to its stdout (blocked: the pipe is full) is left alone until the write
// is over: the step gives up for now and retries. The line then stays
// whole in the old pipe, and the next one comes whole through ours.
// Switching at once would have put the first 64 KiB in the old pipe and
// the rest in ours.
func TestRedirectDoesNotTearALine(t *testing.T) {
	ptLock(t)
	inR, inW, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(inW)
	oldR, oldW := ptPipe(t)
	errR, errW := ptPipe(t)
	pid := ptHelperStart(t, "bigline", inR, oldW, errW)
	sys.Close(inR, oldW, errW)
	if got := injLine(t, errR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	_, _ = unix.Write(inW, []byte("1"))
	ptWaitBlocked(t, pid, "") // in write(2): the old pipe is full, nobody reads it
	outR, outW := ptPipe(t)
	ourErrR, ourErrW := ptPipe(t)
	r := newRedirection(t, pid, outW, ourErrW)
	now := time.Now()
	if failed, err := r.Step(now); failed != 0 || err != nil {
		t.Fatalf("first step: %d, %v; want a retry, no failure", failed, err)
	}
	if fdTarget(pid, 1) == injTarget(t, outR) || r.Processes() != 0 {
		t.Fatal("switched in the middle of a write")
	}
	if len(r.steps) != 1 || r.steps[0].tries != 1 || !r.steps[0].due.Equal(now.Add(firstRetry)) || len(ptActive) != 0 {
		t.Fatalf("steps %+v, %d parked; want one retry due in %v, nothing seized", r.steps, len(ptActive), firstRetry)
	}
	first := make(chan []byte, 1)
	go func() { first <- readLine(oldR) }()
	if failed := runRedirection(t, r, 8*time.Second); len(failed) > 0 {
		t.Fatalf("failures: %v", failed)
	}
	if got := <-first; !bytes.Equal(got, bigLine('1')) {
		t.Fatalf("the old pipe got %d bytes, want the whole first line (%d)", len(got), bigLineLen)
	}
	_, _ = unix.Write(inW, []byte("2"))
	if got := readLine(outR); !bytes.Equal(got, bigLine('2')) {
		t.Fatalf("our stdout got %d bytes, want the second line whole (%d)", len(got), bigLineLen)
	}
	sys.Close(inW) // EOF: the helper ends
	injExpectExit(t, pid, 0)
	r.Close()
	sys.Close(outW, ourErrW)
	injNothing(t, outR)
	injNothing(t, oldR)
	injNothing(t, ourErrR)
}

// A parked switch whose process ends is abandoned by Close, as when the
// supervisor drops the job of an ended process: nothing is left parked or
// adrift, and the end is the reaper's as usual.
func TestRedirectParkedSwitchEndsWithItsProcess(t *testing.T) {
	ptLock(t)
	pid, _ := ptHelperReady(t, "vfork")
	ptWaitState(t, pid, 'D')
	_, outW := ptPipe(t)
	_, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	r := newRedirection(t, pid, outW, errW)
	if failed, err := r.Step(time.Now()); failed != 0 || err != nil {
		t.Fatalf("first step: %d, %v", failed, err)
	}
	if ptActive[pid] == nil {
		t.Fatal("not parked")
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	ptWaitExited(t, pid)
	r.Close()
	if r.Pending() || len(ptActive) != 0 || len(ptAdrift) != 0 {
		t.Fatalf("after Close: pending=%v, %d parked, %d adrift", r.Pending(), len(ptActive), len(ptAdrift))
	}
	if st, ok := sys.Reap(pid); !ok || st.Signal != unix.SIGKILL {
		t.Fatalf("reap = %+v, %v; want killed by SIGKILL", st, ok)
	}
}

// ptWaitExited waits (at most 5 s) until pid, our child, has ended,
// without collecting it.
func ptWaitExited(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
			t.Fatalf("waiting for PID %d: %v", pid, err)
		}
		if sys.ChildPID(&info) == pid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d still runs", pid)
		}
	}
}

// A descendant that closed its stdout and stderr has nothing to switch:
// it ends quietly (no failure), and only the adopted process counts.
func TestRedirectDescendantWithoutOutputIsQuiet(t *testing.T) {
	ptLock(t)
	_, oldW := ptPipe(t)
	pid := ptStart(t, -1, oldW, oldW, "/bin/sh", "-c", "sleep 1000 >&- 2>&- & wait")
	sys.Close(oldW)
	var kid int
	for deadline := time.Now().Add(5 * time.Second); kid == 0 || commOf(kid) != "sleep" || !inSyscall(kid); time.Sleep(time.Millisecond) {
		if kids, _ := procfs.Children(pid); len(kids) == 1 {
			kid = kids[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no sleeping child")
		}
	}
	defer unix.Kill(kid, unix.SIGKILL)
	ptWaitBlocked(t, pid, "sh")
	outR, outW := ptPipe(t)
	_, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	r := newRedirection(t, pid, outW, errW)
	if failed := runRedirection(t, r, 8*time.Second); len(failed) > 0 {
		t.Fatalf("failures: %v", failed)
	}
	if r.Processes() != 1 || fdTarget(pid, 1) != injTarget(t, outR) {
		t.Fatalf("%d switched, fd 1 -> %s", r.Processes(), fdTarget(pid, 1))
	}
	if got1, got2 := fdTarget(kid, 1), fdTarget(kid, 2); got1 != "" || got2 != "" {
		t.Fatalf("the descendant's fds 1 and 2 lead to %q, %q; want closed", got1, got2)
	}
	expectUntouched(t, pid, 'S')
}

// A descendant that must not be touched (here: it runs under a seccomp
// filter of its own, which could kill it for our calls) is given up on
// with the reason; the adopted process itself is redirected.
func TestRedirectDescendantUnderSeccomp(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, oldW := ptPipe(t)
	inR, inW := injPipe(t) // the helper blocks reading it
	pid := ptStartAttr(t, &syscall.SysProcAttr{}, inR, oldW, oldW, "/usr/bin/env", ptHelperEnv+"=seccomp",
		"/bin/sh", "-c", `exec 3<&0; "$0" -test.run='^$' <&3 3<&- & wait`, exe)
	oldTarget := injTarget(t, oldW)
	sys.Close(oldW)
	var kid int
	for deadline := time.Now().Add(5 * time.Second); kid == 0 || statusField(kid, kid, "Seccomp") != "2"; time.Sleep(time.Millisecond) {
		if kids, _ := procfs.Children(pid); len(kids) == 1 && commOf(pid) == "sh" {
			kid = kids[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no helper under its seccomp filter")
		}
	}
	defer unix.Kill(kid, unix.SIGKILL)
	ptWaitBlocked(t, kid, "")
	outR, outW := ptPipe(t)
	_, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	r := newRedirection(t, pid, outW, errW)
	failed := runRedirection(t, r, 8*time.Second)
	if len(failed) != 1 || failed[0].pid != kid || !errors.Is(failed[0].err, errPtSandbox) {
		t.Fatalf("failures %v; want PID %d: %v", failed, kid, errPtSandbox)
	}
	if got := fdTarget(pid, 1); got != injTarget(t, outR) {
		t.Fatalf("the adopted process was not redirected: fd 1 -> %s", got)
	}
	if got := fdTarget(kid, 1); got != oldTarget {
		t.Fatalf("the filtered descendant was touched: fd 1 -> %s, want %s", got, oldTarget)
	}
	_, _ = unix.Write(inW, []byte("x")) // the helper ends
}
