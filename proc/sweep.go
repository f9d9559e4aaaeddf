package proc

import (
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// The blind sweep: when /proc cannot be read, reparented processes are
// invisible, and one that holds a pipe of ours open would keep us from ever
// exiting. As PID 1 (and only then: kill(-1) from a subreaper would reach
// every process of the user outside the container) we then signal every
// other process of our PID namespace, once every process we know of has
// ended: SIGTERM, then SIGKILL after the kill timeout.

// sweep is the state of the blind sweep.
type sweep struct {
	termed bool
	killAt time.Time
	killed bool
}

// sweepIfBlind runs the sweep's next step when it is due.
func (s *Supervisor) sweepIfBlind() {
	if !s.blind() {
		return
	}
	switch {
	case !s.sweep.termed:
		s.sweep.termed, s.sweep.killAt = true, s.now.Add(s.cfg.KillTimeout)
		s.out.warnf("cannot list child processes: sending SIGTERM to every process")
		s.signalAll(unix.SIGTERM)
	case !s.sweep.killed && !s.now.Before(s.sweep.killAt):
		s.sweep.killed = true
		s.out.warnf("cannot list child processes: sending SIGKILL to every process")
		s.signalAll(unix.SIGKILL)
	}
}

// blind: shutting down as PID 1 with /proc unreadable, every process we
// know of ended, and still pipes open or children we cannot see.
func (s *Supervisor) blind() bool {
	return s.shutting && s.self == 1 && s.reparent.listErr != nil && len(s.procs) == 0 &&
		(s.out.open > 0 || hasChildren())
}

// sweepDeadline is when the sweep's SIGKILL is due (Never when none is).
func (s *Supervisor) sweepDeadline() time.Time {
	if s.sweep.termed && !s.sweep.killed {
		return s.sweep.killAt
	}
	return loop.Never
}

func (s *Supervisor) signalAll(sig unix.Signal) {
	if err := unix.Kill(-1, sig); err != nil && err != unix.ESRCH {
		s.out.errorf("sending signal %d to every process: %v", int(sig), err)
	}
}
