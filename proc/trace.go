package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Output redirection of adopted processes runs system calls inside the
// adopted process (the tracee) with ptrace:
//
//   - PTRACE_SEIZE + PTRACE_INTERRUPT stop it without a signal it could see;
//   - its registers are saved, then each system call is run by pointing the
//     program counter at a system-call instruction found in its vDSO and
//     stepping with PTRACE_SYSCALL to the call's exit. No code or data of
//     the tracee is written: scratch memory is a page it maps (injected
//     mmap) and unmaps again, so other threads running the same code are
//     never disturbed;
//   - the registers are restored exactly; a system call the tracee was
//     blocked in (nanosleep, read, ...) is set up to restart as the kernel
//     would have restarted it, then PTRACE_DETACH.
//
// Every wait for the tracee is bounded by traceStopWait; a tracee that does
// not stop in time (uninterruptible sleep) is given up. All ptrace requests
// come from the loop's locked thread, the one that seized.

// traceStopWait bounds each wait for a ptrace stop.
const traceStopWait = 100 * time.Millisecond

// errTraceTimeout: the tracee did not stop in time.
var errTraceTimeout = errors.New("the process did not stop within 100 ms (uninterruptible sleep?)")

// errTraceBusy: stop after stop came that was not the one awaited.
var errTraceBusy = errors.New("the process kept stopping for other reasons")

// si_code values of SIGCHLD (not in x/sys/unix).
const (
	cldTrapped = 4
	cldStopped = 5
)

// errTraceExited: the tracee ended while we worked on it.
var errTraceExited = errors.New("the process ended")

// tracee is one seized process.
type tracee struct {
	pid     int
	saved   regs          // registers at the interrupt stop
	sysAddr uintptr       // a system-call instruction in its vDSO
	pending []unix.Signal // signals that arrived while stopped, delivered at release
}

// seize attaches to pid and stops it. On error, pid is not left attached.
func seize(pid int) (*tracee, error) {
	if err := unix.PtraceSeize(pid); err != nil {
		return nil, err
	}
	t := &tracee{pid: pid}
	if err := t.stop(); err != nil {
		t.release()
		return nil, err
	}
	return t, nil
}

func (t *tracee) stop() error {
	if err := unix.PtraceInterrupt(t.pid); err != nil {
		return err
	}
	if err := t.waitFor(func(ws unix.WaitStatus) bool { return ws.TrapCause() == unix.PTRACE_EVENT_STOP }); err != nil {
		return err
	}
	// Syscall stops then read SIGTRAP|0x80, apart from every other stop.
	if err := unix.PtraceSetOptions(t.pid, unix.PTRACE_O_TRACESYSGOOD); err != nil {
		return err
	}
	if err := getRegs(t.pid, &t.saved); err != nil {
		return err
	}
	if probe := t.saved; !restartSyscall(&probe) {
		return errNoRestart
	}
	addr, err := vdsoSyscall(t.pid)
	if err != nil {
		return err
	}
	t.sysAddr = addr
	return nil
}

// release restores the saved registers (with the interrupted system call
// set to restart) and detaches. Safe to call on a failed seize.
func (t *tracee) release() {
	if t.sysAddr != 0 {
		r := t.saved
		restartSyscall(&r)
		_ = setRegs(t.pid, &r)
	}
	var first unix.Signal
	if len(t.pending) > 0 {
		first = t.pending[0]
	}
	_, _, _ = unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(t.pid), 0, uintptr(first), 0, 0)
	for _, sig := range t.pending[min(1, len(t.pending)):] {
		_ = unix.Kill(t.pid, sig)
	}
}

// waitFor resumes the tracee past stops that are not the one wanted: a
// signal that arrives meanwhile is held back (resumed with 0) and delivered
// at release, so the tracee sees it as if we had not been there.
func (t *tracee) waitFor(wanted func(unix.WaitStatus) bool) error {
	for i := 0; i < 16; i++ {
		ws, err := waitTraceStop(t.pid)
		if err != nil {
			return err
		}
		if wanted(ws) {
			return nil
		}
		if ws.TrapCause() == 0 && ws.StopSignal()&0x80 == 0 {
			t.pending = append(t.pending, ws.StopSignal())
		}
		if err := unix.PtraceSyscall(t.pid, 0); err != nil {
			return err
		}
	}
	return errTraceBusy
}

func isSyscallStop(ws unix.WaitStatus) bool { return ws.StopSignal() == unix.SIGTRAP|0x80 }

// syscall runs one system call in the tracee and returns its result.
func (t *tracee) syscall(nr uintptr, args ...uintptr) (uintptr, error) {
	r := t.saved
	setSyscall(&r, t.sysAddr, nr, args)
	if err := setRegs(t.pid, &r); err != nil {
		return 0, err
	}
	for i := 0; i < 2; i++ { // to the call's entry, then to its exit
		if err := unix.PtraceSyscall(t.pid, 0); err != nil {
			return 0, err
		}
		if err := t.waitFor(isSyscallStop); err != nil {
			return 0, err
		}
	}
	if err := getRegs(t.pid, &r); err != nil {
		return 0, err
	}
	ret := syscallResult(&r)
	if e := -int64(ret); e > 0 && e < 4096 {
		return 0, unix.Errno(e)
	}
	return ret, nil
}

// waitTraceStop waits, bounded, for the next stop of a tracee. An exit is
// left to the one reaper (WNOWAIT): it is reported as errTraceExited.
func waitTraceStop(pid int) (unix.WaitStatus, error) {
	deadline := time.Now().Add(traceStopWait)
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if err == nil && siginfoPID(&info) == pid {
			if info.Code != cldTrapped && info.Code != cldStopped {
				return 0, errTraceExited
			}
			var ws unix.WaitStatus
			if _, err := unix.Wait4(pid, &ws, unix.WALL|unix.WNOHANG, nil); err != nil {
				return 0, err
			}
			return ws, nil
		}
		if time.Now().After(deadline) {
			return 0, errTraceTimeout
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// vdsoSyscall finds a system-call instruction in the tracee's vDSO.
func vdsoSyscall(pid int) (uintptr, error) {
	start, end, err := vdsoRange(pid)
	if err != nil {
		return 0, err
	}
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/mem", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer closeFds(fd)
	buf := make([]byte, end-start)
	n, err := unix.Pread(fd, buf, int64(start))
	if err != nil {
		return 0, err
	}
	if i := findSyscallInsn(buf[:n]); i >= 0 {
		return start + uintptr(i), nil
	}
	return 0, errors.New("no system-call instruction in the vDSO")
}

func vdsoRange(pid int) (start, end uintptr, err error) {
	maps, err := readProc(pid, "maps")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(maps, "\n") {
		if !strings.HasSuffix(line, "[vdso]") {
			continue
		}
		lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if ok && err1 == nil && err2 == nil && b > a {
			return uintptr(a), uintptr(b), nil
		}
	}
	return 0, 0, errors.New("no vDSO mapping")
}

func readProc(pid int, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), name))
	return string(b), err
}
