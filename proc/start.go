package proc

import (
	"errors"
	"io/fs"
	"strconv"
	"syscall"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// startup is the progress of starting the services, a slice per turn.
type startup struct {
	queue   []*service // still to start, in name order
	devnull int        // stdin of every run; -1 when not open
}

// starting reports that the startup is not over: services are left to
// start, or to drop when the shutdown began first.
func (s *Supervisor) starting() bool { return len(s.startup.queue) > 0 }

// startSome starts services in name order for at most one slice. A program
// that cannot be started is our failure (exit 1) and starts the shutdown;
// services not started by then never are. The clock is read before each
// start, so that each "running with PID" line carries its own time.
func (s *Supervisor) startSome() {
	if s.startup.devnull < 0 && !s.stopping() && !s.openStartup() {
		return
	}
	end := time.Now().Add(s.timing.startSlice)
	for len(s.startup.queue) > 0 && !s.stopping() {
		s.tick()
		svc := s.startup.queue[0]
		s.startup.queue = s.startup.queue[1:]
		if err := s.startService(svc, s.startup.devnull); err != nil {
			s.recordExit(startFailureCode(svc, err))
			s.stopFor(svc.name + " could not be started")
		}
		if !time.Now().Before(end) {
			break
		}
	}
	if len(s.startup.queue) == 0 || s.stopping() {
		s.startup.queue = nil
		sys.Close(s.startup.devnull)
		s.startup.devnull = -1
	}
}

// startFailureCode is the exit code a program that could not be started
// records: ours (1), but for the main program the shells' codes, as for a
// PATH lookup that failed: 127 not found (a missing interpreter too), 126
// not executable.
func startFailureCode(svc *service, err error) int {
	switch {
	case svc.main == nil:
		return ExitFailure
	case errors.Is(err, fs.ErrNotExist):
		return ExitNotFound
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ENOEXEC):
		return ExitNotExecutable
	}
	return ExitFailure
}

// openStartup opens the stdin of the runs; a failure is ours.
func (s *Supervisor) openStartup() bool {
	devnull, err := sys.OpenDevNull()
	if err != nil {
		s.out.Errorf("starting services: %v", err)
		s.recordExit(ExitFailure)
		s.stopFor("services could not be started")
		return false
	}
	s.startup.devnull = devnull
	return true
}

// startService starts log/run (when present) and run. run's stdout goes to
// log/run's stdin; log/run's stdout is the service's stdout, stage run.
func (s *Supervisor) startService(svc *service, devnull int) error {
	if svc.main != nil {
		return s.startMain(svc)
	}
	run := program{svc: svc, stage: "run", role: roleRun, path: svc.path("run"), dir: svc.dir,
		env: s.env, stdin: devnull, stdout: -1, stderr: -1, extraAt: svc.notifyFd}
	if exists(svc.path("log", "run")) {
		w, err := s.startLog(svc)
		if err != nil {
			return err
		}
		defer sys.Close(w)
		run.stdout = w
	}
	var err error
	if run.extra, err = s.openReadiness(svc); err != nil {
		s.out.At(LevelError, relay.EventNone).For(run.label()).Logf("%s: error running: %v", run.label(), err)
		return err
	}
	defer sys.Close(run.extra) // run holds its copy
	p, err := s.startLogged(run)
	svc.run = p
	if err != nil {
		s.closeReadiness(&svc.ready)
	}
	return err
}

// startMain starts the main program of `dinit PROGRAM`: in our working
// directory, with our stdin. When stdin is a terminal (`docker run -it`),
// stdout and stderr are ours as they are, not relayed, and the program is
// made the terminal's foreground process group when the terminal is ours:
// Ctrl-C, job control and full-screen programs then behave as in a shell.
func (s *Supervisor) startMain(svc *service) error {
	m := svc.main
	pg := program{svc: svc, stage: "run", role: roleRun, path: m.Path, args: m.Args, env: s.env,
		stdin: 0, stdout: -1, stderr: -1}
	// fd 0 is always open: the Go runtime opens /dev/null on 0, 1 and 2
	// at start-up when they are closed.
	if sys.IsTerminal(0) {
		pg.stdout, pg.stderr = 1, 2
		pg.foreground = sys.IsControllingTerminal(0)
	}
	p, err := s.startLogged(pg)
	svc.run = p
	return err
}

// startLog starts log/run and returns the write end of its stdin.
func (s *Supervisor) startLog(svc *service) (w int, err error) {
	label := svc.name + "/log"
	r, w, err := sys.PlainPipe()
	if err != nil {
		s.out.Errorf("%s: error running: %v", label, err)
		return -1, err
	}
	defer sys.Close(r)
	svc.log, err = s.startLogged(program{svc: svc, stage: "log", role: roleLog, path: svc.path("log", "run"),
		dir: svc.path("log"), env: s.env, stdin: r, stdout: -1, stderr: -1, outStage: "run"})
	if err != nil {
		sys.Close(w)
		return -1, err
	}
	return w, nil
}

// startTerminate runs the service's terminate program in place of SIGTERM.
func (s *Supervisor) startTerminate(svc *service) bool {
	devnull, err := sys.OpenDevNull()
	if err != nil {
		s.out.Errorf("%s/term: error running: %v", svc.name, err)
		return false
	}
	defer sys.Close(devnull)
	env := append(s.env[:len(s.env):len(s.env)], "DINIT_PID="+strconv.Itoa(svc.run.pid))
	_, err = s.startLogged(program{svc: svc, stage: "term", role: roleTerm, path: svc.path("terminate"),
		dir: svc.dir, env: env, stdin: devnull, stdout: -1, stderr: -1})
	return err == nil
}

// startLogged starts pg and says so, or says why it could not.
func (s *Supervisor) startLogged(pg program) (*process, error) {
	label := pg.label()
	s.out.At(LevelInfo, relay.EventStarting).For(label).Logf("%s: starting", label)
	p, err := s.start(pg)
	if err != nil {
		s.out.At(LevelError, relay.EventNone).For(label).Logf("%s: error running: %v", label, err)
		return nil, err
	}
	s.out.At(LevelInfo, relay.EventStarted).For(label).Int("pid", p.pid).Logf("%s: running with PID %d", label, p.pid)
	return p, nil
}
