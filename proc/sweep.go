package proc

import (
	"syscall"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// The blind sweep: when /proc cannot be read, reparented processes are
// invisible, and one that holds a pipe of ours open would keep us from ever
// exiting. As PID 1 (and only then: kill(-1) from a subreaper would reach
// every process of the user outside the container) we then signal every
// other process of our PID namespace, once every process we know of has
// ended: SIGTERM, then SIGKILL after the kill timeout.

// sweep is the state of the blind sweep.
type sweep struct {
	stage  stopStage
	killAt time.Time // when its SIGKILL is due (once stage is termSent)
}

// sweepIfBlind runs the sweep's next step when it is due.
func (s *Supervisor) sweepIfBlind() {
	if !s.blind() {
		return
	}
	switch {
	case s.sweep.stage == notStopped:
		s.sweep.stage, s.sweep.killAt = termSent, s.now.Add(s.cfg.KillTimeout)
		s.out.Warnf("cannot list child processes: sending SIGTERM to every process")
		s.signalAll(syscall.SIGTERM)
	case s.sweep.stage == termSent && !s.now.Before(s.sweep.killAt):
		s.sweep.stage = killSent
		s.out.Warnf("cannot list child processes: sending SIGKILL to every process")
		s.signalAll(syscall.SIGKILL)
	}
}

// blind: shutting down as PID 1 with /proc unreadable, every process we
// know of ended, and still pipes open or children we cannot see.
func (s *Supervisor) blind() bool {
	return s.stopping() && s.self == 1 && s.reparent.listErr != nil && len(s.procs) == 0 &&
		(s.out.Open() > 0 || sys.HasChildren())
}

// sweepDeadline is when the sweep's SIGKILL is due (Never when none is).
func (s *Supervisor) sweepDeadline() time.Time {
	if s.sweep.stage == termSent {
		return s.sweep.killAt
	}
	return loop.Never
}

func (s *Supervisor) signalAll(sig syscall.Signal) {
	if err := sys.SignalAll(sig); err != nil {
		s.out.Errorf("sending signal %d to every process: %v", int(sig), err)
	}
}
