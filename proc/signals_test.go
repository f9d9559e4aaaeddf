package proc

import (
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TERM, INT, QUIT: the graceful shutdown, exit code 0 even when the
// services then end by our SIGTERM; again: logged only.
func TestShutdownSignals(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			web := addRun(s, "web", kid(t, -1, "/bin/sleep", "1000"))
			r := itoa(web.run.pid)
			s.handleSignal(sig)
			expectMessages(t, s,
				"TS dinit: info: got signal "+itoa(int(sig))+", terminating services",
				"TS dinit: warning: shutting down: got signal "+itoa(int(sig)),
				"TS dinit: info: web/run: terminating",
				"TS dinit: info: web/run: sending SIGTERM to PID "+r)
			if !s.stopping() || s.exitCode != ExitOK {
				t.Fatalf("phase=%d exitCode=%d", s.phase, s.exitCode)
			}
			waitExited(t, web.run.pid)
			s.reap()
			expectMessages(t, s, "TS dinit: info: web/run: PID "+r+" finished with signal 15")
			for _, again := range []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGQUIT} {
				s.handleSignal(again)
			}
			expectMessages(t, s,
				"TS dinit: info: got signal 15, already terminating services",
				"TS dinit: info: got signal 2, already terminating services",
				"TS dinit: info: got signal 3, already terminating services")
			if s.exitCode != ExitOK {
				t.Fatalf("exit code %d after the services' ends, want 0", s.exitCode)
			}
		})
	}
}

// A TERM during a shutdown a failed service started: logged, and the
// service's code stays.
func TestTermDuringAServiceShutdownKeepsItsCode(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	web := addRun(s, "web", kid(t, -1, "/bin/sh", "-c", "exit 7"))
	r := itoa(web.run.pid)
	waitExited(t, web.run.pid)
	s.reap()
	s.handleSignal(unix.SIGTERM)
	expectMessages(t, s,
		"TS dinit: info: web/run: PID "+r+" finished with status 7",
		"TS dinit: warning: shutting down: web/run: PID "+r+" finished with status 7",
		"TS dinit: info: got signal 15, already terminating services")
	if s.exitCode != ExitService {
		t.Fatalf("exit code %d", s.exitCode)
	}
}

// HUP, USR1, USR2 reach the run process for real (sleep dies of them);
// its end then starts the shutdown like any end by a signal (exit code 3).
func TestForwardedSignalsReachTheRun(t *testing.T) {
	for _, sig := range []unix.Signal{unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2} {
		t.Run(sig.String(), func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			web := addRun(s, "web", kid(t, -1, "/bin/sleep", "1000"))
			r := itoa(web.run.pid)
			s.handleSignal(sig)
			expectMessages(t, s, "TS dinit: info: got signal "+itoa(int(sig))+", forwarding it to running services")
			if s.stopping() || s.exitCode != noReason {
				t.Fatal("forwarding started the shutdown")
			}
			waitExited(t, web.run.pid)
			s.reap()
			expectMessages(t, s,
				"TS dinit: info: web/run: PID "+r+" finished with signal "+itoa(int(sig)),
				"TS dinit: warning: shutting down: web/run: PID "+r+" finished with signal "+itoa(int(sig)))
			if !s.stopping() || s.exitCode != ExitService {
				t.Fatalf("phase=%d code=%d", s.phase, s.exitCode)
			}
		})
	}
}

// Forwarded signals go to every running run and every adopted process,
// and to nothing else: not log or terminate programs, not reparented
// processes under terminate or ignore.
func TestForwardReachesRunsAndAdoptedOnly(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	web := addRun(s, "web", blockedKid(t, "/bin/sleep", "1000"))
	db := addRun(s, "db", blockedKid(t, "/bin/sleep", "1000"))
	s.services = append(s.services, &service{name: "off", disabled: true})
	web.log = addProc(s, roleLog, "web/log", blockedKid(t, "/bin/sleep", "1000"), web)
	term := addProc(s, roleTerm, "db/term", blockedKid(t, "/bin/sleep", "1000"), db)
	adopted := addProc(s, roleAdopted, "a/1", blockedKid(t, "/bin/sleep", "1000"), nil)
	rep := addProc(s, roleReparented, "r/1", blockedKid(t, "/bin/sleep", "1000"), nil)
	var want uint64
	for _, sig := range []unix.Signal{unix.SIGHUP, unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH} {
		s.handleSignal(sig)
		expectMessages(t, s, "TS dinit: info: got signal "+itoa(int(sig))+", forwarding it to running services")
		want |= sigBit(sig)
		for _, p := range []*process{web.run, db.run, adopted} {
			if got := pendingSignals(t, p.pid); got != want {
				t.Fatalf("%s after %v: pending %#x, want %#x", p.label, sig, got, want)
			}
		}
		for _, p := range []*process{web.log, term, rep} {
			if got := pendingSignals(t, p.pid); got != 0 {
				t.Fatalf("%s after %v: pending %#x, want none", p.label, sig, got)
			}
		}
	}
	if s.stopping() || s.exitCode != noReason || s.reapNeeded {
		t.Fatalf("phase=%d exitCode=%d reapNeeded=%v", s.phase, s.exitCode, s.reapNeeded)
	}
}

