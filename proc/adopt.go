package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/loop"
)

// adoptSlice is how long one turn of the loop may spend redirecting
// adopted processes' output. A step runs until its tracee has to be waited
// for (then it parks, see adopt_redirect.go), so the loop serves everything
// else within about a slice, whatever the adopted processes do, also when
// hundreds are adopted at once. At most maxRedirecting jobs are under way
// at once (each holds two pipes, a socket and maybe a parked switch).
const (
	adoptSlice     = 20 * time.Millisecond
	maxRedirecting = 32
)

// adoptJob switches an adopted process's stdout and stderr (and their
// copies in its descendants) to pipes of ours, read as `<name>/<pid>`, a
// step per process (adopt_redirect.go). Any failure leaves the process
// adopted without redirection, with a warning.
type adoptJob struct {
	p          *process
	name       string
	r          *redirection // nil until the first step
	outW, errW int          // our pipes' write ends, held until the job ends
	queued     time.Time
}

// adoptOutput queues the redirection of an adopted process's output.
func (s *Supervisor) adoptOutput(p *process, name string) {
	s.adoptions = append(s.adoptions, &adoptJob{p: p, name: name, outW: -1, errW: -1, queued: s.now})
}

// adoptSome runs due redirection steps, oldest job first, for one slice
// (at least one step).
func (s *Supervisor) adoptSome() {
	end := time.Now().Add(s.adoptSlice)
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
			if !now.Before(j.r.due()) {
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
			if due := j.r.due(); due.Before(d) {
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
			j.r.kick(s.now)
		}
	}
}

func (s *Supervisor) adoptStep(j *adoptJob, now time.Time) {
	if j.r == nil && !s.startRedirection(j) {
		s.endAdoption(j)
		return
	}
	if pid, err := j.r.step(now); err != nil {
		s.warnRedirect(j, pid, err)
	}
	if !j.r.pending() {
		s.endAdoption(j)
	}
}

// startRedirection makes the pipes and prepares the redirection.
func (s *Supervisor) startRedirection(j *adoptJob) bool {
	stage := strconv.Itoa(j.p.pid)
	var err error
	if _, j.outW, err = s.out.newSource(j.name, stage, true); err == nil {
		_, j.errW, err = s.out.newSource(j.name, stage, false)
	}
	if err == nil {
		j.r, err = newRedirection(j.p.pid, j.outW, j.errW)
	}
	if err != nil {
		s.warnRedirect(j, j.p.pid, err)
		return false
	}
	return true
}

func (s *Supervisor) warnRedirect(j *adoptJob, pid int, err error) {
	if pid == j.p.pid {
		s.out.warnf("%s: cannot redirect output of PID %d: %v", j.p.label, pid, err)
		return
	}
	s.out.warnf("%s: cannot redirect output of a descendant, PID %d: %v", j.p.label, pid, err)
}

// endAdoption forgets a job. The sources stay: processes that got our
// pipes write into them; when none did, nobody holds their write ends and
// they close themselves at EOF.
func (s *Supervisor) endAdoption(j *adoptJob) {
	if j.r != nil {
		if n := j.r.processes(); n > 0 {
			s.out.debugf("%s: output redirected (%d processes, %s after adoption)", j.p.label, n, time.Since(j.queued).Round(time.Microsecond))
		}
		j.r.close()
	}
	closeFds(j.outW, j.errW)
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
