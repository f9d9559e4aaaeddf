package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/proc/inject"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// reap collects every ended child. It is the one place that waits: each
// PID is looked up in the owner table before it is reaped, and a PID nobody
// owns (a reparented process that had already ended) has its name read from
// /proc while it is still a zombie.
func (s *Supervisor) reap() {
	s.reapNeeded = false
	start, n := time.Now(), 0
	defer func() {
		if n > 0 {
			s.out.Debugf("reaped %d %s in %s", n, plural(n, "process", "processes"), time.Since(start))
		}
	}()
	for {
		pid, err := sys.PeekExited(inject.Claim) // tracees' stops are injection's
		if err != nil {
			s.out.Errorf("waiting for children: %v", err)
			return
		}
		if pid <= 0 {
			return
		}
		p := s.procs[pid]
		if p == nil {
			p = s.strayZombie(pid)
		}
		st, ok := sys.Reap(pid)
		if !ok {
			return
		}
		n++
		s.ended(p, st)
	}
}

// strayZombie makes an owner entry for an ended process we never saw
// running. A zombie's command line is gone: the line then ends at its PID.
func (s *Supervisor) strayZombie(pid int) *process {
	cmdline, name := s.procfs.Describe(pid)
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleReparented, label: reparentedLabel(name, pid), cmdline: cmdline}
	s.warnReparented(p, relay.EventReaped, "", "reaping process")
	delete(s.reparent.pending, pid)
	return p
}

// ended handles the end of one of our processes.
func (s *Supervisor) ended(p *process, st sys.ExitStatus) {
	delete(s.procs, p.pid)
	if p.pidfd >= 0 {
		s.loop.Drop(p.tok) // closes the pidfd, which only we hold
	}
	s.reparent.due = s.now // orphans of p (if any) attach to us now
	p.end, p.endedAt = &st, s.now
	defer s.reportOrWait(p) // after the lines its end causes
	if p.role == roleRun {
		s.closeReadiness(&p.svc.ready) // a run that ended says nothing more
	}
	if p.role == roleRun && p.svc.main == nil && st.Signal == 0 && st.Code == 115 {
		s.out.At(LevelInfo, relay.EventDisabled).For(p.label).Int("pid", p.pid).
			Logf("%s: PID %d finished and disabled itself", p.label, p.pid)
		p.svc.run, p.svc.disabled = nil, true
		return
	}
	s.logExited(p, st)
	switch p.role {
	case roleRun:
		p.svc.run = nil
		if p.svc.main != nil {
			s.mainEnd = &st
		}
		s.endStartsShutdown(finishedReason(p, "", st), st)
	case roleLog:
		p.svc.log = nil
		s.logEnded(p, st)
	case roleAdopted:
		s.dropAdoption(p)
		s.endStartsShutdown(finishedReason(p, "adopted process ", st), st)
	}
}

// logExited says how a process ended: with a status or by a signal.
func (s *Supervisor) logExited(p *process, st sys.ExitStatus) {
	e := s.out.At(LevelInfo, relay.EventExited).For(p.label).Int("pid", p.pid)
	if st.Signal != 0 {
		e.Int("signal", int(st.Signal))
	} else {
		e.Int("status", st.Code)
	}
	e.Logf("%s: PID %d finished with %s", p.label, p.pid, st)
}

// finishedReason is the shutdown line's reason for an end:
// "web/run: PID 12 finished with status 2".
func finishedReason(p *process, what string, st sys.ExitStatus) string {
	return p.label + ": " + what + "PID " + strconv.Itoa(p.pid) + " finished with " + st.String()
}

// endStartsShutdown: a service (or adopted process, or the main program)
// ended, and starts the shutdown. What it records depends on the exit
// policy (see recordEnd).
func (s *Supervisor) endStartsShutdown(reason string, st sys.ExitStatus) {
	s.recordEnd(st)
	s.stopFor(reason)
}

// logEnded: a log program that ends while its run still runs starts the
// shutdown, unless run ends too within timing.logGrace.
func (s *Supervisor) logEnded(p *process, st sys.ExitStatus) {
	svc := p.svc
	if svc.run == nil {
		return
	}
	svc.logEnd, svc.logEndDue = st, s.now.Add(s.timing.logGrace)
	svc.logReason = finishedReason(p, "", st)
	s.logWaits = append(s.logWaits, svc)
}

// checkLogWaits starts the shutdown for log programs whose run did not end
// within timing.logGrace.
func (s *Supervisor) checkLogWaits() {
	kept := s.logWaits[:0]
	for _, svc := range s.logWaits {
		switch {
		case svc.run == nil: // run ended: its end decided
		case s.now.Before(svc.logEndDue):
			kept = append(kept, svc)
		default:
			s.endStartsShutdown(svc.logReason, svc.logEnd)
		}
	}
	clear(s.logWaits[len(kept):])
	s.logWaits = kept
}
