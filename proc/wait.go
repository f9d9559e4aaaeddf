package proc

import (
	"errors"
	"strconv"

	"golang.org/x/sys/unix"
)

// exitStatus is how a process ended.
type exitStatus struct {
	code   int
	signal unix.Signal // non-zero when killed by a signal
}

func (e exitStatus) String() string {
	if e.signal != 0 {
		return "signal " + strconv.Itoa(int(e.signal))
	}
	return "status " + strconv.Itoa(e.code)
}

// failed reports an end that counts as a failure: a non-zero code or death
// by a signal.
func (e exitStatus) failed() bool { return e.signal != 0 || e.code != 0 }

// peekExited returns the PID of one child that has ended, without reaping
// it (WNOWAIT), so that its name can still be read from /proc; 0 when no
// child has ended. This and reapPID are the only waits for ends in the
// program (the ptrace code waits for its tracees' stops only).
//
// The kernel reports a tracee's ptrace stops to its tracer's waits whatever
// the options (WEXITED alone included), and a traced process that is not our
// child reports its end to us too: those go to ptraceReport, never to the
// reaper (a stop taken for an end would read as "status -1").
func peekExited() (int, error) {
	for range 64 {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if errors.Is(err, unix.ECHILD) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		pid := siginfoPID(&info)
		if pid == 0 || !ptraceReport(pid, info.Code) {
			return pid, nil
		}
	}
	return 0, nil
}

// hasChildren reports whether we have any child at all, ended or not,
// without /proc: waitid fails with ECHILD only when there is none.
func hasChildren() bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
	return !errors.Is(err, unix.ECHILD)
}

// reapPID collects the status of an ended child. ok is false when pid was
// not reapable (already reaped, or not ended yet).
func reapPID(pid int) (st exitStatus, ok bool) {
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || got != pid {
			return exitStatus{}, false
		}
		break
	}
	if ws.Signaled() {
		return exitStatus{signal: ws.Signal()}, true
	}
	return exitStatus{code: ws.ExitStatus()}, true
}
