//go:build amd64 || arm64

package inject

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// ptLock: ptrace requests must come from the thread that seized, as on
// dinit's locked loop thread. Nothing may be left adrift at the end (it
// could only be handled from this thread).
func ptLock(t testing.TB) {
	runtime.LockOSThread()
	t.Cleanup(func() {
		if len(ptAdrift) > 0 {
			t.Errorf("tracees left adrift: %v", ptAdrift)
			clear(ptAdrift)
		}
		runtime.UnlockOSThread()
	})
}

// ptStart starts argv with the given stdin, stdout and stderr (-1:
// /dev/null) and kills it at the end of the test.
func ptStart(t testing.TB, stdin, stdout, stderr int, argv ...string) int {
	t.Helper()
	return ptStartAttr(t, &syscall.SysProcAttr{}, stdin, stdout, stderr, argv...)
}

func ptStartAttr(t testing.TB, attr *syscall.SysProcAttr, stdin, stdout, stderr int, argv ...string) int {
	t.Helper()
	devnull, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(devnull)
	files := []uintptr{uintptr(devnull), uintptr(devnull), uintptr(devnull)}
	for i, fd := range []int{stdin, stdout, stderr} {
		if fd >= 0 {
			files[i] = uintptr(fd)
		}
	}
	pid, _, err := syscall.StartProcess(argv[0], argv, &syscall.ProcAttr{Dir: "/", Files: files, Sys: attr})
	if err != nil {
		t.Fatal(err)
	}
	ptKillAtEnd(t, pid)
	return pid
}

// ptKillAtEnd kills and reaps pid at the end of the test.
func ptKillAtEnd(t testing.TB, pid int) {
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WALL, nil)
	})
}

// ptWaitBlocked waits until pid runs comm ("": any) and sleeps (state S)
// in a system call.
func ptWaitBlocked(t testing.TB, pid int, comm string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if (comm == "" || commOf(pid) == comm) && procState(pid, pid) == 'S' && inSyscall(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never became a sleeping %s", pid, comm)
		}
	}
}

// ptWaitEnd reaps pid (blocking) and returns how it ended.
func ptWaitEnd(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || got != pid {
			t.Fatalf("wait4(%d) = %d, %v", pid, got, err)
		}
		if ws.Exited() || ws.Signaled() {
			return ws
		}
		t.Fatalf("PID %d reported %#x, not an end", pid, ws)
	}
}

// ptInject seizes pid, runs getpid in it and releases it.
func ptInject(t *testing.T, pid int) {
	t.Helper()
	tr, err := ptSeize(pid, pid, true, time.Now().Add(ptStepBudget))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.call(unix.SYS_GETPID)
	tr.release()
	if err != nil || int(got) != pid {
		t.Fatalf("getpid in the tracee = %d, %v; want %d", got, err, pid)
	}
}

// A tracee blocked in clock_nanosleep (sleep 100) runs an injected getpid,
// is released, keeps sleeping, and ends as usual when killed.
func TestPtraceGetpidInSleepingProcess(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	ptInject(t, pid)
	ptWaitState(t, pid, 'S') // asleep again
	_ = unix.Kill(pid, unix.SIGTERM)
	if ws := ptWaitEnd(t, pid); !ws.Signaled() || ws.Signal() != unix.SIGTERM {
		t.Fatalf("ended with %#x, want SIGTERM", ws)
	}
}

// restart_syscall: a `sleep 1` injected into half-way still ends 1 s after
// it started, neither earlier (a call returning early) nor 1 s after the
// injection (a call restarted from scratch), with status 0.
func TestPtraceSleepKeepsItsEnd(t *testing.T) {
	ptLock(t)
	start := time.Now()
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1")
	ptWaitBlocked(t, pid, "sleep")
	time.Sleep(400 * time.Millisecond)
	for range 3 {
		ptInject(t, pid)
	}
	ws := ptWaitEnd(t, pid)
	d := time.Since(start)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("ended with %#x", ws)
	}
	if d < time.Second || d > 1300*time.Millisecond {
		t.Fatalf("sleep 1 ended after %v", d)
	}
}

// A stop of a tracee is reported to waitid(P_ALL, WEXITED) (the kernel
// reports traced children's stops whatever the options): sys.PeekExited must
// hand it to Claim, never return it as an end. A tracee we left
// stopped is detached there.
func TestPeekExitedNeverReturnsAPtraceStop(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	if err := ptraceV(unix.PTRACE_SEIZE, pid, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := ptraceV(unix.PTRACE_INTERRUPT, pid, 0, 0); err != nil {
		t.Fatal(err)
	}
	ptWaitState(t, pid, 't') // in its ptrace stop
	if got, err := sys.PeekExited(Claim); got != 0 || err != nil {
		t.Fatalf("PeekExited = %d, %v; want 0", got, err)
	}
	ptWaitState(t, pid, 'S') // detached: asleep again, not stopped
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("still traced by %d", tracer)
	}
}

