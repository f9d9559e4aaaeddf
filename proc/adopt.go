package proc

import (
	"strconv"
	"time"
)

// adoptOutput switches an adopted process's stdout and stderr (and their
// copies in its descendants) to pipes of ours, read as `<name>/<pid>`. It
// blocks the loop for the time of the ptrace work, at most ptBudget (250 ms)
// plus /proc reads (see ptrace_tracee.go); any failure leaves the process
// adopted without redirection.
func (s *Supervisor) adoptOutput(p *process, name string) {
	stage := strconv.Itoa(p.pid)
	_, outW, err := s.out.newSource(name, stage, true)
	if err != nil {
		s.out.warnf("%s: cannot redirect output of PID %d: %v", p.label, p.pid, err)
		return
	}
	_, errW, err := s.out.newSource(name, stage, false)
	if err != nil {
		closeFds(outW) // its source sees EOF and closes itself
		s.out.warnf("%s: cannot redirect output of PID %d: %v", p.label, p.pid, err)
		return
	}
	start := time.Now()
	warnings, err := redirectAdopted(p.pid, outW, errW)
	closeFds(outW, errW)
	s.out.debugf("%s: redirecting output took %s", p.label, time.Since(start))
	for _, w := range warnings {
		s.out.warnf("%s: cannot redirect output of a descendant, %v", p.label, w)
	}
	if err != nil {
		// The sources stay: if a dup3 happened before the failure, the
		// process writes into them; if not, nobody holds their write ends
		// and they close themselves at EOF.
		s.out.warnf("%s: cannot redirect output of PID %d: %v", p.label, p.pid, err)
	}
}
