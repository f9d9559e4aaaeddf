package loop

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Event bits, re-exported so that callers need not import x/sys/unix.
const (
	In   = unix.EPOLLIN
	Out  = unix.EPOLLOUT
	Hup  = unix.EPOLLHUP
	Err  = unix.EPOLLERR
	Edge = unix.EPOLLET
)

// maxEvents bounds one epoll_wait batch; more ready fds are simply returned
// by the next call.
const maxEvents = 128

// Loop is an epoll set with generation-tagged registrations. It is not safe
// for concurrent use: everything runs on the loop thread.
type Loop struct {
	epfd   int
	events [maxEvents]unix.EpollEvent
	slots  []slot
	free   []uint32
}

// New creates the epoll set (close-on-exec).
func New() (*Loop, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	return &Loop{epfd: fd}, nil
}

// Close releases the epoll fd. Registered fds are not closed.
func (l *Loop) Close() error { return unix.Close(l.epfd) }

// Add registers fd for events and returns its token.
func (l *Loop) Add(fd int, events uint32, h Handler) (Token, error) {
	idx := l.takeSlot()
	s := &l.slots[idx]
	s.gen++
	s.fd, s.handler, s.live = fd, h, true
	tok := makeToken(idx, s.gen)
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, eventFor(tok, events)); err != nil {
		l.release(idx)
		return 0, os.NewSyscallError("epoll_ctl", err)
	}
	return tok, nil
}

// Remove unregisters tok; events already fetched for it are dropped. The fd
// is not closed. Removing a stale token is a no-op.
func (l *Loop) Remove(tok Token) error {
	s, ok := l.lookup(tok)
	if !ok {
		return nil
	}
	err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	l.release(tok.slot())
	// EBADF/ENOENT: the fd was closed first, which removed it from the set.
	if errors.Is(err, unix.EBADF) || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return os.NewSyscallError("epoll_ctl", err)
}

// Drop forgets tok and closes its fd, in one system call where Remove and a
// close take two: closing the last reference to a file takes it out of the
// epoll set. It is for fds that only we hold (our pipe read ends, pidfds,
// accepted sockets): at the shutdown of 100 services it saves 300
// epoll_ctl calls. Should something else still hold the file, epoll may
// report it again; those events carry a stale token and Poll drops them.
// Dropping a stale token closes nothing.
func (l *Loop) Drop(tok Token) {
	s, ok := l.lookup(tok)
	if !ok {
		return
	}
	fd := s.fd
	l.release(tok.slot())
	_ = unix.Close(fd)
}

// Registered reports how many registrations are live: the tests of the
// packages that register fds use it to prove that nothing is left behind.
func (l *Loop) Registered() int { return len(l.slots) - len(l.free) }

// Never is the deadline of a Poll that may wait without limit. It is an
// explicit value: the zero time is in the past, so a deadline nobody set
// makes Poll return at once instead of sleeping forever.
var Never = time.Unix(1<<62, 0)

// Poll waits until an event arrives or the deadline passes (Never: wait
// without limit; a past deadline, the zero time included: do not block) and
// dispatches the events to their live handlers. It returns the number
// dispatched.
func (l *Loop) Poll(deadline time.Time) (int, error) {
	n, err := unix.EpollWait(l.epfd, l.events[:], timeoutMs(deadline))
	if err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, os.NewSyscallError("epoll_wait", err)
	}
	dispatched := 0
	for i := 0; i < n; i++ {
		ev := &l.events[i]
		tok := makeToken(uint32(ev.Fd), uint32(ev.Pad))
		if s, ok := l.lookup(tok); ok {
			s.handler.Event(ev.Events)
			dispatched++
		}
	}
	return dispatched, nil
}

func (l *Loop) lookup(tok Token) (*slot, bool) {
	idx := tok.slot()
	if int(idx) >= len(l.slots) {
		return nil, false
	}
	s := &l.slots[idx]
	return s, s.live && s.gen == tok.gen()
}

func (l *Loop) takeSlot() uint32 {
	if n := len(l.free); n > 0 {
		idx := l.free[n-1]
		l.free = l.free[:n-1]
		return idx
	}
	l.slots = append(l.slots, slot{})
	return uint32(len(l.slots) - 1)
}

// release bumps the generation so that queued events of the old
// registration no longer match.
func (l *Loop) release(idx uint32) {
	s := &l.slots[idx]
	s.live, s.handler, s.fd = false, nil, -1
	s.gen++
	l.free = append(l.free, idx)
}

func eventFor(tok Token, events uint32) *unix.EpollEvent {
	return &unix.EpollEvent{Events: events, Fd: int32(tok.slot()), Pad: int32(tok.gen())}
}

// timeoutMs converts a deadline into epoll_wait's millisecond timeout,
// rounding up so that we never wake before the deadline and spin.
func timeoutMs(deadline time.Time) int {
	if !deadline.Before(Never) {
		return -1
	}
	d := time.Until(deadline)
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}
