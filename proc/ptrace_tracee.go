//go:build amd64 || arm64

package proc

// System-call injection with ptrace, used by the adopt policy to switch an
// adopted process's stdout and stderr (ptrace_*.go, inject_*.go, adopt_*.go).
//
// One injection into one thread (the tracee):
//
//  1. PTRACE_SEIZE (option PTRACE_O_TRACESYSGOOD) and PTRACE_INTERRUPT stop
//     it without sending it a signal it could see. Each stop is awaited by
//     polling waitid(P_PID, WSTOPPED|WNOHANG|__WALL), bounded per stop and
//     per process (ptWaiting). The loop's redirections park between two
//     polls (2 s per stop, 5 s per process: see adopt_redirect.go), so the
//     loop never waits for a tracee; without parking (the tests of this
//     layer) the polls are a few sched_yield and short sleeps apart (see
//     ptPause; 100 ms per stop, 250 ms per process). A tracee that does not
//     stop in time (uninterruptible sleep: a vfork parent, NFS, FUSE) is
//     given up: see "adrift" below; the redirection tries it again later.
//  2. Its signal mask is saved (PTRACE_GETSIGMASK, which returns the mask
//     to restore when a sigsuspend/ppoll-style call has a temporary one) and
//     every signal is blocked (PTRACE_SETSIGMASK): a signal that arrives
//     while we work stays queued with its siginfo, and is delivered by the
//     kernel after we leave, instead of interrupting an injected call or
//     stopping the tracee where we would have to hold it back and lose its
//     siginfo. Only SIGKILL and SIGSTOP cannot be blocked: a SIGSTOP seen
//     meanwhile is sent again after the detach.
//  3. Its registers are saved (PTRACE_GETREGSET NT_PRSTATUS). Each system
//     call is run by pointing the program counter at a system-call
//     instruction (`syscall`, 0f 05, on amd64; `svc #0` on arm64) found in
//     its vDSO, with the number and arguments in registers, then
//     PTRACE_SYSCALL to the call's entry stop and again to its exit stop,
//     where the result is read. Why the vDSO: nothing of the tracee is
//     overwritten. Writing an instruction at its program counter would
//     need the bytes restored exactly, and its other threads, which keep
//     running, could execute the patched bytes meanwhile.
//  4. The registers are restored so that a system call it was blocked in
//     resumes as the kernel would have resumed it after a signal with no
//     handler (ptrace_amd64.go, ptrace_arm64.go), the signal mask is
//     restored, and PTRACE_DETACH lets it go.
//
// Adrift: when a wait times out the tracee is not in a ptrace stop, so it
// cannot be detached (PTRACE_DETACH needs a stopped tracee) and it would
// stop, later, for good. It is recorded in ptAdrift instead. Its next stop
// reaches the one reaper (the kernel reports a tracee's stops to its tracer
// through wait even without WSTOPPED, and sends SIGCHLD): peekExited hands
// it to ptraceReport, which restores what was changed and detaches, without
// waiting. What an interrupted injection leaves behind is harmless: a
// received descriptor (close-on-exec) or the scratch page.
//
// All ptrace requests come from the loop's locked thread: the kernel takes
// them from the tracer thread only (others get ESRCH).
//
// Not bounded: reading a tracee's memory (PTRACE_PEEKTEXT/POKEDATA, and
// /proc/PID/maps and mem when its vDSO must be scanned) takes its mmap
// lock, which a thread of it stuck in a page fault on a hung network
// filesystem could hold indefinitely.

