package proc

import (
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// turn is one iteration of the loop: wait, then act on what the handlers
// recorded, in a fixed order.
func (s *Supervisor) turn() {
	if _, err := s.loop.Poll(s.deadline()); err != nil {
		// epoll_wait fails only on a programming error (EBADF, EINVAL); we
		// keep going through the planned path rather than die as PID 1.
		s.out.Errorf("waiting for events: %v", err)
		s.recordExit(ExitFailure)
		s.stopFor("waiting for events failed")
	}
	s.tick()
	if s.sigSeen {
		s.sigSeen = false
		s.handleSignals()
	}
	if s.starting() {
		s.startSome()
	}
	if s.out.HasReady() {
		s.relayTurn()
	}
	if s.readyPending {
		s.checkReadiness()
	}
	if s.status != nil {
		s.serveStatus()
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
	s.out.FlushIdle()
	if s.phase == stopping {
		s.exitIfAllEnded()
	}
}

// done reports that we may exit: everything ended and every byte is out.
func (s *Supervisor) done() bool { return s.phase == exiting && s.out.Pending() == 0 }

// leftover is what may still keep us from exiting once every process we
// know of ended and every pipe reached EOF.
type leftover uint8

const (
	nothingLeft   leftover = iota
	unknownChild           // listed in /proc: reparented since the last scan
	unlistedChild          // /proc unreadable, and waitid says a child is there
)

// exitIfAllEnded exits once no process of ours is left, every pipe reached
// EOF and no reparented process waits to be looked at. A child that
// appeared since the last scan is reaped or handled by its policy first.
func (s *Supervisor) exitIfAllEnded() {
	if !s.quiet() {
		return
	}
	switch s.leftover() {
	case nothingLeft:
		s.exit()
	case unknownChild:
		s.reapNeeded = true
		s.reparent.due = s.now
	case unlistedChild:
		// Its end wakes us with SIGCHLD; as PID 1 the blind sweep ends it.
	}
}

// quiet: no process of ours is left, every pipe reached EOF, and no
// reparented process waits to be looked at.
func (s *Supervisor) quiet() bool {
	return len(s.procs) == 0 && s.out.Open() == 0 && len(s.reparent.pending) == 0
}

// leftover looks for children we do not know of.
func (s *Supervisor) leftover() leftover {
	pids, err := s.listChildren()
	switch {
	case err == nil && len(pids) > 0:
		return unknownChild
	case err != nil && sys.HasChildren():
		return unlistedChild
	}
	return nothingLeft
}

// deadline is when the loop must wake up at the latest: now when there is
// more to do at once, loop.Never when nothing is planned.
func (s *Supervisor) deadline() time.Time {
	if s.out.HasReady() || s.reapNeeded || s.starting() {
		return s.now // more to do now: poll without blocking
	}
	d := s.reparent.due
	for _, p := range s.killing {
		if p.stop == termSent {
			d = earliest(d, p.killAt)
		}
	}
	for _, svc := range s.logWaits {
		d = earliest(d, svc.logEndDue)
	}
	return earliest(d, s.sweepDeadline(), s.adoptDeadline(), s.statusDeadline())
}

// earliest is the first of the deadlines.
func earliest(d time.Time, more ...time.Time) time.Time {
	for _, t := range more {
		if t.Before(d) {
			d = t
		}
	}
	return d
}
