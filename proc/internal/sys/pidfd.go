package sys

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// PidfdSupported probes pidfd_open once (Linux 5.3+). ENOSYS (old kernel) and
// EPERM (an old seccomp profile that does not know the syscall) both mean we
// fall back to waiting by PID: SIGCHLD plus the periodic reap.
func PidfdSupported() bool {
	fd, err := unix.PidfdOpen(unix.Getpid(), 0)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
}

// Signal signals a process we are the parent of. The pidfd is used when
// we have one; kill by PID is just as safe for our own children, since a PID
// cannot be reused before we, its only reaper, have reaped it. A process
// that is already gone (ESRCH) is no failure: nil.
func Signal(pid, pidfd int, sig syscall.Signal) error {
	if pidfd >= 0 {
		err := unix.PidfdSendSignal(pidfd, sig, nil, 0)
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			return gone(err)
		}
	}
	return gone(unix.Kill(pid, sig))
}

// SignalAll sends sig to every process we may signal but ourselves
// (kill(-1)): as PID 1, every other process of our PID namespace.
func SignalAll(sig syscall.Signal) error { return gone(unix.Kill(-1, sig)) }

func gone(err error) error {
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return err
}

// BecomeSubreaper makes us the reaper of our orphaned descendants
// (PR_SET_CHILD_SUBREAPER), as PID 1 is.
func BecomeSubreaper() error {
	return wrap("prctl PR_SET_CHILD_SUBREAPER", unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
}
