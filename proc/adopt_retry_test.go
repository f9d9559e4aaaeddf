//go:build amd64 || arm64

package proc

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// adoptedProcess enters pid in the owner table as an adopted process and
// queues its redirection, as takeReparented does.
func adoptedProcess(s *Supervisor, pid int, name string) *process {
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleAdopted, label: name + "/" + strconv.Itoa(pid)}
	s.procs[pid] = p
	s.adoptOutput(p, name)
	return p
}

// expectUntouched checks that nothing of ours is left on pid: no tracer,
// the given state (once settled: just detached, it runs until it is back
// in its system call or its group stop), and no shutdown started.
func expectUntouched(t *testing.T, s *Supervisor, pid int, state byte) {
	t.Helper()
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Errorf("PID %d is still traced by %d", pid, tracer)
	}
	st := procState(pid, pid)
	for deadline := time.Now().Add(5 * time.Second); st != state && time.Now().Before(deadline); st = procState(pid, pid) {
		time.Sleep(time.Millisecond)
	}
	if st != state {
		t.Errorf("PID %d is in state %c, want %c", pid, st, state)
	}
	if s.shutting || s.exitSet {
		t.Errorf("shutting=%v exitSet=%v: a stop or a failure was taken for an end", s.shutting, s.exitSet)
	}
}

// switched reports whether pid's fd no longer leads where old leads, but
// to another pipe (ours: nothing else could have switched it).
func switched(t *testing.T, pid, fd, old int) bool {
	t.Helper()
	target, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	return target != injTarget(t, old) && strings.HasPrefix(target, "pipe:[")
}

// vforkWaiting starts the helper that waits 400 ms for its vfork child, in
// uninterruptible sleep, with stdout and stderr on a pipe of the test, and
// returns once it waits.
func vforkWaiting(t *testing.T) (pid, oldR, oldW int) {
	t.Helper()
	oldR, oldW = injPipe(t)
	pid = ptHelperStart(t, "vfork", injDevNull(t), oldW, oldW)
	if got := injLine(t, oldR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	for deadline := time.Now().Add(5 * time.Second); procState(pid, pid) != 'D'; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the helper never waited for its vfork child")
		}
	}
	return pid, oldR, oldW
}

// A process that does not stop at once (a vfork parent, in uninterruptible
// sleep for 400 ms) parks its switch: the loop gets the thread back at
// once, with the process seized; once it stops (its stop consumed by the
// reaper's peek and kept for it), the switch goes on to the end: no
// warning, no tracer left, not stopped, no shutdown.
func TestAdoptParksUntilTheProcessStops(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true})
	pid, _, oldW := vforkWaiting(t)
	adoptedProcess(s, pid, "helper")
	s.adoptSome()
	if len(s.adoptions) != 1 || ptActive[pid] == nil || ptTracerOf(pid) != os.Getpid() {
		t.Fatalf("first turn: %d jobs, parked=%v, tracer %d; want the switch parked on the seized process",
			len(s.adoptions), ptActive[pid] != nil, ptTracerOf(pid))
	}
	for deadline := time.Now().Add(8 * time.Second); len(s.adoptions) > 0; time.Sleep(time.Millisecond) {
		if got, err := peekExited(); got != 0 || err != nil { // keeps the stop for the switch
			t.Fatalf("peekExited = %d, %v", got, err)
		}
		s.tick()
		s.kickAdoptions()
		s.adoptSome()
		if time.Now().After(deadline) {
			t.Fatal("still not redirected")
		}
	}
	expectMessages(t, s)
	// Its first words after the vfork come through us.
	for deadline := time.Now().Add(5 * time.Second); len(s.out.stderr.buf) == 0; s.out.readTurn() {
		if time.Now().After(deadline) {
			t.Fatal("nothing came through our pipe")
		}
		if _, err := s.loop.Poll(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	n := strconv.Itoa(pid)
	expectMessages(t, s, "TS dinit: warning: helper/"+n+": not JSON stdout: vfork done")
	if !switched(t, pid, 1, oldW) || len(ptActive) != 0 || len(ptAdrift) != 0 {
		t.Fatalf("switched=%v, %d parked, %d adrift", switched(t, pid, 1, oldW), len(ptActive), len(ptAdrift))
	}
	expectUntouched(t, s, pid, 'S')
}

// A process stopped by someone else (SIGSTOP) is redirected and stays
// stopped, untraced; SIGCONT lets it go on.
func TestAdoptKeepsAStoppedProcessStopped(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true})
	_, oldW := injPipe(t)
	pid := ptStart(t, -1, oldW, oldW, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	_ = unix.Kill(pid, unix.SIGSTOP)
	for deadline := time.Now().Add(5 * time.Second); procState(pid, pid) != 'T'; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not stopped")
		}
	}
	adoptedProcess(s, pid, "sleep")
	adoptAll(t, s)
	expectMessages(t, s)
	if !switched(t, pid, 1, oldW) || !switched(t, pid, 2, oldW) {
		t.Fatal("not redirected")
	}
	expectUntouched(t, s, pid, 'T')
	_ = unix.Kill(pid, unix.SIGCONT)
	for deadline := time.Now().Add(5 * time.Second); procState(pid, pid) != 'S'; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("state %c after SIGCONT", procState(pid, pid))
		}
	}
}

