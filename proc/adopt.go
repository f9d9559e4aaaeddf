package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/inject"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// maxRedirecting is how many jobs may be under way at once (each holds two
// pipes, a socket and maybe a parked switch). The time a turn spends on
// them is timing.adoptSlice.
const maxRedirecting = 32

// redirector is what a job drives: inject.Redirection, or a fake in tests.
type redirector interface {
	Step(now time.Time) (pid int, err error) // the PID given up on and why
	Due() time.Time
	Kick(now time.Time)
	Pending() bool
	Processes() int
	Close()
}

// injectRedirect is the supervisor's redirect: ptrace injection.
func injectRedirect(pid, outW, errW int) (redirector, error) {
	r, err := inject.New(pid, outW, errW)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return r, nil
}

// adoptJob switches an adopted process's stdout and stderr (and their
// copies in its descendants) to pipes of ours, read as `<name>/<pid>`, a
// step per process (see package inject). Any failure leaves the process
// adopted without redirection, with a warning.
type adoptJob struct {
	p          *process
	name       string
	r          redirector // nil until the first step
	outW, errW int        // our pipes' write ends, held until the job ends
	queued     time.Time
}

// adoptOutput queues the redirection of an adopted process's output.
func (s *Supervisor) adoptOutput(p *process, name string) {
	s.adoptions = append(s.adoptions, &adoptJob{p: p, name: name, outW: -1, errW: -1, queued: s.now})
}

// adoptSome runs due redirection steps, oldest job first, for one slice
// (at least one step).
func (s *Supervisor) adoptSome() {
	end := time.Now().Add(s.timing.adoptSlice)
	for now := time.Now(); ; now = time.Now() {
		j := s.dueAdoption(now)
		if j == nil {
			return
		}
		s.adoptStep(j, now)
		if !time.Now().Before(end) {
			return
		}
	}
}

func (s *Supervisor) dueAdoption(now time.Time) *adoptJob {
	started := 0
	for _, j := range s.adoptions {
		switch {
		case j.r != nil:
			started++
			if !now.Before(j.r.Due()) {
				return j
			}
		case started < maxRedirecting:
			return j
		}
	}
	return nil
}

// adoptDeadline is when a redirection step is due next (Never: none).
func (s *Supervisor) adoptDeadline() time.Time {
	d, started := loop.Never, 0
	for _, j := range s.adoptions {
		switch {
		case j.r != nil:
			started++
			if due := j.r.Due(); due.Before(d) {
				d = due
			}
		case started < maxRedirecting:
			return s.now
		}
	}
	return d
}

// kickAdoptions: the reaper saw children's reports, which include the
// stops of the tracees the parked switches wait for.
func (s *Supervisor) kickAdoptions() {
	for _, j := range s.adoptions {
		if j.r != nil {
			j.r.Kick(s.now)
		}
	}
}

func (s *Supervisor) adoptStep(j *adoptJob, now time.Time) {
	if j.r == nil && !s.startRedirection(j) {
		s.endAdoption(j)
		return
	}
	if pid, err := j.r.Step(now); err != nil {
		s.warnRedirect(j, pid, err)
	}
	if !j.r.Pending() {
		s.endAdoption(j)
	}
}

// startRedirection makes the pipes and prepares the redirection.
func (s *Supervisor) startRedirection(j *adoptJob) bool {
	stage := strconv.Itoa(j.p.pid)
	var err error
	var out, errs *relay.Source
	if out, j.outW, err = s.out.NewSource(j.name, stage, true); err == nil {
		j.p.srcs = append(j.p.srcs, out)
		if errs, j.errW, err = s.out.NewSource(j.name, stage, false); err == nil {
			j.p.srcs = append(j.p.srcs, errs)
		}
	}
	if err == nil {
		j.r, err = s.redirect(j.p.pid, j.outW, j.errW)
	}
	if err != nil {
		s.warnRedirect(j, j.p.pid, err)
		return false
	}
	return true
}

func (s *Supervisor) warnRedirect(j *adoptJob, pid int, err error) {
	if pid == j.p.pid {
		s.out.Warnf("%s: cannot redirect output of PID %d: %v", j.p.label, pid, err)
		return
	}
	s.out.Warnf("%s: cannot redirect output of a descendant, PID %d: %v", j.p.label, pid, err)
}

// endAdoption forgets a job. The sources stay: processes that got our
// pipes write into them; when none did, nobody holds their write ends and
// they close themselves at EOF.
func (s *Supervisor) endAdoption(j *adoptJob) {
	if j.r != nil {
		if n := j.r.Processes(); n > 0 {
			s.out.At(LevelDebug, relay.EventAdopted).For(j.p.label).Int("pid", j.p.pid).Int("processes", n).
				Logf("%s: output redirected (%d processes, %s after adoption)", j.p.label, n, time.Since(j.queued).Round(time.Microsecond))
		}
		j.r.Close()
	}
	sys.Close(j.outW, j.errW)
	for i, k := range s.adoptions {
		if k == j {
			s.adoptions = append(s.adoptions[:i], s.adoptions[i+1:]...)
			break
		}
	}
}

// dropAdoption ends p's job, if any, once p has ended: its PID may be
// reused by another process from now on.
func (s *Supervisor) dropAdoption(p *process) {
	for _, j := range s.adoptions {
		if j.p == p {
			s.endAdoption(j)
			return
		}
	}
}
