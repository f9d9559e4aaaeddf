//go:build amd64 || arm64

package inject

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
// stop is handled by Claim. ptActive holds the tracees being worked
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
