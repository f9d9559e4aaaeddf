package proc

import (
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/status"
)

// The status socket (SPEC 11): served by the loop like any other fd, read
// only; proc/status does the socket work and asks Answer (statusview.go).

// openStatus starts answering `dinit status` and `dinit check`, unless
// DINIT_STATUS=0. Failing to is not fatal: the services run without it.
func (s *Supervisor) openStatus() {
	if !s.cfg.Status {
		return
	}
	ino, err := status.PIDNamespace()
	if err != nil {
		s.out.Warnf("status: not answering: %v", err)
		return
	}
	name := status.SocketName(ino, s.self)
	srv, err := status.Listen(s.loop, name, s, s.out)
	switch {
	case status.InUse(err):
		s.out.Warnf("status: another process answers at @%s; not answering", name)
	case err != nil:
		s.out.Warnf("status: not answering at @%s: %v", name, err)
	default:
		s.out.Debugf("status: answering at @%s", name)
		s.status = srv
	}
}

// serveStatus serves the clients that had events, and drops the ones that
// took too long.
func (s *Supervisor) serveStatus() {
	if s.status.Pending() {
		s.status.Serve(s.now)
	}
	s.status.Expire(s.now)
}

// statusDeadline is when the next client times out, or loop.Never.
func (s *Supervisor) statusDeadline() time.Time {
	if s.status == nil {
		return loop.Never
	}
	if t, ok := s.status.Deadline(); ok {
		return t
	}
	return loop.Never
}

// closeStatus stops answering: dinit is about to exit.
func (s *Supervisor) closeStatus() {
	if s.status != nil {
		s.status.Close()
		s.status = nil
	}
}
