package loop

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// registeredFds lists the target fds of the epoll set, from its fdinfo.
func registeredFds(t *testing.T, l *Loop) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(l.epfd))
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "tfd:" {
			fds = append(fds, f[1])
		}
	}
	return fds
}

// Drop closes the fd, and with it the registration: the epoll set no longer
// lists it, the slot is free, and an event that was pending is not
// dispatched.
func TestDropClosesAndUnregisters(t *testing.T) {
	l := newLoop(t)
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	r, w := p[0], p[1]
	defer unix.Close(w)
	var h recorder
	tok, err := l.Add(r, In, &h)
	if err != nil {
		t.Fatal(err)
	}
	if got := registeredFds(t, l); len(got) != 1 || got[0] != strconv.Itoa(r) {
		t.Fatalf("registered before Drop: %v, want [%d]", got, r)
	}
	unix.Write(w, []byte("x"))
	l.Drop(tok)
	if got := registeredFds(t, l); len(got) != 0 {
		t.Fatalf("registered after Drop: %v, want none", got)
	}
	if _, err := unix.FcntlInt(uintptr(r), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("fd %d after Drop: %v, want EBADF", r, err)
	}
	if n, err := l.Poll(time.Now()); n != 0 || err != nil || len(h.events) != 0 || l.Registered() != 0 {
		t.Fatalf("Poll = %d, %v; events %v; %d registered", n, err, h.events, l.Registered())
	}
	l.Drop(tok) // stale: nothing happens
}