import (
	"errors"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Bounds of the loop's time spent on tracees.
const (
	ptStopWait   = 100 * time.Millisecond // one stop of one tracee, without parking
	ptStepBudget = 250 * time.Millisecond // one process, all its stops, without parking
)

// Reasons an injection gives up, worded for "cannot redirect output of PID
// N: <reason>".
var (
	errPtZombie  = errors.New("the process has ended (zombie)")
	errPtGone    = errors.New("the process ended while its output was being redirected")
	errPtTimeout = errors.New("the process did not stop in time (uninterruptible sleep?)")
	errPtBudget  = errors.New("the process took too long to go through its stops")
	errPtAdrift  = errors.New("the process has not stopped since an earlier attempt")
	errPtWriting = errors.New("the process is in the middle of writing its output")
	errPtAborted = errors.New("the redirection was abandoned")
	errPtStrict  = errors.New("the process runs in seccomp strict mode")
	errPtSandbox = errors.New("the process runs under a seccomp filter of its own")
	errPtABI     = errors.New("the process is not a 64-bit process of dinit's architecture")
	errPtNoInsn  = errors.New("no system-call instruction found in its vDSO")
	errPtBusy    = errors.New("the process kept stopping for other reasons")
)

// ptStop is where a tracee is stopped.
type ptStop uint8

const (
	ptRunning   ptStop = iota // not in a ptrace stop (or unknown)
	ptInterrupt               // PTRACE_EVENT_STOP: our interrupt, or a group-stop
	ptEntry                   // syscall-entry stop
	ptExit                    // syscall-exit stop
	ptSignal                  // signal-delivery stop
	ptSyscall                 // a system-call stop, entry or exit (decoding only)
)

// si_code values of SIGCHLD (not in x/sys/unix).
const (
	ptCldExited = iota + 1
	ptCldKilled
	ptCldDumped
	ptCldTrapped
	ptCldStopped
)

// ptTracee is one seized thread.
type ptTracee struct {
	tgid, tid int
	child     bool // our child: its end belongs to the reaper
	deadline  time.Time

	at      ptStop           // where it is stopped now
	saved   ptRegs           // registers when it stopped for us
	mask    uint64           // its signal mask, restored at release
	maskSet bool             // mask saved and every signal blocked
	dirty   bool             // registers changed since saved
	insn    uintptr          // the system-call instruction we run
	held    []syscall.Signal // unblockable signals (SIGSTOP) to send again
	gone    bool             // it ended (ESRCH, or an exit seen)
	lost    error            // a wait gave up: no more requests but release

	// Waiting for a stop: at most stopWait each; park, when set, gives
	// the loop back until the stop may be there (false: give up).
	stopWait time.Duration
	park     func() bool
	stashed  ptReport // a stop the reaper consumed for us meanwhile

	seized, released time.Time // for measurements
}

// ptReport is a stop as a wait reported it.
type ptReport struct {
	kind ptStop
	sig  syscall.Signal
	ok   bool
}

// ptAdrift holds tracees that did not stop in time, by TID: their next
// stop is handled by ptraceReport. ptActive holds the tracees being worked
// on while they are parked (see ptWaiting). Loop thread only.
var (
	ptAdrift = map[int]*ptTracee{}
	ptActive = map[int]*ptTracee{}
)

// ptWaiting is how a tracee waits for its stops: at most stopWait each,
// and within deadline in all; park, when set, is called between two polls
// (see ptTracee.park).
type ptWaiting struct {
	deadline time.Time
	stopWait time.Duration
	park     func() bool
}

// ptSeize attaches to thread tid of process tgid and stops it, with every
// signal blocked and its registers saved, waiting for its stops by polling
// (ptStopWait each). On error nothing is left attached, except a tracee
// that did not stop in time: it is adrift.
func ptSeize(tgid, tid int, child bool, deadline time.Time) (*ptTracee, error) {
	return ptSeizeWaiting(tgid, tid, child, ptWaiting{deadline: deadline, stopWait: ptStopWait})
}

// ptSeizeWaiting is ptSeize with the given way of waiting.
func ptSeizeWaiting(tgid, tid int, child bool, w ptWaiting) (*ptTracee, error) {
	t := &ptTracee{tgid: tgid, tid: tid, child: child, deadline: w.deadline, stopWait: w.stopWait, park: w.park}
	if err := ptCheckTarget(tgid, tid); err != nil {
		return nil, err
	}
	t.seized = time.Now()
	if err := ptraceV(unix.PTRACE_SEIZE, tid, 0, unix.PTRACE_O_TRACESYSGOOD); err != nil {
		switch {
		case procState(tgid, tid) == 'Z':
			return nil, errPtZombie
		case errors.Is(err, unix.ESRCH):
			return nil, errPtGone
		case errors.Is(err, unix.EPERM):
			if tracer := statusField(tgid, tid, "TracerPid"); tracer != "" && tracer != "0" {
				// TracerPid is the tracing thread: name its process.
				if n, err := strconv.Atoi(tracer); err == nil {
					if p := statusField(n, n, "Tgid"); p != "" {
						tracer = p
					}
				}
				return nil, errors.New("it is already traced by PID " + tracer)
			}
		}
		return nil, err
	}
	if t.park != nil {
		ptActive[tid] = t
	}
	if err := t.prepare(); err != nil {
		t.release()
		return nil, err
	}
	return t, nil
}

// prepare stops the tracee, blocks its signals and saves its state.
func (t *ptTracee) prepare() error {
	if err := t.ptrace(unix.PTRACE_INTERRUPT, 0, nil); err != nil {
		return err
	}
	if err := t.waitStop(ptInterrupt); err != nil {
		return err
	}
	if err := t.ptrace(unix.PTRACE_GETSIGMASK, 8, unsafe.Pointer(&t.mask)); err != nil {
		return err
	}
	all := ^uint64(0)
	if err := t.ptrace(unix.PTRACE_SETSIGMASK, 8, unsafe.Pointer(&all)); err != nil {
		return err
	}
	t.maskSet = true
	if err := ptGetRegs(t.tid, &t.saved); err != nil {
		return t.fail(err)
	}
	info, err := t.syscallInfo()
	if err != nil {
		return t.fail(err)
	}
	if info.arch != ptArch {
		return errPtABI
	}
	addr, err := ptFindInsn(t)
	if err != nil {
		return err
	}
	t.insn = addr
	return ptCapture(t)
}

// call runs system call nr in the tracee and returns its result.
func (t *ptTracee) call(nr uintptr, args ...uintptr) (uintptr, error) {
	if t.gone {
		return 0, errPtGone
	}
	if t.lost != nil {
		// It may stop any time now; that stop is the adrift handling's
		// (taking it for one of a new call would mix up entry and exit).
		return 0, t.lost
	}
	r := t.saved
	ptSetCall(&r, t.insn, nr, args)
	t.dirty = true
	if err := ptSetRegs(t.tid, &r); err != nil {
		return 0, t.fail(err)
	}
	if err := t.step(ptEntry); err != nil {
		return 0, err
	}
	if err := t.step(ptExit); err != nil {
		return 0, err
	}
	if err := ptGetRegs(t.tid, &r); err != nil {
		return 0, t.fail(err)
	}
	ret := ptResult(&r)
	if e := -int64(ret); e > 0 && e < 4096 {
		return 0, ptCallError{unix.Errno(e)}
	}
	return ret, nil
}

// ptCallError is an error an injected call returned in the tracee.
type ptCallError struct{ errno unix.Errno }

func (e ptCallError) Error() string { return e.errno.Error() }
func (e ptCallError) Unwrap() error { return e.errno }

// step resumes the tracee to its next system-call stop, which must be want.
func (t *ptTracee) step(want ptStop) error {
	if err := t.ptrace(unix.PTRACE_SYSCALL, 0, nil); err != nil {
		return err
	}
	t.at = ptRunning
	return t.waitStop(want)
}

// waitStop waits, bounded, until the tracee stops at want. Other stops on
// the way are passed: a signal-delivery stop (only an unblockable signal
// can come) is suppressed and the signal sent again after the detach; a
// group-stop is resumed (the kernel re-enters it at the detach).
func (t *ptTracee) waitStop(want ptStop) error {
	for range 16 {
		kind, sig, err := t.nextStop()
		if err != nil {
			return err
		}
		if kind == ptSyscall && (want == ptEntry || want == ptExit) {
			// PTRACE_SYSCALL from a stop at the instruction leads to the
			// entry; from the entry, to the exit.
			kind = want
		}
		t.at = kind
		if kind == want {
			return nil
		}
		switch {
		case kind == ptSignal && want == ptInterrupt && !t.maskSet:
			// A signal dequeued just before our interrupt: deliver it as
			// the kernel would have; the interrupt stop follows.
			if err := t.fail(ptraceV(unix.PTRACE_CONT, t.tid, 0, uintptr(sig))); err != nil {
				return err
			}
			t.at = ptRunning
			continue
		case kind == ptSignal:
			t.held = append(t.held, sig)
		}
		// Resume to the stop we wait for. From a signal or group stop on
		// the way to an exit stop, the next system-call stop is that exit.
		if err := t.ptrace(unix.PTRACE_SYSCALL, 0, nil); err != nil {
			return err
		}
		t.at = ptRunning
	}
	return errPtBusy
}

// fail turns an ESRCH from a ptrace request into errPtGone when the
// tracee has ended (ESRCH also means "not stopped").
func (t *ptTracee) fail(err error) error {
	if errors.Is(err, unix.ESRCH) && t.ended() {
		return errPtGone
	}
	return err
}

func (t *ptTracee) ptrace(req int, addr uintptr, data unsafe.Pointer) error {
	return t.fail(ptraceP(req, t.tid, addr, data))
}

// ptraceP is ptrace(2) with a pointer argument kept a pointer until the
// system call (a uintptr would not keep its target alive nor follow a
// stack move).
func ptraceP(req, tid int, addr uintptr, data unsafe.Pointer) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, uintptr(data), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ptraceV is ptrace(2) with a plain value as data.
func ptraceV(req, tid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// PTRACE_GET_SYSCALL_INFO (Linux 5.3) op of an exit stop.
const ptSyscallInfoExit = 2

type ptSyscallInfo struct {
	op   uint8
	arch uint32
}

func (t *ptTracee) syscallInfo() (ptSyscallInfo, error) {
	var b [88]byte
	if err := ptraceP(unix.PTRACE_GET_SYSCALL_INFO, t.tid, uintptr(len(b)), unsafe.Pointer(&b[0])); err != nil {
		return ptSyscallInfo{}, err
	}
	return ptSyscallInfo{op: b[0], arch: *(*uint32)(unsafe.Pointer(&b[4]))}, nil
}

// ptGetRegs and ptSetRegs use PTRACE_GETREGSET/SETREGSET NT_PRSTATUS.
func ptGetRegs(tid int, r *ptRegs) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(r))}
	iov.SetLen(int(unsafe.Sizeof(*r)))
	return ptraceP(unix.PTRACE_GETREGSET, tid, uintptr(unix.NT_PRSTATUS), unsafe.Pointer(&iov))
}

func ptSetRegs(tid int, r *ptRegs) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(r))}
	iov.SetLen(int(unsafe.Sizeof(*r)))
	return ptraceP(unix.PTRACE_SETREGSET, tid, uintptr(unix.NT_PRSTATUS), unsafe.Pointer(&iov))
}