// A process in the middle of writing a line of more than PIPE_BUF bytes
// to its stdout (blocked: the pipe is full) is left alone until the write
// is over; the line then stays whole in the old pipe, and the next one
// comes whole through ours. Switching at once would have put the first
// 64 KiB in the old pipe and the rest in ours.
func TestAdoptDoesNotTearALine(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true})
	inR, inW := injPipe(t)
	oldR, oldW := injPipe(t)
	errR, errW := injPipe(t)
	pid := ptHelperStart(t, "bigline", inR, oldW, errW)
	if got := injLine(t, errR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	_, _ = unix.Write(inW, []byte("1"))
	ptWaitBlocked(t, pid, "") // in write(2): the old pipe is full, nobody reads it
	adoptedProcess(s, pid, "big")
	s.adoptSome()
	if len(s.adoptions) != 1 || switched(t, pid, 1, oldW) {
		t.Fatal("switched in the middle of a write")
	}
	expectMessages(t, s)
	first := make(chan []byte, 1)
	go func() { first <- readLine(oldR) }()
	adoptAll(t, s)
	if got := <-first; !bytes.Equal(got, bigLine('1')) {
		t.Fatalf("the old pipe got %d bytes, want the whole first line (%d)", len(got), bigLineLen)
	}
	_, _ = unix.Write(inW, []byte("2"))
	closeFds(inW)
	runToEnd(t, s)
	want := string(bigLine('2'))
	want = want[:len(want)-2] + `,"service":"big","stage":"` + strconv.Itoa(pid) + `","logged":"TS"}` + "\n"
	if got := tsRe.ReplaceAllString(string(s.out.stdout.buf), "TS"); got != want {
		t.Fatalf("our stdout got %d bytes, want the second line whole (%d)", len(got), len(want))
	}
	expectMessages(t, s, "TS dinit: info: big/"+strconv.Itoa(pid)+": PID "+strconv.Itoa(pid)+" finished with status 0")
}

// readLine reads fd up to and including a newline (blocking).
func readLine(fd int) []byte {
	var line []byte
	b := make([]byte, 4096)
	for !bytes.HasSuffix(line, []byte("\n")) {
		n, err := unix.Read(fd, b)
		if n <= 0 || err != nil {
			return line
		}
		line = append(line, b[:n]...)
	}
	return line
}

// Adoptions are worked on a slice per turn, a step at least: with many
// adopted at once, the loop turns between steps instead of adopting them
// all before it serves anything else. Here the slice is zero: one step per
// turn, and the loop does not wait while steps are due.
func TestAdoptionsTakeASlicePerTurn(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt})
	s.adoptSlice = 0
	s.reparent.due = s.now.Add(time.Hour)
	var pids []int
	for range 3 {
		_, oldW := injPipe(t)
		pid := ptStart(t, -1, oldW, oldW, "/bin/sleep", "1000")
		ptWaitBlocked(t, pid, "sleep")
		adoptedProcess(s, pid, "sleep")
		pids = append(pids, pid)
	}
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("deadline %v after now with adoptions to do", d.Sub(s.now))
	}
	s.adoptSome()
	if len(s.adoptions) < 2 {
		t.Fatalf("one turn finished %d adoptions of 3", 3-len(s.adoptions))
	}
	adoptAll(t, s)
	expectMessages(t, s)
	for _, pid := range pids {
		expectUntouched(t, s, pid, 'S')
	}
}

// A parked switch whose process ends is abandoned with the job: nothing
// is left parked or adrift, and the end is the reaper's as usual.
func TestAdoptParkedSwitchEndsWithItsProcess(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true})
	pid, _, _ := vforkWaiting(t)
	p := adoptedProcess(s, pid, "helper")
	s.adoptSome()
	if ptActive[pid] == nil {
		t.Fatal("not parked")
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	waitExited(t, pid)
	s.ended(p, exitStatus{signal: unix.SIGKILL})
	if len(s.adoptions) != 0 || len(ptActive) != 0 || len(ptAdrift) != 0 {
		t.Fatalf("%d jobs, %d parked, %d adrift after the end", len(s.adoptions), len(ptActive), len(ptAdrift))
	}
	if st, ok := reapPID(pid); !ok || st.signal != unix.SIGKILL {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
}
