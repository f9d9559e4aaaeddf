//go:build amd64 || arm64

package inject

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Letting a tracee go: at once when it is stopped, or at its next stop,
// reported through the reaper, when it is adrift (see doc.go).

// release restores the tracee and detaches, or leaves it adrift when it is
// not stopped (a wait timed out). Safe after any failure.
func (t *ptTracee) release() {
	delete(ptActive, t.tid)
	t.park = nil
	if t.gone || t.at == ptRunning && t.ended() {
		t.forgetEnded()
		return
	}
	if t.at == ptRunning {
		ptAdrift[t.tid] = t
		return
	}
	t.detach(0)
}

// detach restores the registers and the signal mask, then detaches with
// sig (delivered when the tracee is in a signal-delivery stop).
func (t *ptTracee) detach(sig syscall.Signal) {
	if t.dirty {
		r := t.saved
		ptRestore(t, &r)
		_ = ptSetRegs(t.tid, &r)
	}
	if t.maskSet {
		_ = ptraceP(unix.PTRACE_SETSIGMASK, t.tid, 8, unsafe.Pointer(&t.mask))
	}
	err := ptraceV(unix.PTRACE_DETACH, t.tid, 0, uintptr(sig))
	t.released = time.Now()
	if err != nil && t.ended() {
		t.forgetEnded()
		return
	}
	for _, s := range t.held {
		_ = unix.Tgkill(t.tgid, t.tid, s)
	}
}

// forgetEnded: a tracee that is not our child and ended while traced is a
// zombie visible to us only, until we collect it; the kernel then hands it
// to its real parent. Our child's end is left to the reaper.
func (t *ptTracee) forgetEnded() {
	delete(ptAdrift, t.tid)
	if t.child {
		return
	}
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, t.tid, &info, unix.WEXITED|unix.WNOHANG|unix.WALL, nil)
	if err == nil && sys.ChildPID(&info) == 0 {
		ptAdrift[t.tid] = t // still exiting: the reaper's next look collects it
	}
}

// Claim is called by the reaper for a child it saw through
// waitid(P_ALL): a stop (code CLD_TRAPPED/CLD_STOPPED) of a tracee, or an
// end. It returns true when it took care of it: a stop is never an end; an
// adrift tracee is restored and detached; the end of a tracee that is not
// our child is collected here so that the reaper never sees it.
func Claim(pid int, code int32) bool {
	if t := ptActive[pid]; t != nil {
		return t.reportWhileParked(code)
	}
	t := ptAdrift[pid]
	if code == ptCldTrapped || code == ptCldStopped {
		if t == nil {
			// Not ours to keep: never leave a tracee stopped.
			t = &ptTracee{tgid: pid, tid: pid}
			if kind, sig, ok, _ := t.pollStop(); ok {
				t.at = kind
				if kind != ptSignal {
					sig = 0
				}
				t.detach(sig)
			}
			return true
		}
		t.adrift()
		return true
	}
	if t == nil {
		return false
	}
	t.gone = true
	t.forgetEnded()
	return !t.child
}

// reportWhileParked takes a report of a tracee we are working on, parked
// until its next stop: the stop is consumed and kept for it (a stop left
// there would hide every other child's end from the reaper's waitid), and
// the end of one that is not our child is collected here.
func (t *ptTracee) reportWhileParked(code int32) bool {
	if code == ptCldTrapped || code == ptCldStopped {
		if kind, sig, ok, err := t.waitStopped(); ok && err == nil {
			t.stashed = ptReport{kind: kind, sig: sig, ok: true}
		}
		return true
	}
	t.gone = true
	t.forgetEnded()
	return !t.child
}

// adrift handles one stop of an adrift tracee without waiting.
func (t *ptTracee) adrift() {
	kind, sig, ok, err := t.pollStop()
	if err != nil || !ok {
		return
	}
	if kind == ptSyscall {
		// A system-call stop: entry or exit of an injected call, or the
		// arm64 capture of an interrupted one.
		kind = t.syscallStop()
	}
	t.at = kind
	if kind != ptSignal {
		sig = 0
	} else if t.dirty {
		// Only SIGSTOP gets through the blocked mask: keep it for later
		// and move on to a stop we can restore from.
		t.held, sig = append(t.held, sig), 0
		if ptraceV(unix.PTRACE_SYSCALL, t.tid, 0, 0) == nil {
			t.at = ptRunning
			return
		}
	}
	delete(ptAdrift, t.tid)
	t.detach(sig)
}

// syscallStop tells an entry stop from an exit stop.
func (t *ptTracee) syscallStop() ptStop {
	info, err := t.syscallInfo()
	if err == nil && info.op == ptSyscallInfoExit {
		return ptExit
	}
	return ptEntry
}
