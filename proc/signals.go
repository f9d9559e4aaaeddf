package proc

import (
	"os"
	"slices"
	"strconv"
	"syscall"

	"github.com/dinit-dev/dinit/proc/relay"
)

// caughtSignals are the signals we take over from the Go runtime. Without a
// Notify, the runtime's defaults would kill us on HUP, INT, TERM (exit), on
// QUIT, ILL, TRAP, ABRT, STKFLT, SYS (exit with a stack dump), and would
// stop us on TSTP, TTIN, TTOU. Signals not listed here are caught by the
// runtime and ignored, or set to SIG_IGN by loop.NewSignals when the
// runtime has no handler for them (32 to 34). SIGURG is the runtime's
// preemption signal and is never listed nor forwarded; SIGPROF belongs to
// the profiler.
var caughtSignals = slices.Concat([]os.Signal{
	// shutdown
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT,
	// forwarded
	syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
	// reaping
	syscall.SIGCHLD,
	// ignored
	syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU,
	syscall.SIGILL, syscall.SIGTRAP, syscall.SIGABRT, syscall.SIGSYS,
	syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV,
	syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGVTALRM, syscall.SIGPWR, syscall.SIGIO,
}, archSignals, realtimeSignals())

// Real-time signals os/signal can catch: from SIGRTMIN+3 (32 to 34 belong
// to the C libraries' threads, and the runtime lets nobody catch them) to
// 64, the last signal os/signal knows (MIPS goes on to 128: the runtime
// catches and ignores those). They are logged and ignored, not forwarded:
// their meaning is private to each program (glibc's SIGRTMIN is 34,
// musl's 35), so no meaning can be assumed for a whole container.
const (
	firstCatchableRealtime = 35
	lastCatchableRealtime  = 64
)

func realtimeSignals() []os.Signal {
	var sigs []os.Signal
	for n := firstCatchableRealtime; n <= lastCatchableRealtime; n++ {
		sigs = append(sigs, syscall.Signal(n))
	}
	return sigs
}

// handleSignals acts on the signals that arrived, in arrival order.
func (s *Supervisor) handleSignals() {
	s.sigBuf = s.sigs.Take(s.sigBuf[:0])
	for _, sig := range s.sigBuf {
		s.handleSignal(sig)
	}
}

func (s *Supervisor) handleSignal(sig syscall.Signal) {
	n := int(sig)
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		if s.stopping() {
			s.gotSignal(LevelInfo, relay.EventSignal, n, "got signal %d, already terminating services")
			return
		}
		s.gotSignal(LevelInfo, relay.EventSignal, n, "got signal %d, terminating services")
		s.recordExit(ExitOK)
		s.stopFor("got signal " + strconv.Itoa(n))
	case syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH:
		s.gotSignal(LevelInfo, relay.EventForwarded, n, "got signal %d, forwarding it to running services")
		s.forward(sig)
	case syscall.SIGCHLD:
		s.reapNeeded = true
		s.reparent.due = s.now
	case syscall.SIGPIPE:
		s.gotSignal(LevelDebug, relay.EventSignal, n, "got signal %d, ignoring it")
	default:
		s.gotSignal(LevelInfo, relay.EventSignal, n, "got signal %d, ignoring it")
	}
}

// gotSignal says what a received signal does.
func (s *Supervisor) gotSignal(level Level, ev relay.Event, n int, format string) {
	s.out.At(level, ev).Int("signal", n).Logf(format, n)
}

// forward passes sig to every running run process and adopted process.
func (s *Supervisor) forward(sig syscall.Signal) {
	for _, svc := range s.services {
		if svc.run != nil {
			s.signal(svc.run, sig)
		}
	}
	for _, p := range s.byPID(roleAdopted) {
		s.signal(p, sig)
	}
}
