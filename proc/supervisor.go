package proc

import (
	"os"
	"runtime"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// Exit codes.
const (
	ExitOK      = 0 // signal-initiated shutdown, or nothing recorded
	ExitFailure = 1 // our own failure (configuration, setup, a program we could not start)
	ExitService = 3 // a service ended with a non-zero code or by a signal
)

// Supervisor runs a service directory. All of its state is touched by the
// loop thread only.
type Supervisor struct {
	cfg     Config
	loop    *loop.Loop
	sigs    *loop.Signals
	sigTok  loop.Token
	out     *output
	env     []string
	self    int
	pidfds  bool
	now     time.Time
	sigBuf  []unix.Signal
	sigSeen bool

	services   []*service
	procs      map[int]*process // the owner table: every PID we track
	killing    []*process       // reparented processes with a SIGKILL planned
	logWaits   []*service       // log programs that ended before their run
	reparent   reparentScan
	startup    startup
	adoptions  []*adoptJob // output redirections of adopted processes in progress
	adoptSlice time.Duration
	sweep      sweep

	exitCode   int
	exitSet    bool
	shutting   bool
	reapNeeded bool
	exiting    bool // exit message written; flushing the last bytes
}

// Run supervises cfg.Dir until everything has ended, and returns the exit
// code. It must be called from the main goroutine, locked to the main
// thread (see cmd/dinit): children attach to the thread that forks them and
// reparented processes to the main thread.
func Run(cfg Config) int {
	runtime.LockOSThread()
	s, err := newSupervisor(cfg)
	if err != nil {
		os.Stderr.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " dinit: error: " + err.Error() + "\n")
		return ExitFailure
	}
	defer s.close()
	return s.run()
}

func newSupervisor(cfg Config) (*Supervisor, error) {
	markInheritedCloexec()
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
	s := assemble(cfg, l, newOutput(l, cfg.Level, cfg.JSON))
	s.sigs = sigs
	if s.sigTok, err = l.Add(sigs.Fd(), loop.In, signalHandler{s}); err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

// assemble makes a supervisor's state around its loop and output.
func assemble(cfg Config, l *loop.Loop, out *output) *Supervisor {
	s := &Supervisor{cfg: cfg, loop: l, out: out, procs: map[int]*process{}, env: os.Environ(),
		self: os.Getpid(), pidfds: pidfdSupported(), startup: startup{devnull: -1, slice: startSlice},
		adoptSlice: adoptSlice}
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
	_ = s.loop.Close()
}

// tick reads the clock once per turn; every line of the turn carries it.
func (s *Supervisor) tick() {
	s.now = time.Now()
	s.out.clock.Set(s.now)
}

func (s *Supervisor) run() int {
	s.becomeSubreaper()
	svcs, err := discover(s.cfg.Dir)
	if err != nil {
		s.out.errorf("DINIT_DIR %q: %v", s.cfg.Dir, err)
		return s.finish(ExitFailure)
	}
	if len(svcs) == 0 {
		s.out.warnf("no services found, exiting")
		return s.finish(ExitOK)
	}
	s.services, s.startup.queue = svcs, svcs // started by the turns, a slice at a time
	for !s.done() {
		s.turn()
	}
	return s.exitCode
}

// finish writes out what is buffered and returns code, for the paths that
// end before any service started.
func (s *Supervisor) finish(code int) int {
	s.exitCode = code
	s.out.infof("dinit exiting with status %d", code)
	s.exiting = true
	for s.out.pending() > 0 && !s.sinksBroken() {
		s.out.flush()
		if s.out.pending() > 0 {
			_, _ = s.loop.Poll(time.Now().Add(100 * time.Millisecond))
		}
	}
	return code
}

func (s *Supervisor) sinksBroken() bool {
	return s.out.stdout.broken != nil && s.out.stderr.broken != nil
}

func (s *Supervisor) becomeSubreaper() {
	if s.self == 1 {
		return
	}
	s.out.infof("not running as a PID 1, but PID %d, registering as a process subreaper", s.self)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		s.out.errorf("registering as a process subreaper: %v", err)
	}
}

// recordExit keeps the first reason to exit: later ones do not change it.
func (s *Supervisor) recordExit(code int) {
	if !s.exitSet {
		s.exitCode, s.exitSet = code, true
	}
}
