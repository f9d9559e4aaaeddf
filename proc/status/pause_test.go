package status

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// exhaustFds lowers our fd limit near what is open now and fills what is
// free below it, so that the next fd fails with EMFILE; the returned func undoes
// both.
func exhaustFds(t *testing.T) (restore func()) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	ents := openFds(t)
	lim := old
	lim.Cur = uint64(ents + 64)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	var fillers []int
	for {
		fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			break
		}
		fillers = append(fillers, fd)
	}
	return func() {
		for _, fd := range fillers {
			_ = unix.Close(fd)
		}
		_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &old)
	}
}

// Out of fds, accept fails and leaves the connection queued: the listener
// is unwatched (a level-triggered one would wake every turn), the warning
// is logged once, and Expire watches it again after acceptPause.
func TestAcceptPausesWhenOutOfFds(t *testing.T) {
	ts := newTestServer(t)
	regs := ts.loop.Registered()
	c := dial(t, ts.name)
	send(t, c, "status\n")
	restore := exhaustFds(t)
	ts.driveUntil(t, "paused", func() bool { return len(ts.log.lines) > 0 })
	restore()
	ts.logged(t, "warn status: accept4: too many open files; not accepting clients for 250ms")
	if ts.Pending() || ts.loop.Registered() != regs-1 || ts.Clients() != 0 {
		t.Fatalf("pending %v, %d registrations (listener: %d), %d clients", ts.Pending(), ts.loop.Registered(), regs, ts.Clients())
	}
	if at, ok := ts.Deadline(); !ok || !at.Equal(ts.now.Add(acceptPause)) {
		t.Fatalf("deadline %v %v, want the end of the pause", at, ok)
	}
	ts.Expire(ts.now.Add(acceptPause - time.Millisecond))
	if ts.loop.Registered() != regs-1 {
		t.Fatal("watched again before the end of the pause")
	}
	ts.Expire(ts.now.Add(acceptPause))
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "reply to status\n" {
		t.Fatalf("reply %q", got)
	}
	if ts.loop.Registered() != regs {
		t.Fatalf("%d registrations, want %d", ts.loop.Registered(), regs)
	}
}
