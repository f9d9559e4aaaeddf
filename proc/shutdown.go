package proc

import (
	"slices"
	"syscall"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// stopFor starts the shutdown and says why, at warning: the default level
// tells why a container stopped. Said once: later reasons change nothing.
func (s *Supervisor) stopFor(reason string) {
	if !s.stopping() {
		s.stopReason, s.stoppedAt = reason, s.now
		s.out.At(LevelWarn, relay.EventShutdown).Str("reason", reason).Logf("shutting down: %s", reason)
	}
	s.shutdown()
}

// shutdown stops everything, once. Services get their terminate program or
// SIGTERM (never SIGKILL: that is the container supervisor's call); log
// programs get nothing and end at EOF; reparented and adopted processes get
// SIGTERM, then SIGKILL after the kill timeout.
func (s *Supervisor) shutdown() {
	if s.stopping() {
		return
	}
	s.phase = stopping
	for _, svc := range s.services {
		if svc.run != nil {
			s.stopService(svc)
		}
	}
	for _, p := range s.byPID(roleAdopted, roleReparented) {
		s.terminate(p)
	}
	s.reparent.due = s.now
}

// byPID lists the tracked processes of the given roles in PID order, so
// that signals go out and lines are written in the same order on every run
// (a map's order changes from run to run). Rare events only: it allocates.
func (s *Supervisor) byPID(roles ...role) []*process {
	var ps []*process
	for _, p := range s.procs {
		if slices.Contains(roles, p.role) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b *process) int { return a.pid - b.pid })
	return ps
}

func (s *Supervisor) stopService(svc *service) {
	p := svc.run
	s.out.At(LevelInfo, relay.EventTerminating).For(p.label).Int("pid", p.pid).Logf("%s: terminating", p.label)
	if svc.main == nil && exists(svc.path("terminate")) && s.startTerminate(svc) {
		return
	}
	s.out.At(LevelInfo, relay.EventNone).For(p.label).Int("pid", p.pid).Int("signal", int(syscall.SIGTERM)).
		Logf("%s: sending SIGTERM to PID %d", p.label, p.pid)
	s.signal(p, syscall.SIGTERM)
}

// terminate sends SIGTERM to a reparented or adopted process and plans its
// SIGKILL.
func (s *Supervisor) terminate(p *process) {
	if p.stop != notStopped {
		return
	}
	p.stop = termSent
	s.out.At(LevelInfo, relay.EventTerminating).For(p.label).Int("pid", p.pid).Int("signal", int(syscall.SIGTERM)).
		Logf("%s: sending SIGTERM to PID %d", p.label, p.pid)
	s.signal(p, syscall.SIGTERM)
	p.killAt = s.now.Add(s.cfg.KillTimeout)
	s.killing = append(s.killing, p)
}

// fireKills sends the planned SIGKILLs that are due and forgets the
// processes that already ended.
func (s *Supervisor) fireKills() {
	kept := s.killing[:0]
	for _, p := range s.killing {
		if s.procs[p.pid] != p {
			continue
		}
		if p.stop == termSent && !s.now.Before(p.killAt) {
			p.stop = killSent
			s.out.At(LevelInfo, relay.EventKill).For(p.label).Int("pid", p.pid).Int("signal", int(syscall.SIGKILL)).
				Logf("%s: sending SIGKILL to PID %d", p.label, p.pid)
			s.signal(p, syscall.SIGKILL)
		}
		kept = append(kept, p)
	}
	clear(s.killing[len(kept):])
	s.killing = kept
}

func (s *Supervisor) signal(p *process, sig syscall.Signal) {
	if err := sys.Signal(p.pid, p.pidfd, sig); err != nil {
		s.out.At(LevelError, relay.EventNone).For(p.label).Int("pid", p.pid).Int("signal", int(sig)).
			Logf("%s: sending signal %d to PID %d: %v", p.label, int(sig), p.pid, err)
	}
}
