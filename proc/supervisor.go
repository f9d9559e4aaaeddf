package proc

import (
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
	"github.com/dinit-dev/dinit/proc/status"
)

// Exit codes.
const (
	ExitOK      = 0 // signal-initiated shutdown, or nothing recorded
	ExitFailure = 1 // our own failure (configuration, setup, a program we could not start)
	ExitService = 3 // a service ended with a non-zero code or by a signal

	ExitNotExecutable = 126 // the main program is not executable
	ExitNotFound      = 127 // the main program is not found
)

// Supervisor runs a service directory. All of its state is touched by the
// loop thread only.
type Supervisor struct {
	cfg     Config
	timing  timing
	procfs  sys.Proc // where we read /proc (tests give a fake tree)
	loop    *loop.Loop
	sigs    *loop.Signals
	out     *relay.Output
	env     []string
	self    int
	pidfds  bool
	now     time.Time
	sigBuf  []syscall.Signal
	sigSeen bool // the signal source is readable

	services   []*service
	procs      map[int]*process // the owner table: every PID we track
	killing    []*process       // reparented processes with a SIGKILL planned
	logWaits   []*service       // log programs that ended before their run
	unreported []*process       // ended, but their pipes are open: accounting waits
	reparent   reparentScan
	startup    startup
	adoptions  []*adoptJob // output redirections of adopted processes in progress
	redirect   func(pid, outW, errW int) (redirector, error)
	sweep      sweep
	status     *status.Server // the status socket; nil when off

	phase        phase
	startedAt    time.Time // when the supervisor began
	stopReason   string    // why the shutdown began, as its line says
	stoppedAt    time.Time
	exitCode     int             // the first reason to exit, or noReason (exitcode.go)
	mainEnd      *sys.ExitStatus // how the main program ended
	reapNeeded   bool            // a pidfd or SIGCHLD said a child ended
	readyPending bool            // a readiness pipe had an event
}

// Run supervises cfg.Dir until everything has ended, and returns the exit
// code. It must be called from the main goroutine, locked to the main
// thread (see cmd/dinit): children attach to the thread that forks them and
// reparented processes to the main thread.
func Run(cfg Config) int {
	runtime.LockOSThread()
	s, err := newSupervisor(cfg)
	if err != nil {
		os.Stderr.Write(ErrorLine(time.Now(), err.Error(), cfg.LogFormat))
		return ExitFailure
	}
	defer s.close()
	return s.run()
}

func newSupervisor(cfg Config) (*Supervisor, error) {
	sys.MarkInheritedCloexec()
	// Signals first: from here on no catchable signal can kill us.
	sigs, err := loop.NewSignals(caughtSignals...)
	if err != nil {
		return nil, err
	}
	// On the error paths below the signal source stays: see close.
	l, err := loop.New()
	if err != nil {
		return nil, err
	}
	s := assemble(cfg, l, relay.New(l, 1, 2, relayOptions(cfg)))
	s.sigs = sigs
	if _, err = l.Add(sigs.Fd(), loop.In, signalHandler{s}); err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

// assemble makes a supervisor's state around its loop and output.
func assemble(cfg Config, l *loop.Loop, out *relay.Output) *Supervisor {
	s := &Supervisor{cfg: cfg, timing: defaultTiming, procfs: sys.RealProc, loop: l, out: out,
		procs: map[int]*process{}, env: os.Environ(), self: os.Getpid(), pidfds: sys.PidfdSupported(),
		startup: startup{devnull: -1}, redirect: injectRedirect, exitCode: noReason}
	s.tick()
	// The first scan is due at once: until it has run, no other timer
	// bounds the loop's first wait (see deadline).
	s.reparent.due = s.now
	return s
}

type signalHandler struct{ s *Supervisor }

func (h signalHandler) Event(uint32) { h.s.sigSeen = true }

// close leaves the signal source alone: we must catch every signal until
// the process exits. After signal.Stop, the runtime's default would be back
// and a SIGTERM in the last moments would end us with 143 instead of the
// exit code we chose (SPEC: no window between stopping signal handling and
// exit).
func (s *Supervisor) close() {
	s.closeStatus()
	s.reparent.lister.Close()
	_ = s.loop.Close()
}

// tick reads the clock once per turn; every line of the turn carries it.
func (s *Supervisor) tick() {
	s.now = time.Now()
	s.out.Tick(s.now)
}

func (s *Supervisor) run() int {
	s.startedAt = time.Now()
	s.becomeSubreaper()
	svcs, err := s.configuredServices()
	if err != nil {
		s.out.Errorf("DINIT_DIR %q: %v", s.cfg.Dir, err)
		return s.finish(ExitFailure)
	}
	if len(svcs) == 0 && s.cfg.Main == nil {
		s.out.Warnf("no services found, exiting")
		return s.finish(ExitOK)
	}
	s.services, s.startup.queue = svcs, svcs // started by the turns, a slice at a time
	s.openStatus()
	if m := s.cfg.Main; m != nil {
		// Started after the services, stopped and signalled first.
		main := &service{name: m.Name, main: m}
		s.services = append([]*service{main}, svcs...)
		s.startup.queue = append(svcs[:len(svcs):len(svcs)], main)
	}
	for !s.done() {
		s.turn()
	}
	return s.code()
}

// finish writes out what is buffered and returns code, for the paths that
// end before any service started.
func (s *Supervisor) finish(code int) int {
	s.exitCode = code
	s.exit()
	for s.out.Pending() > 0 && !s.out.Broken() {
		s.out.Flush()
		if s.out.Pending() > 0 {
			_, _ = s.loop.Poll(time.Now().Add(100 * time.Millisecond))
		}
	}
	return code
}

func (s *Supervisor) becomeSubreaper() {
	if s.self == 1 {
		return
	}
	s.out.Infof("not running as a PID 1, but PID %d, registering as a process subreaper", s.self)
	if err := sys.BecomeSubreaper(); err != nil {
		s.out.Errorf("registering as a process subreaper: %v", err)
	}
}

// stopping reports that the shutdown began (it may be over).
func (s *Supervisor) stopping() bool { return s.phase >= stopping }

// exit enters the last phase: the exit message, then only flushing.
func (s *Supervisor) exit() {
	s.phase = exiting
	s.closeStatus()
	if code := s.code(); code != ExitOK {
		s.out.At(LevelWarn, relay.EventExiting).Int("status", code).Logf("dinit exiting with status %d", code)
	} else {
		s.out.At(LevelInfo, relay.EventExiting).Int("status", code).Logf("dinit exiting with status %d", code)
	}
	s.out.Flush()
}
