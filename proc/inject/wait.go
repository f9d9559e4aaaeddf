//go:build amd64 || arm64

package inject

import (
	"errors"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Waiting for a tracee's stops, bounded (see doc.go).

// nextStop waits, bounded by stopWait and the deadline, for the tracee's
// next stop and consumes it. An end is not consumed when the tracee is our
// child: the reaper collects it. With park set, the loop gets the thread
// back between two polls (never sched_yield then: with busy processes on
// every CPU, each yield gives the CPU away for tens of milliseconds).
func (t *ptTracee) nextStop() (ptStop, syscall.Signal, error) {
	deadline := time.Now().Add(t.stopWait)
	if t.deadline.Before(deadline) {
		deadline = t.deadline
	}
	for i := 0; ; i++ {
		kind, sig, ok, err := t.pollStop()
		if err != nil || ok {
			return kind, sig, err
		}
		now := time.Now()
		if !now.Before(deadline) {
			t.lost = errPtBudget
			if now.Before(t.deadline) {
				t.lost = errPtTimeout
			}
			return ptRunning, 0, t.lost
		}
		if t.park != nil {
			if !t.park() {
				t.lost = errPtAborted
				return ptRunning, 0, t.lost
			}
			continue
		}
		ptPause(i, deadline.Sub(now))
	}
}

// ptPause is the wait between two polls. Most stops are there at the first
// poll; when not, the tracee is usually waiting for a CPU: ours (woken
// tracees are often queued on the waker's CPU), or the other one waking up
// from idle (about 40 µs on the VM measured). So twenty sched_yield first,
// then sleeps growing from 2 µs to 1 ms: nanosleep on this thread, not
// time.Sleep (a Go timer wakes a locked thread about 1 ms late, which made
// every slow stop last a millisecond), with a timer slack of 1 ns during an
// adoption (ptLowSlack: the default 50 µs would be added to each sleep).
func ptPause(i int, left time.Duration) {
	const yields = 20
	if i < yields {
		_, _, _ = unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
		return
	}
	ts := unix.NsecToTimespec(int64(min(2*time.Microsecond<<min(i-yields, 9), time.Millisecond, left)))
	_ = unix.Nanosleep(&ts, nil)
}

// ptLowSlack sets this thread's timer slack to 1 ns, and returns what
// puts the previous one back.
func ptLowSlack() (restore func()) {
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil || unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) != nil {
		return func() {}
	}
	return func() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(old), 0, 0, 0) }
}

// pollStop looks once for a stop of the tracee, and consumes it: one the
// reaper consumed for us first (see Claim).
func (t *ptTracee) pollStop() (kind ptStop, sig syscall.Signal, ok bool, err error) {
	if s := t.stashed; s.ok {
		t.stashed = ptReport{}
		return s.kind, s.sig, true, nil
	}
	return t.waitStopped()
}

// waitStopped looks once for a stop of the tracee with waitid, and
// consumes it.
func (t *ptTracee) waitStopped() (kind ptStop, sig syscall.Signal, ok bool, err error) {
	var info unix.Siginfo
	err = unix.Waitid(unix.P_PID, t.tid, &info, unix.WSTOPPED|unix.WNOHANG|unix.WALL, nil)
	if errors.Is(err, unix.EINTR) {
		return ptRunning, 0, false, nil
	}
	if errors.Is(err, unix.ECHILD) {
		t.gone = true // not ours any more: it ended and was collected
		return ptRunning, 0, true, errPtGone
	}
	if err != nil {
		return ptRunning, 0, true, err
	}
	if sys.ChildPID(&info) == t.tid {
		kind, sig = ptDecodeStop(sys.ChildStatus(&info))
		return kind, sig, true, nil
	}
	if t.ended() {
		return ptRunning, 0, true, errPtGone
	}
	return ptRunning, 0, false, nil
}

// ended reports whether the tracee has ended (without collecting it). A
// stop is reported to this wait too (see peekExited): only an exit code
// counts.
func (t *ptTracee) ended() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, t.tid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
	switch {
	case errors.Is(err, unix.ECHILD):
		t.gone = true
	case err == nil && sys.ChildPID(&info) == t.tid:
		t.gone = info.Code == ptCldExited || info.Code == ptCldKilled || info.Code == ptCldDumped
	}
	return t.gone
}

// ptDecodeStop reads a ptrace stop's si_status: the stop signal in the low
// byte, the ptrace event above it.
func ptDecodeStop(status int) (ptStop, syscall.Signal) {
	sig, event := syscall.Signal(status&0xff), status>>8
	switch {
	case event == unix.PTRACE_EVENT_STOP:
		return ptInterrupt, 0
	case sig == unix.SIGTRAP|0x80:
		return ptSyscall, 0
	}
	return ptSignal, sig
}
