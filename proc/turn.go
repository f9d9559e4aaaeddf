package proc

import "time"

// turn is one iteration of the loop: wait, then act on what the handlers
// recorded, in a fixed order.
func (s *Supervisor) turn() {
	if _, err := s.loop.Poll(s.deadline()); err != nil {
		// epoll_wait fails only on a programming error (EBADF, EINVAL); we
		// keep going through the planned path rather than die as PID 1.
		s.out.errorf("waiting for events: %v", err)
		s.recordExit(ExitFailure)
		s.shutdown()
	}
	s.tick()
	if s.sigSeen {
		s.sigSeen = false
		s.handleSignals()
	}
	if s.starting() {
		s.startSome()
	}
	if s.out.hasReady() {
		s.out.readTurn()
	}
	if s.reapNeeded {
		s.reap()
		s.kickAdoptions()
	}
	s.scanIfDue()
	if len(s.adoptions) > 0 {
		s.adoptSome()
	}
	s.fireKills()
	s.sweepIfBlind()
	s.checkLogWaits()
	s.out.flush()
	if !s.exiting && s.shutting && s.allEnded() {
		s.out.infof("dinit exiting with status %d", s.exitCode)
		s.exiting = true
		s.out.flush()
	}
}

// done reports that we may exit: everything ended and every byte is out.
func (s *Supervisor) done() bool { return s.exiting && s.out.pending() == 0 }

// allEnded: no process of ours is left, every pipe reached EOF, and no
// reparented process waits to be looked at.
func (s *Supervisor) allEnded() bool {
	if len(s.procs) > 0 || s.out.open > 0 || len(s.reparent.pending) > 0 {
		return false
	}
	// A process may have been reparented to us since the last scan.
	pids, err := s.listChildren()
	if err == nil && len(pids) > 0 {
		s.reapNeeded = true
		s.reparent.due = s.now
		return false
	}
	// Without /proc: children we cannot name are still children (their
	// ends wake us with SIGCHLD; the blind sweep ends them as PID 1).
	return err == nil || !hasChildren()
}

// deadline is when the loop must wake up at the latest.
func (s *Supervisor) deadline() time.Time {
	if s.out.hasReady() || s.reapNeeded || s.starting() {
		return s.now // more to do now: poll without blocking
	}
	d := s.reparent.due
	for _, p := range s.killing {
		if !p.killed && p.killAt.Before(d) {
			d = p.killAt
		}
	}
	for _, svc := range s.logWaits {
		if svc.logEndDue.Before(d) {
			d = svc.logEndDue
		}
	}
	if k := s.sweepDeadline(); k.Before(d) {
		d = k
	}
	if a := s.adoptDeadline(); a.Before(d) {
		d = a
	}
	return d
}
