package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// What `dinit status` shows: one row per program (every program started
// for a service, in start order, then the adopted processes), built on
// the loop's thread when a client asks.

// row is one program as status shows it.
type row struct {
	service, stage string
	pid            int // 0: none (not started)
	state          string
	since          time.Time       // started, or ended; zero: not started
	ready          string          // "yes", "no", or "" where readiness does not apply
	end            *sys.ExitStatus // how it ended; nil while it runs
	relayed        relayed
}

func (s *Supervisor) rows() []row {
	var rows []row
	for _, svc := range s.services {
		if len(svc.programs) == 0 {
			rows = append(rows, row{service: svc.name, stage: "run", state: "not started", ready: readyWord(svc, nil)})
			continue
		}
		for _, p := range svc.programs {
			rows = append(rows, s.programRow(svc, p))
		}
	}
	for _, p := range s.byPID(roleAdopted) {
		r := s.programRow(nil, p)
		r.state = "adopted"
		rows = append(rows, r)
	}
	return rows
}

func (s *Supervisor) programRow(svc *service, p *process) row {
	r := row{pid: p.pid, state: "running", since: p.started, relayed: relayedOf(p.srcs)}
	r.service, r.stage = relay.SplitLabel(p.label)
	if p.end != nil {
		r.state, r.since = endWord(p), p.endedAt
		r.end = p.end
	}
	if p.role == roleRun && svc != nil {
		r.ready = readyWord(svc, p)
	}
	return r
}

// endWord: "exited 3", "killed by signal 9", "disabled".
func endWord(p *process) string {
	switch {
	case p.role == roleRun && p.svc != nil && p.svc.disabled && p.end.Code == 115:
		return "disabled"
	case p.end.Signal != 0:
		return "killed by signal " + strconv.Itoa(int(p.end.Signal))
	}
	return "exited " + strconv.Itoa(p.end.Code)
}

// readyWord is the READY column of a service's run: "yes" once ready (see
// isReady), "no" before.
func readyWord(svc *service, run *process) string {
	if svc.isReady() && (run == nil || run.end == nil) {
		return "yes"
	}
	return "no"
}
