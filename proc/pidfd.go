package proc

import (
	"errors"

	"golang.org/x/sys/unix"
)

// pidfdSupported probes pidfd_open once (Linux 5.3+). ENOSYS (old kernel) and
// EPERM (an old seccomp profile that does not know the syscall) both mean we
// fall back to waiting by PID: SIGCHLD plus the periodic reap.
func pidfdSupported() bool {
	fd, err := unix.PidfdOpen(unix.Getpid(), 0)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
}

// sendSignal signals a process we are the parent of. The pidfd is used when
// we have one; kill by PID is just as safe for our own children, since a PID
// cannot be reused before we, its only reaper, have reaped it.
func sendSignal(pid, pidfd int, sig unix.Signal) error {
	if pidfd >= 0 {
		err := unix.PidfdSendSignal(pidfd, sig, nil, 0)
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			return err
		}
	}
	return unix.Kill(pid, sig)
}
