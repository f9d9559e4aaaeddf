package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/loop"
)

// startSlice is how long one turn of the loop may spend starting services:
// with thousands of them, a signal that arrives during the startup is acted
// on between two slices, not after the last service.
const startSlice = 10 * time.Millisecond

// startup is the progress of starting the services, a slice per turn.
type startup struct {
	queue   []*service // still to start, in name order
	devnull int        // stdin of every run; -1 when not open
	slice   time.Duration
}

// starting reports that the startup is not over: services are left to
// start, or to drop when the shutdown began first.
func (s *Supervisor) starting() bool { return len(s.startup.queue) > 0 }

// startSome starts services in name order for at most one slice. A program
// that cannot be started is our failure (exit 1) and starts the shutdown;
// services not started by then never are. The clock is read before each
// start, so that each "running with PID" line carries its own time.
func (s *Supervisor) startSome() {
	if s.startup.devnull < 0 && !s.shutting && !s.openStartup() {
		return
	}
	end := time.Now().Add(s.startup.slice)
	for len(s.startup.queue) > 0 && !s.shutting {
		s.tick()
		svc := s.startup.queue[0]
		s.startup.queue = s.startup.queue[1:]
		if err := s.startService(svc, s.startup.devnull); err != nil {
			s.recordExit(ExitFailure)
			s.shutdown()
		}
		if !time.Now().Before(end) {
			break
		}
	}
	if len(s.startup.queue) == 0 || s.shutting {
		s.startup.queue = nil
		closeFds(s.startup.devnull)
		s.startup.devnull = -1
	}
}

// openStartup opens the stdin of the runs; a failure is ours.
func (s *Supervisor) openStartup() bool {
	devnull, err := openDevNull()
	if err != nil {
		s.out.errorf("opening /dev/null: %v", err)
		s.recordExit(ExitFailure)
		s.shutdown()
		return false
	}
	s.startup.devnull = devnull
	return true
}

// startService starts log/run (when present) and run. run's stdout goes to
// log/run's stdin; log/run's stdout is the service's stdout, stage run.
func (s *Supervisor) startService(svc *service, devnull int) error {
	runStdout := -1
	if exists(svc.path("log", "run")) {
		r, w, err := plainPipe()
		if err != nil {
			s.out.errorf("%s/log: error running: %v", svc.name, err)
			return err
		}
		svc.log, err = s.startProgram(svc, "log", roleLog, svc.path("log", "run"), svc.path("log"), s.env, r, "run")
		closeFds(r)
		if err != nil {
			closeFds(w)
			return err
		}
		runStdout = w
	}
	var err error
	svc.run, err = s.startProgramTo(svc, "run", roleRun, svc.path("run"), svc.dir, s.env, devnull, runStdout)
	closeFds(runStdout)
	return err
}

// startTerminate runs the service's terminate program in place of SIGTERM.
func (s *Supervisor) startTerminate(svc *service) bool {
	env := append(s.env[:len(s.env):len(s.env)], "DINIT_PID="+strconv.Itoa(svc.run.pid))
	devnull, err := openDevNull()
	if err != nil {
		s.out.errorf("%s/term: error running: %v", svc.name, err)
		return false
	}
	defer closeFds(devnull)
	_, err = s.startProgram(svc, "term", roleTerm, svc.path("terminate"), svc.dir, env, devnull, "term")
	return err == nil
}

// startProgram starts one program whose stdout and stderr we read; stdout
// lines are attributed to stdoutStage (log/run's stdout counts as run's).
func (s *Supervisor) startProgram(svc *service, stage string, r role, path, dir string, env []string, stdin int, stdoutStage string) (*process, error) {
	out, w, err := s.out.newSource(svc.name, stdoutStage, true)
	if err != nil {
		s.out.errorf("%s/%s: error running: %v", svc.name, stage, err)
		return nil, err
	}
	p, err := s.startProgramTo(svc, stage, r, path, dir, env, stdin, w)
	closeFds(w)
	if err != nil {
		out.close()
	}
	return p, err
}

// startProgramTo starts a program whose stdout is the given fd, or a new
// source of ours when stdout is -1; its stderr is always a new source.
func (s *Supervisor) startProgramTo(svc *service, stage string, r role, path, dir string, env []string, stdin, stdout int) (*process, error) {
	label := svc.name + "/" + stage
	s.out.infof("%s: starting", label)
	var srcs []*source
	fail := func(err error) (*process, error) {
		s.out.errorf("%s: error running: %v", label, err)
		for _, src := range srcs {
			src.close()
		}
		return nil, err
	}
	if stdout < 0 {
		src, w, err := s.out.newSource(svc.name, stage, true)
		if err != nil {
			return fail(err)
		}
		srcs = append(srcs, src)
		defer closeFds(w)
		stdout = w
	}
	errSrc, errW, err := s.out.newSource(svc.name, stage, false)
	if err != nil {
		return fail(err)
	}
	srcs = append(srcs, errSrc)
	defer closeFds(errW)
	pid, pidfd, err := spawn(spawnSpec{path: path, dir: dir, env: env, stdin: stdin, stdout: stdout, stderr: errW}, s.pidfds)
	if err != nil {
		return fail(err)
	}
	return s.track(svc, r, label, pid, pidfd), nil
}

// track enters a started process in the owner table.
func (s *Supervisor) track(svc *service, r role, label string, pid, pidfd int) *process {
	p := &process{sup: s, pid: pid, pidfd: pidfd, role: r, svc: svc, label: label}
	s.procs[pid] = p
	if pidfd >= 0 {
		tok, err := s.loop.Add(pidfd, loop.In, p) // readable: the process ended
		if err != nil {
			closeFds(pidfd)
			p.pidfd = -1
		} else {
			p.tok = tok
		}
	}
	s.out.infof("%s: running with PID %d", label, pid)
	return p
}