// SIGCHLD: a reap and a scan, now; nothing said.
func TestSigchldAsksForAReapAndAScan(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	s.reparent.due = s.now.Add(s.timing.scan)
	s.handleSignal(unix.SIGCHLD)
	expectMessages(t, s)
	if !s.reapNeeded || !s.reparent.due.Equal(s.now) || !s.deadline().Equal(s.now) {
		t.Fatalf("reapNeeded=%v scan in %v", s.reapNeeded, s.reparent.due.Sub(s.now))
	}
}

// PIPE: debug only. The others we take over from the Go runtime (its
// default would kill or stop us) are logged at info and ignored: no state
// changes, nothing forwarded.
func TestIgnoredSignals(t *testing.T) {
	t.Parallel()
	ignored := append([]unix.Signal{unix.SIGALRM, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGILL, unix.SIGTRAP,
		unix.SIGABRT, unix.SIGSYS, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGXCPU,
		unix.SIGXFSZ, unix.SIGVTALRM, unix.SIGPWR, unix.SIGIO, 35, 50, 64}, archSignalsForTest()...)
	// SIGPIPE at debug level only.
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	s.handleSignal(unix.SIGPIPE)
	expectMessages(t, s, "TS dinit: debug: got signal 13, ignoring it")
	s = newUnitSupervisor(t, Config{Level: LevelInfo})
	web := addRun(s, "web", blockedKid(t, "/bin/sleep", "1000"))
	due := s.reparent.due
	s.handleSignal(unix.SIGPIPE)
	expectMessages(t, s)
	var want []string
	for _, sig := range ignored {
		s.handleSignal(sig)
		want = append(want, "TS dinit: info: got signal "+itoa(int(sig))+", ignoring it")
	}
	expectMessages(t, s, want...)
	if s.stopping() || s.exitCode != noReason || s.reapNeeded || !s.reparent.due.Equal(due) {
		t.Fatalf("phase=%d exitCode=%d reapNeeded=%v scan moved by %v", s.phase, s.exitCode, s.reapNeeded, s.reparent.due.Sub(due))
	}
	if got := pendingSignals(t, web.run.pid); got != 0 {
		t.Fatalf("run was sent %#x", got)
	}
}

// caughtSignals takes over every signal whose Go runtime default would
// kill us (exit, or exit with a stack dump) or stop us, and the real-time
// signals os/signal can catch (35 to 64), and leaves the runtime's own (URG
// for preemption, PROF for the profiler); KILL and STOP cannot be caught,
// nor can 32 to 34 (loop.NewSignals ignores them). Each is handled the way
// the README's table says.
func TestCaughtSignalsAndWhatEachDoes(t *testing.T) {
	t.Parallel()
	want := map[unix.Signal]string{
		unix.SIGTERM: "shutdown", unix.SIGINT: "shutdown", unix.SIGQUIT: "shutdown",
		unix.SIGHUP: "forward", unix.SIGUSR1: "forward", unix.SIGUSR2: "forward", unix.SIGWINCH: "forward",
		unix.SIGCHLD: "reap", unix.SIGPIPE: "debug",
	}
	for _, sig := range append([]unix.Signal{unix.SIGALRM, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGILL,
		unix.SIGTRAP, unix.SIGABRT, unix.SIGSYS, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV,
		unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM, unix.SIGPWR, unix.SIGIO}, archSignalsForTest()...) {
		want[sig] = "ignore"
	}
	for sig := unix.Signal(35); sig <= 64; sig++ {
		want[sig] = "ignore"
	}
	got := map[unix.Signal]string{}
	for _, c := range caughtSignals {
		sig := unix.Signal(c.(syscall.Signal))
		if _, dup := got[sig]; dup {
			t.Errorf("%v listed twice", sig)
		}
		s := newUnitSupervisor(t, Config{Level: LevelDebug})
		s.handleSignal(sig)
		msgs := messages(s)
		switch n := itoa(int(sig)); {
		case s.stopping() && slices.Equal(msgs, []string{"TS dinit: info: got signal " + n + ", terminating services",
			"TS dinit: warning: shutting down: got signal " + n}):
			got[sig] = "shutdown"
		case slices.Equal(msgs, []string{"TS dinit: info: got signal " + n + ", forwarding it to running services"}):
			got[sig] = "forward"
		case s.reapNeeded && len(msgs) == 0:
			got[sig] = "reap"
		case slices.Equal(msgs, []string{"TS dinit: debug: got signal " + n + ", ignoring it"}):
			got[sig] = "debug"
		case slices.Equal(msgs, []string{"TS dinit: info: got signal " + n + ", ignoring it"}):
			got[sig] = "ignore"
		default:
			got[sig] = "?"
		}
	}
	for sig, w := range want {
		if got[sig] != w {
			t.Errorf("%v (%d): %q, want %q", sig, int(sig), got[sig], w)
		}
	}
	for sig := range got {
		if _, ok := want[sig]; !ok {
			t.Errorf("%v (%d) caught but not expected", sig, int(sig))
		}
	}
	for _, sig := range []unix.Signal{unix.SIGURG, unix.SIGPROF, unix.SIGKILL, unix.SIGSTOP, 32, 33, 34} {
		if _, ok := got[sig]; ok {
			t.Errorf("%v must not be caught", sig)
		}
	}
}

// archSignalsForTest: archSignals as unix.Signal (SIGSTKFLT; SIGEMT on MIPS).
func archSignalsForTest() []unix.Signal {
	var sigs []unix.Signal
	for _, s := range archSignals {
		sigs = append(sigs, unix.Signal(s.(syscall.Signal)))
	}
	return sigs
}
