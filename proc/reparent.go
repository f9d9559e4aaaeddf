package proc

import (
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// Reparented processes: a grandchild whose parent died becomes our child,
// and nothing tells us (its parent was not our child). We look at our
// children in /proc every timing.scan (and at once after SIGCHLD or an
// end), and apply the policy to the ones we do not know.

// reparentScan is the state of reparented-process detection. A scan runs
// every second for our whole life: what it needs it keeps and reuses, so
// that the loop's steady state allocates nothing (issue 14).
type reparentScan struct {
	due     time.Time         // next scan
	pending map[int]time.Time // unknown children first seen at, awaiting timing.young
	listErr error             // why the last listing failed (/proc unmounted): logged once
	lister  sys.ChildLister   // the listing's open files and buffers (closed by close)
	seen    map[int]bool      // the pending PIDs listed by this scan
}

// listChildren lists our children, from our own /proc only: /proc/self
// must name us at every scan, as a service may have unmounted /proc since
// the last one. The slice is valid until the next listing.
func (s *Supervisor) listChildren() ([]int, error) {
	if err := s.reparent.lister.Own(s.procfs, s.self); err != nil {
		return nil, err
	}
	return s.reparent.lister.List(s.procfs, s.self)
}

// scanIfDue looks for children we do not know and applies the policy.
func (s *Supervisor) scanIfDue() {
	if s.now.Before(s.reparent.due) {
		return
	}
	s.reparent.due = s.now.Add(s.scanPeriod())
	if !s.pidfds {
		s.reap() // no pidfd wake-ups: the periodic scan also reaps
	}
	pids, err := s.listChildren()
	if err != nil {
		s.listingFailed(err)
		return
	}
	if s.reparent.listErr != nil {
		s.reparent.listErr = nil
		s.out.Infof("listing child processes works again")
	}
	s.classify(pids)
}

// listingFailed: without /proc (unmounted by a service, or never mounted)
// no reparented process can be seen. Said once, not at every scan; reaping
// goes on (waitid needs no /proc), and at the shutdown as PID 1 the blind
// sweep ends what we cannot see (sweep.go).
func (s *Supervisor) listingFailed(err error) {
	if s.reparent.listErr == nil {
		s.out.Errorf("listing child processes: %v; reparented processes are not detected until /proc can be read", err)
	}
	s.reparent.listErr = err
}

func (s *Supervisor) scanPeriod() time.Duration {
	if s.stopping() {
		return s.timing.scanStopping
	}
	return s.timing.scan
}

func (s *Supervisor) classify(pids []int) {
	if s.reparent.pending == nil {
		s.reparent.pending = map[int]time.Time{}
		s.reparent.seen = map[int]bool{}
	}
	seen := s.reparent.seen
	clear(seen)
	for _, pid := range pids {
		if _, ok := s.procs[pid]; ok {
			continue
		}
		seen[pid] = true
		first, ok := s.reparent.pending[pid]
		if !ok {
			s.reparent.pending[pid] = s.now
			s.recheckAt(s.now.Add(s.timing.young))
			continue
		}
		if age := s.now.Sub(first); age < s.timing.young {
			s.recheckAt(first.Add(s.timing.young))
			continue
		}
		delete(s.reparent.pending, pid)
		s.takeReparented(pid)
	}
	// Pending PIDs that are gone were reaped (or the reaper will see them).
	for pid := range s.reparent.pending {
		if !seen[pid] {
			delete(s.reparent.pending, pid)
		}
	}
}

func (s *Supervisor) recheckAt(t time.Time) {
	if t.Before(s.reparent.due) {
		s.reparent.due = t
	}
}

// takeReparented applies the policy to a process that became our child.
// During shutdown every newcomer is terminated, whatever the policy.
func (s *Supervisor) takeReparented(pid int) {
	cmdline, name := s.procfs.Describe(pid)
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleReparented, label: reparentedLabel(name, pid), cmdline: cmdline}
	s.procs[pid] = p
	policy := s.cfg.Policy
	if s.stopping() {
		policy = PolicyTerminate
	}
	switch policy {
	case PolicyTerminate:
		s.warnReparented(p, relay.EventReparented, "terminate", "terminating reparented child process")
		s.terminate(p)
	case PolicyAdopt:
		s.warnReparented(p, relay.EventReparented, "adopt", "adopting reparented child process")
		p.role = roleAdopted
		s.adoptOutput(p, name)
	case PolicyIgnore:
		s.out.At(LevelDebug, relay.EventReparented).For(p.label).Int("pid", pid).Str("policy", "ignore").
			Logf("%s: ignoring reparented child process with PID %d", p.label, pid)
	}
}

// warnReparented writes the reference's line for a reparented process,
// byte for byte: `<name>/<pid>: <what> with PID N: <cmdline>`, without the
// `: <cmdline>` when the command line could not be read (a zombie's). In
// the JSON log format it tells ev, with the policy when there is one.
func (s *Supervisor) warnReparented(p *process, ev relay.Event, policy, what string) {
	e := s.out.At(LevelWarn, ev).For(p.label).Int("pid", p.pid)
	if policy != "" {
		e.Str("policy", policy)
	}
	if p.cmdline == "" {
		e.Logf("%s: %s with PID %d", p.label, what, p.pid)
		return
	}
	e.Logf("%s: %s with PID %d: %s", p.label, what, p.pid, p.cmdline)
}
