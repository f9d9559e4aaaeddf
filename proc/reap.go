package proc

import (
	"time"

	"github.com/dinit-dev/dinit/proc/inject"
	"github.com/dinit-dev/dinit/proc/internal/sys"
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
			s.out.Debugf("reaped %d processes in %s", n, time.Since(start))
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
	s.warnReparented(p, "reaping process")
	delete(s.reparent.pending, pid)
	return p
}

// ended handles the end of one of our processes.
func (s *Supervisor) ended(p *process, st sys.ExitStatus) {
	delete(s.procs, p.pid)
	if p.pidfd >= 0 {
		_ = s.loop.Remove(p.tok)
		sys.Close(p.pidfd)
	}
	s.reparent.due = s.now // orphans of p (if any) attach to us now
	if p.role == roleRun && st.Signal == 0 && st.Code == 115 {
		s.out.Infof("%s: PID %d finished and disabled itself", p.label, p.pid)
		p.svc.run, p.svc.disabled = nil, true
		return
	}
	s.out.Infof("%s: PID %d finished with %s", p.label, p.pid, st)
	switch p.role {
	case roleRun:
		p.svc.run = nil
		s.endStartsShutdown(st)
	case roleLog:
		p.svc.log = nil
		s.logEnded(p.svc, st)
	case roleAdopted:
		s.dropAdoption(p)
		s.endStartsShutdown(st)
	}
}

// endStartsShutdown: a service (or adopted process) ended. A failure
// records 3; an end with 0 records nothing (the reference's rule), so when
// alpha exits 0 and beta then exits 9 on our SIGTERM, the code is 3.
func (s *Supervisor) endStartsShutdown(st sys.ExitStatus) {
	if s.isFailure(st) {
		s.recordExit(ExitService)
	}
	s.shutdown()
}

// isFailure: a non-zero exit code, or death by a signal that was not part
// of our shutdown (once we shut down, a signal death is what we asked for,
// sent by us or by the service's terminate program).
func (s *Supervisor) isFailure(st sys.ExitStatus) bool {
	return st.Failed() && (st.Signal == 0 || !s.stopping())
}

// logEnded: a log program that ends while its run still runs starts the
// shutdown, unless run ends too within timing.logGrace.
func (s *Supervisor) logEnded(svc *service, st sys.ExitStatus) {
	if svc.run == nil {
		return
	}
	svc.logEnd, svc.logEndDue = st, s.now.Add(s.timing.logGrace)
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
			s.endStartsShutdown(svc.logEnd)
		}
	}
	clear(s.logWaits[len(kept):])
	s.logWaits = kept
}
