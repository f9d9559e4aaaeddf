package sys

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// Pipe: both ends close-on-exec, the read end nonblocking (ours, read by
// the loop), the write end blocking (the child's); and it carries bytes.
func TestPipeFlags(t *testing.T) {
	t.Parallel()
	r, w, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(r, w)
	checkFlags(t, "read end", r, unix.O_RDONLY|unix.O_NONBLOCK)
	checkFlags(t, "write end", w, unix.O_WRONLY)
	buf := make([]byte, 8)
	if _, err := unix.Read(r, buf); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("read of an empty pipe: %v, want EAGAIN", err)
	}
	writeAll(t, w, "ab")
	if n, err := unix.Read(r, buf); err != nil || string(buf[:n]) != "ab" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
}

// PlainPipe: both ends close-on-exec and blocking.
func TestPlainPipeFlags(t *testing.T) {
	t.Parallel()
	r, w, err := PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(r, w)
	checkFlags(t, "read end", r, unix.O_RDONLY)
	checkFlags(t, "write end", w, unix.O_WRONLY)
}

// OpenDevNull: read-only, close-on-exec, at EOF.
func TestOpenDevNull(t *testing.T) {
	t.Parallel()
	fd, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(fd)
	checkFlags(t, "/dev/null", fd, unix.O_RDONLY)
	if n, err := unix.Read(fd, make([]byte, 1)); n != 0 || err != nil {
		t.Fatalf("read %d, %v; want EOF", n, err)
	}
}

// checkFlags checks that fd is close-on-exec and that its access mode and
// O_NONBLOCK are as in want.
func checkFlags(t *testing.T, name string, fd, want int) {
	t.Helper()
	fdfl, fl := fdFlags(t, fd)
	if fdfl&unix.FD_CLOEXEC == 0 {
		t.Errorf("%s: not close-on-exec", name)
	}
	if got := fl & (unix.O_ACCMODE | unix.O_NONBLOCK); got != want {
		t.Errorf("%s: flags %#o, want %#o", name, got, want)
	}
}

// Close closes every fd it is given and passes over -1. Not parallel: the
// numbers it closed must not be reused by another test before we look.
func TestClose(t *testing.T) {
	r, w, err := PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	Close(-1, r, -1, w)
	for _, fd := range []int{r, w} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
			t.Errorf("fd %d still open after Close (%v)", fd, err)
		}
	}
}

// Out of fds, the setup calls fail with the call's name in front, as
// dinit's messages show them. Not parallel: the fd limit is the
// process's, set to 0 for the calls only.
func TestSetupErrorsNameTheCall(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	none := old
	none.Cur = 0
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &none); err != nil {
		t.Fatal(err)
	}
	r1, w1, pipeErr := Pipe()
	r2, w2, plainErr := PlainPipe()
	fd, nullErr := OpenDevNull()
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if r1 != -1 || w1 != -1 || r2 != -1 || w2 != -1 || fd != -1 {
		Close(r1, w1, r2, w2, fd)
		t.Fatalf("fds %d %d %d %d %d with no fd to spare, want -1 each", r1, w1, r2, w2, fd)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{pipeErr, "pipe2: too many open files"},
		{plainErr, "pipe2: too many open files"},
		{nullErr, "open /dev/null: too many open files"},
	} {
		if c.err == nil || c.err.Error() != c.want || !errors.Is(c.err, unix.EMFILE) {
			t.Errorf("err = %v, want %q (EMFILE)", c.err, c.want)
		}
	}
}
