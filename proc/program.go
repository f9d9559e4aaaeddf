package proc

import (
	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// program is one program to start: what runs where, with which role, and
// where its output goes.
type program struct {
	svc        *service
	stage      string // "run", "log" or "term": its label is "<service>/<stage>"
	role       role
	path       string
	args       []string // argv; nil: the path alone
	dir        string   // "": ours
	env        []string
	stdin      int
	stdout     int    // -1: a pipe of ours; else the fd its stdout goes to
	stderr     int    // the same for stderr
	outStage   string // the stage its stdout lines carry (log/run's are run's); "": stage
	foreground bool   // made the foreground group of the terminal on stdin
	extra      int    // with extraAt >= 3: given to it as fd extraAt (readiness)
	extraAt    int
}

func (pg program) label() string { return pg.svc.name + "/" + pg.stage }

func (pg program) stdoutStage() string {
	if pg.outStage != "" {
		return pg.outStage
	}
	return pg.stage
}

// start starts pg with its stdout and stderr on pipes of ours (stdout
// where pg says), and enters it in the owner table. On failure nothing is
// left: no pipe, no source, no process.
func (s *Supervisor) start(pg program) (*process, error) {
	outs, err := s.openOutputs(pg)
	if err != nil {
		return nil, err
	}
	defer outs.closeWriteEnds() // the program holds its copies
	spec := sys.Spec{Path: pg.path, Args: pg.args, Dir: pg.dir, Env: pg.env, Stdin: pg.stdin,
		Stdout: outs.stdout, Stderr: outs.stderr, Foreground: pg.foreground, Extra: pg.extra, ExtraAt: pg.extraAt}
	pid, pidfd, err := sys.Spawn(spec, s.pidfds)
	if err != nil {
		outs.closeSources()
		return nil, err
	}
	p := s.track(pg, pid, pidfd)
	p.srcs = outs.srcs
	pg.svc.programs = append(pg.svc.programs, p)
	return p, nil
}

// outputs are the pipes a program's output goes into: the write ends it
// gets, and the sources of ours that read them.
type outputs struct {
	stdout, stderr int
	ours           []int // the write ends that are ours to close (not the caller's fds)
	srcs           []*relay.Source
}

func (s *Supervisor) openOutputs(pg program) (outputs, error) {
	o := outputs{stdout: pg.stdout, stderr: pg.stderr}
	if o.stdout < 0 {
		src, w, err := s.out.NewSource(pg.svc.name, pg.stdoutStage(), true)
		if err != nil {
			return o, err
		}
		o.srcs, o.stdout, o.ours = append(o.srcs, src), w, append(o.ours, w)
	}
	if o.stderr < 0 {
		src, w, err := s.out.NewSource(pg.svc.name, pg.stage, false)
		if err != nil {
			o.closeWriteEnds()
			o.closeSources()
			return o, err
		}
		o.srcs, o.stderr, o.ours = append(o.srcs, src), w, append(o.ours, w)
	}
	return o, nil
}

func (o outputs) closeWriteEnds() { sys.Close(o.ours...) }

func (o outputs) closeSources() {
	for _, src := range o.srcs {
		src.Close()
	}
}

// track enters a started process in the owner table, and has the loop
// watch its pidfd: readable once it ended.
func (s *Supervisor) track(pg program, pid, pidfd int) *process {
	p := &process{sup: s, pid: pid, pidfd: pidfd, role: pg.role, svc: pg.svc, label: pg.label(), started: s.now}
	s.procs[pid] = p
	if pidfd >= 0 {
		tok, err := s.loop.Add(pidfd, loop.In, p)
		if err != nil {
			sys.Close(pidfd)
			p.pidfd = -1 // waited for by SIGCHLD and the periodic reap
		} else {
			p.tok = tok
		}
	}
	return p
}
