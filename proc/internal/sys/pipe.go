package sys

import (
	"os"

	"golang.org/x/sys/unix"
)

// Pipe returns a close-on-exec pipe whose read end only is nonblocking.
// O_NONBLOCK lives on the open file description, and each end of a pipe has
// its own, so the child's write end stays blocking as programs expect.
func Pipe() (r, w int, err error) {
	if r, w, err = PlainPipe(); err != nil {
		return -1, -1, err
	}
	if err := unix.SetNonblock(r, true); err != nil {
		Close(r, w)
		return -1, -1, wrap("fcntl O_NONBLOCK", err)
	}
	return r, w, nil
}

// Close closes every fd >= 0 and ignores errors: the fds are ours and a
// close error on a pipe end carries no information we could act on.
func Close(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
	}
}

// PlainPipe is a close-on-exec pipe with both ends blocking: it connects two
// children (run's stdout to log/run's stdin) and we read neither end.
func PlainPipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, wrap("pipe2", err)
	}
	return p[0], p[1], nil
}

// OpenDevNull opens /dev/null for reading: the stdin of every program.
func OpenDevNull() (int, error) {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, wrap("open /dev/null", err)
	}
	return fd, nil
}

// wrap names the call that failed, as the errors of setup read:
// "pipe2: too many open files" (nil stays nil).
func wrap(call string, err error) error { return os.NewSyscallError(call, err) }

// Read reads what a nonblocking fd holds into buf: n > 0 bytes, or 0 and
// nil at EOF, or an error (EAGAIN when it is empty). EINTR is retried.
func Read(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Read(fd, buf)
		if err != unix.EINTR {
			if err != nil {
				return 0, err // EAGAIN unwrapped: callers compare it
			}
			return n, nil
		}
	}
}

// IsAgain reports that a nonblocking call found nothing to do (EAGAIN).
func IsAgain(err error) bool { return err == unix.EAGAIN }
