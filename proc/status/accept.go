package status

import (
	"errors"
	"os"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// acceptBatch bounds the accepts of one Serve, which runs inside the loop's
// turn. The listener is level-triggered: connections left in the backlog
// make the next epoll_wait report it again.
const acceptBatch = 64

// acceptPause is how long the listener is left unwatched after accept
// failed for want of fds or memory: the connection stays in the backlog, so
// a level-triggered listener would otherwise wake every turn and spin.
const acceptPause = 250 * time.Millisecond

// listener is the listening socket's state; its handler records
// readability.
type listener struct {
	fd      int
	tok     loop.Token
	watched bool      // registered with the loop (not while paused)
	ready   bool      // readable: connections wait in the backlog
	resume  time.Time // while paused: when to watch again
	failed  error     // the accept error last logged, so that a run of them logs once
}

// Event records that connections wait.
func (l *listener) Event(uint32) { l.ready = true }

func (s *Server) watch() error {
	tok, err := s.loop.Add(s.lis.fd, loop.In, &s.lis)
	if err != nil {
		return err
	}
	s.lis.tok, s.lis.watched = tok, true
	return nil
}

func (s *Server) unwatch() {
	if s.lis.watched {
		_ = s.loop.Remove(s.lis.tok)
		s.lis.watched, s.lis.ready = false, false
	}
}

// acceptBatch takes the waiting connections, acceptBatch at most.
func (s *Server) acceptBatch(now time.Time) {
	s.lis.ready = false
	for i := 0; i < acceptBatch; i++ {
		fd, err := accept(s.lis.fd)
		switch {
		case err == nil:
			s.lis.failed = nil
			s.admit(fd, now)
		case errors.Is(err, unix.EAGAIN):
			return
		case errors.Is(err, unix.ECONNABORTED): // the client left while queued
		default: // EMFILE, ENFILE, ENOBUFS, ENOMEM: nothing to do but wait
			s.pause(err, now)
			return
		}
	}
}

// accept takes one connection: nonblocking and close-on-exec from the
// start, EINTR retried.
func accept(lfd int) (int, error) {
	for {
		fd, _, err := unix.Accept4(lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if !errors.Is(err, unix.EINTR) {
			return fd, os.NewSyscallError("accept4", err)
		}
	}
}

// pause stops watching the listener for acceptPause; Expire resumes.
func (s *Server) pause(err error, now time.Time) {
	if !sameErrno(s.lis.failed, err) {
		s.log.Warnf("status: %v; not accepting clients for %s", err, acceptPause)
	}
	s.lis.failed = err
	s.unwatch()
	s.lis.resume = now.Add(acceptPause)
}

// resumeAccepting watches the listener again once a pause is over.
func (s *Server) resumeAccepting(now time.Time) {
	if s.lis.watched || s.lis.fd < 0 || now.Before(s.lis.resume) {
		return
	}
	if err := s.watch(); err != nil {
		s.pause(err, now)
		return
	}
	s.lis.ready = true // clients may have queued during the pause: serve them this turn
}

// admit makes fd a client, or closes it: too many clients, or a peer that
// may not ask.
func (s *Server) admit(fd int, now time.Time) {
	if len(s.conns) >= MaxClients {
		s.log.Debugf("status: refused a client: %d clients already", MaxClients)
		s.refuse(fd)
		return
	}
	if !s.peerAllowed(fd) {
		s.refuse(fd)
		return
	}
	c := &conn{fd: fd, since: now, canRead: true, canWrite: true}
	// Edge-triggered: a client stays ready (Pending) until its read or
	// write met EAGAIN, so Serve can stop after one of each per turn.
	tok, err := s.loop.Add(fd, loop.In|loop.Out|unix.EPOLLRDHUP|loop.Edge, c)
	if err != nil {
		s.log.Warnf("status: %v", err)
		_ = unix.Close(fd)
		return
	}
	c.tok = tok
	s.conns = append(s.conns, c)
}

// peerAllowed checks the peer's uid, which the kernel recorded at connect:
// root or ours. Abstract sockets have no permissions; this is the gate.
func (s *Server) peerAllowed(fd int) bool {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		s.log.Debugf("status: refused a client: %v", os.NewSyscallError("getsockopt SO_PEERCRED", err))
		return false
	}
	if cred.Uid == 0 || int(cred.Uid) == s.uid {
		return true
	}
	s.log.Warnf("status: refused a client of uid %d (PID %d)", int(cred.Uid), int(cred.Pid))
	return false
}

// sameErrno compares the errnos of two errors of ours (bare, or wrapped in
// an os.SyscallError). Not errors.As: it links reflection into the binary.
func sameErrno(a, b error) bool {
	x, okA := errnoOf(a)
	y, okB := errnoOf(b)
	return okA && okB && x == y
}

func errnoOf(err error) (unix.Errno, bool) {
	if se, ok := err.(*os.SyscallError); ok {
		err = se.Err
	}
	e, ok := err.(unix.Errno)
	return e, ok
}
