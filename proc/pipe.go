package proc

import "golang.org/x/sys/unix"

// pipe returns a close-on-exec pipe whose read end only is nonblocking.
// O_NONBLOCK lives on the open file description, and each end of a pipe has
// its own, so the child's write end stays blocking as programs expect.
func pipe() (r, w int, err error) {
	if r, w, err = plainPipe(); err != nil {
		return -1, -1, err
	}
	if err := unix.SetNonblock(r, true); err != nil {
		closeFds(r, w)
		return -1, -1, err
	}
	return r, w, nil
}

// closeFds closes every fd >= 0 and ignores errors: the fds are ours and a
// close error on a pipe end carries no information we could act on.
func closeFds(fds ...int) {
	for _, fd := range fds {
		if fd >= 0 {
			_ = unix.Close(fd)
		}
	}
}

// plainPipe is a close-on-exec pipe with both ends blocking: it connects two
// children (run's stdout to log/run's stdin) and we read neither end.
func plainPipe() (r, w int, err error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

func openDevNull() (int, error) {
	return unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
}