// ptTracerOf reads TracerPid from /proc/PID/status.
func ptTracerOf(pid int) int {
	status, _ := ptReadProc(pid, "status")
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, "TracerPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// A process already traced by someone else (a debugger) is refused with
// that reason.
func TestPtraceAlreadyTraced(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	seized, done := make(chan error), make(chan struct{})
	defer close(done)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine, detaching
		seized <- ptraceV(unix.PTRACE_SEIZE, pid, 0, 0)
		<-done
	}()
	if err := <-seized; err != nil {
		t.Fatal(err)
	}
	tr, err := ptSeize(pid, pid, true, time.Now().Add(ptStepBudget))
	if err == nil {
		tr.release()
	}
	if want := "it is already traced by PID " + strconv.Itoa(os.Getpid()); err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

// An injected call that outlasts the bound (here a nanosleep of 300 ms)
// leaves the tracee adrift in the middle of it; its exit stop, later,
// reaches the reaper (sys.PeekExited), which restores and detaches it. The
// read it was blocked in is then restarted: it still gets its input.
func TestPtraceAdriftInsideAnInjectedCall(t *testing.T) {
	ptLock(t)
	inR, inW, _ := sys.PlainPipe()
	outR, outW, _ := sys.PlainPipe()
	defer sys.Close(inW, outR)
	pid := ptStart(t, inR, outW, outW, "/bin/sh", "-c", `read x; echo "got $x"`)
	sys.Close(inR, outW)
	ptWaitBlocked(t, pid, "sh")
	tr, err := ptSeize(pid, pid, true, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	page, err := tr.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if err != nil {
		t.Fatal(err)
	}
	ts := unix.NsecToTimespec(int64(300 * time.Millisecond))
	if _, err := unix.PtracePokeData(pid, page, (*[16]byte)(unsafe.Pointer(&ts))[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.call(unix.SYS_NANOSLEEP, page, 0); !errors.Is(err, errPtTimeout) {
		t.Fatalf("nanosleep: %v, want %v", err, errPtTimeout)
	}
	if _, err := tr.call(unix.SYS_GETPID); !errors.Is(err, errPtTimeout) {
		t.Fatalf("a call after the timeout: %v", err)
	}
	tr.release()
	if ptAdrift[pid] == nil {
		t.Fatal("not adrift")
	}
	ptDrainAdrift(t)
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("traced by %d", tracer)
	}
	_, _ = unix.Write(inW, []byte("late\n"))
	if got := injLine(t, outR); got != "got late" {
		t.Fatalf("stdout %q", got)
	}
	if ws := ptWaitEnd(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Fatalf("ended with %#x", ws)
	}
}

// The vDSO scan (used when a tracee's vDSO does not match ours) finds a
// system-call instruction, and never the one at or right before pc.
func TestScanVDSO(t *testing.T) {
	first, err := ptScanVDSO("/proc/self/maps", "/proc/self/mem", 0)
	if err != nil {
		t.Fatal(err)
	}
	next, err := ptScanVDSO("/proc/self/maps", "/proc/self/mem", first)
	if err != nil || !ptAwayFrom(next, first) {
		t.Fatalf("with pc at the first instruction: %#x, %v", next, err)
	}
	base := auxvVDSO("/proc/self/auxv")
	off, ok := ptOwnInsnOffset()
	if base == 0 || !ok || base+off != first {
		t.Fatalf("vDSO at %#x, offset %#x (%v); the scan found %#x", base, off, ok, first)
	}
}

// inSyscall reports that pid is blocked in a system call: its
// /proc/PID/syscall starts with a call number ("running", or -1 when
// blocked outside a system call, otherwise).
func inSyscall(pid int) bool {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/syscall")
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return false
	}
	nr, err := strconv.Atoi(f[0])
	return err == nil && nr >= 0
}

// ptWaitState waits (at most 5 s) until pid's main thread is in state.
func ptWaitState(t testing.TB, pid int, state byte) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); procState(pid, pid) != state; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PID %d is in state %c, not %c, after 5 s", pid, procState(pid, pid), state)
		}
	}
}

// ptWaitComm waits (at most 5 s) until pid runs the program named comm.
func ptWaitComm(t testing.TB, pid int, comm string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); commOf(pid) != comm; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PID %d runs %q, not %q, after 5 s", pid, commOf(pid), comm)
		}
	}
}

// ptDrainAdrift peeks, as the reaper does, until every adrift tracee has
// reached its stop and been let go (at most 3 s); nothing may be reported
// as an end meanwhile.
func ptDrainAdrift(t *testing.T) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); len(ptAdrift) > 0; time.Sleep(5 * time.Millisecond) {
		if got, err := sys.PeekExited(Claim); got != 0 || err != nil {
			t.Fatalf("PeekExited = %d, %v", got, err)
		}
		if time.Now().After(deadline) {
			t.Fatal("still adrift")
		}
	}
}
