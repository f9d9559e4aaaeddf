package sys

import (
	"errors"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitStatus is how a process ended.
type ExitStatus struct {
	Code   int
	Signal syscall.Signal // non-zero when killed by a signal
}

func (e ExitStatus) String() string {
	if e.Signal != 0 {
		return "signal " + strconv.Itoa(int(e.Signal))
	}
	return "status " + strconv.Itoa(e.Code)
}

// Failed reports an end that counts as a failure: a non-zero code or death
// by a signal.
func (e ExitStatus) Failed() bool { return e.Signal != 0 || e.Code != 0 }

// Claim is asked about every child report a wait for ends sees: it returns
// true for the reports that are not ends of ours (the ptrace stops of a
// tracee, and the ends of tracees that are not our children), which it
// then handles itself. See PeekExited.
type Claim func(pid int, code int32) bool

// PeekExited returns the PID of one child that has ended, without reaping
// it (WNOWAIT), so that its name can still be read from /proc; 0 when no
// child has ended. This and Reap are the only waits for ends in the
// program (the ptrace code waits for its tracees' stops only).
//
// The kernel reports a tracee's ptrace stops to its tracer's waits whatever
// the options (WEXITED alone included), and a traced process that is not our
// child reports its end to us too: claim takes those, so that they never
// reach the reaper (a stop taken for an end would read as "status -1").
// claim may be nil when nothing is traced.
func PeekExited(claim Claim) (int, error) {
	for range 64 {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if errors.Is(err, unix.ECHILD) {
			return 0, nil
		}
		if err != nil {
			return 0, wrap("waitid", err)
		}
		pid := ChildPID(&info)
		if pid == 0 || claim == nil || !claim(pid, info.Code) {
			return pid, nil
		}
	}
	return 0, nil
}

// HasChildren reports whether we have any child at all, ended or not,
// without /proc: waitid fails with ECHILD only when there is none.
func HasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
	return !errors.Is(err, unix.ECHILD)
}

// Reap collects the status of an ended child. ok is false when pid was
// not reapable (already reaped, or not ended yet).
func Reap(pid int) (st ExitStatus, ok bool) {
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || got != pid {
			return ExitStatus{}, false
		}
		break
	}
	if ws.Signaled() {
		return ExitStatus{Signal: ws.Signal()}, true
	}
	return ExitStatus{Code: ws.ExitStatus()}, true
}
