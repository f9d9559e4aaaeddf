package proc

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// The exit code (exitcode.go) through the paths that record it: ended()
// for the end of a service's run or of the main program, handleSignal for
// TERM, recordExit and stopFor for a failure of ours or a program that
// could not be started. No process is real: the ended ones are never
// signalled (their services are not in s.services), and nothing is reaped.

// codeEvent is one thing that happens to a supervisor; pid is free for
// it to use (no process has it: above the largest pid_max).
type codeEvent struct {
	name string
	do   func(s *Supervisor, main *service, pid int)
}

// serviceEnd: a service's run ends.
func serviceEnd(st sys.ExitStatus) codeEvent {
	return codeEvent{"service " + st.String(), func(s *Supervisor, _ *service, pid int) {
		svc := &service{name: "web", dir: "/nonexistent/web"}
		svc.run = addProc(s, roleRun, "web/run", pid, svc)
		s.ended(svc.run, st)
	}}
}

// mainEnd: the main program ends.
func mainEnd(st sys.ExitStatus) codeEvent {
	return codeEvent{"main " + st.String(), func(s *Supervisor, main *service, pid int) {
		main.run = addProc(s, roleRun, main.name+"/run", pid, main)
		s.ended(main.run, st)
	}}
}

// sigterm: we get SIGTERM.
var sigterm = codeEvent{"SIGTERM", func(s *Supervisor, _ *service, _ int) { s.handleSignal(unix.SIGTERM) }}

// ourFailure: a failure of ours (a service that could not be started).
var ourFailure = codeEvent{"our failure", func(s *Supervisor, _ *service, _ int) {
	s.recordExit(ExitFailure)
	s.stopFor("web could not be started")
}}

// mainStartFailure: the main program could not be started, as startSome
// records it.
func mainStartFailure(err error) codeEvent {
	return codeEvent{"main not started: " + err.Error(), func(s *Supervisor, main *service, _ int) {
		s.recordExit(startFailureCode(main, &sys.SpawnError{Path: "/x/prog", Err: err}))
		s.stopFor(main.name + " could not be started")
	}}
}

func exited(code int) sys.ExitStatus             { return sys.ExitStatus{Code: code} }
func killedBy(sig syscall.Signal) sys.ExitStatus { return sys.ExitStatus{Signal: sig} }

func TestExitCode(t *testing.T) {
	t.Parallel()
	const byDinit, byService, withMain = "dinit", "service", "main"
	tests := []struct {
		mode   string // dinit or service policy without a main program; withMain
		policy ExitPolicy
		events []codeEvent
		code   int
	}{
		// DINIT_EXIT_CODE=dinit: 0 for a signal, 1 for ours, 3 for a
		// failed end; an end with 0 records nothing.
		{byDinit, ExitByDinit, nil, ExitOK},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(0))}, ExitOK},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(7))}, ExitService},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(1))}, ExitService},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(killedBy(unix.SIGKILL))}, ExitService},
		{byDinit, ExitByDinit, []codeEvent{sigterm, serviceEnd(killedBy(unix.SIGTERM))}, ExitOK},
		{byDinit, ExitByDinit, []codeEvent{sigterm, serviceEnd(exited(7))}, ExitOK},
		{byDinit, ExitByDinit, []codeEvent{ourFailure, serviceEnd(exited(7))}, ExitFailure},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(7)), ourFailure}, ExitService},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(0)), serviceEnd(killedBy(unix.SIGTERM))}, ExitOK},
		{byDinit, ExitByDinit, []codeEvent{serviceEnd(exited(0)), serviceEnd(exited(5))}, ExitService},
		// DINIT_EXIT_CODE=service: the first ender's code, 0 included,
		// 128+N for a signal; a signal first 0, our failure first 1.
		{byService, ExitByService, nil, ExitOK},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(0))}, 0},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(7))}, 7},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(1))}, 1},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(255))}, 255},
		{byService, ExitByService, []codeEvent{serviceEnd(killedBy(unix.SIGKILL))}, 137},
		{byService, ExitByService, []codeEvent{serviceEnd(killedBy(unix.SIGTERM))}, 143},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(0)), serviceEnd(exited(7))}, 0},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(7)), serviceEnd(killedBy(unix.SIGTERM))}, 7},
		{byService, ExitByService, []codeEvent{serviceEnd(exited(7)), ourFailure}, 7},
		{byService, ExitByService, []codeEvent{sigterm, serviceEnd(exited(7))}, ExitOK},
		{byService, ExitByService, []codeEvent{sigterm, serviceEnd(killedBy(unix.SIGTERM))}, ExitOK},
		{byService, ExitByService, []codeEvent{ourFailure, serviceEnd(exited(7))}, ExitFailure},
		{byService, ExitByService, []codeEvent{ourFailure, serviceEnd(exited(0))}, ExitFailure},
		// A main program: its end decides, whoever ended it (over a 3 or
		// a 0 recorded before), unless our failure came first.
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(5))}, 5},
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(0))}, 0},
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(1))}, 1},
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(115))}, 115},
		{withMain, ExitByDinit, []codeEvent{mainEnd(killedBy(unix.SIGKILL))}, 137},
		{withMain, ExitByDinit, []codeEvent{serviceEnd(exited(7)), mainEnd(killedBy(unix.SIGTERM))}, 143},
		{withMain, ExitByDinit, []codeEvent{serviceEnd(exited(7)), mainEnd(exited(0))}, 0},
		{withMain, ExitByDinit, []codeEvent{sigterm, mainEnd(killedBy(unix.SIGTERM))}, 143},
		{withMain, ExitByDinit, []codeEvent{sigterm, mainEnd(exited(0))}, 0},
		{withMain, ExitByDinit, []codeEvent{sigterm, mainEnd(exited(2))}, 2},
		{withMain, ExitByDinit, []codeEvent{ourFailure, mainEnd(exited(5))}, ExitFailure},
		{withMain, ExitByDinit, []codeEvent{ourFailure, mainEnd(exited(0))}, ExitFailure},
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(5)), ourFailure}, 5},
		{withMain, ExitByDinit, []codeEvent{mainEnd(exited(0)), serviceEnd(exited(7))}, 0},
		// The main program never ended (or never started): the rule of
		// DINIT_EXIT_CODE=dinit, whatever the policy.
		{withMain, ExitByDinit, nil, ExitOK},
		{withMain, ExitByDinit, []codeEvent{serviceEnd(exited(7))}, ExitService},
		{withMain, ExitByDinit, []codeEvent{serviceEnd(exited(0))}, ExitOK},
		{withMain, ExitByDinit, []codeEvent{sigterm}, ExitOK},
		{withMain, ExitByDinit, []codeEvent{ourFailure}, ExitFailure},
		{withMain, ExitByService, []codeEvent{serviceEnd(exited(7))}, ExitService},
		{withMain, ExitByService, []codeEvent{serviceEnd(exited(0)), mainEnd(killedBy(unix.SIGTERM))}, 143},
		// The main program could not be started: the shells' codes.
		{withMain, ExitByDinit, []codeEvent{mainStartFailure(syscall.ENOENT)}, ExitNotFound},
		{withMain, ExitByDinit, []codeEvent{mainStartFailure(syscall.EACCES)}, ExitNotExecutable},
		{withMain, ExitByDinit, []codeEvent{mainStartFailure(syscall.ENOEXEC)}, ExitNotExecutable},
		{withMain, ExitByDinit, []codeEvent{mainStartFailure(syscall.E2BIG)}, ExitFailure},
		{withMain, ExitByDinit, []codeEvent{ourFailure, mainStartFailure(syscall.ENOENT)}, ExitFailure},
		{withMain, ExitByService, []codeEvent{mainStartFailure(syscall.ENOENT)}, ExitNotFound},
	}
	for _, tt := range tests {
		name := tt.mode + ":"
		for _, e := range tt.events {
			name += " " + e.name + ";"
		}
		cfg := Config{ExitCode: tt.policy}
		main := &service{name: "prog"}
		if tt.mode == withMain {
			cfg.Main = &Program{Path: "/x/prog", Args: []string{"prog"}, Name: "prog"}
			main.main = cfg.Main
		}
		s := newUnitSupervisor(t, cfg)
		for i, e := range tt.events {
			e.do(s, main, 5000500+i)
		}
		if got := s.code(); got != tt.code {
			t.Errorf("%s code %d, want %d", name, got, tt.code)
		}
	}
}

// statusCode: a shell's view, the code or 128+N.
func TestStatusCode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		st   sys.ExitStatus
		code int
	}{
		{exited(0), 0}, {exited(1), 1}, {exited(115), 115}, {exited(255), 255},
		{killedBy(unix.SIGHUP), 129}, {killedBy(unix.SIGKILL), 137}, {killedBy(unix.SIGTERM), 143},
		{killedBy(syscall.Signal(64)), 192},
	} {
		if got := statusCode(tt.st); got != tt.code {
			t.Errorf("statusCode(%v) = %d, want %d", tt.st, got, tt.code)
		}
	}
}

// recordEnd records what the mode says, and only the first reason stays.
func TestRecordEnd(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg      Config
		stopping bool
		st       sys.ExitStatus
		recorded int
	}{
		{Config{}, false, exited(0), noReason},
		{Config{}, false, exited(2), ExitService},
		{Config{}, false, killedBy(unix.SIGTERM), ExitService},
		{Config{}, true, killedBy(unix.SIGTERM), noReason}, // what our shutdown asked for
		{Config{}, true, exited(2), ExitService},
		{Config{ExitCode: ExitByService}, false, exited(0), 0},
		{Config{ExitCode: ExitByService}, false, exited(2), 2},
		{Config{ExitCode: ExitByService}, true, killedBy(unix.SIGTERM), 143},
		{Config{ExitCode: ExitByService, Main: &Program{Name: "p"}}, false, exited(0), noReason},
		{Config{ExitCode: ExitByService, Main: &Program{Name: "p"}}, false, exited(2), ExitService},
		{Config{Main: &Program{Name: "p"}}, false, killedBy(unix.SIGKILL), ExitService},
	} {
		s := newUnitSupervisor(t, tt.cfg)
		if tt.stopping {
			s.phase = stopping
		}
		s.recordEnd(tt.st)
		if s.exitCode != tt.recorded {
			t.Errorf("%+v stopping=%v %v: recorded %d, want %d", tt.cfg, tt.stopping, tt.st, s.exitCode, tt.recorded)
		}
		s.recordEnd(exited(9))
		if tt.recorded != noReason && s.exitCode != tt.recorded {
			t.Errorf("%+v %v: a second end changed the record to %d", tt.cfg, tt.st, s.exitCode)
		}
	}
}

// startFailureCode: the shells' codes for the main program, ours (1) for
// any other program, whatever the error. The errors are as Spawn returns
// them (wrapped in a SpawnError) and bare.
func TestStartFailureCode(t *testing.T) {
	t.Parallel()
	main := &service{name: "prog", main: &Program{Path: "/x/prog", Args: []string{"prog"}, Name: "prog"}}
	other := &service{name: "web", dir: "/nonexistent/web"}
	for _, tt := range []struct {
		err  error
		main int
	}{
		{syscall.ENOENT, ExitNotFound},
		{syscall.EACCES, ExitNotExecutable},
		{syscall.ENOEXEC, ExitNotExecutable},
		{syscall.EPERM, ExitNotExecutable}, // fs.ErrPermission too
		{syscall.E2BIG, ExitFailure},
		{syscall.EMFILE, ExitFailure},
		{os.NewSyscallError("pipe2", syscall.EMFILE), ExitFailure}, // our pipe, not the exec
		{errors.New("something else"), ExitFailure},
	} {
		for _, err := range []error{tt.err, &sys.SpawnError{Path: "/x/prog", Err: tt.err}} {
			if got := startFailureCode(main, err); got != tt.main {
				t.Errorf("main program, %v: %d, want %d", err, got, tt.main)
			}
			if got := startFailureCode(other, err); got != ExitFailure {
				t.Errorf("a service, %v: %d, want %d", err, got, ExitFailure)
			}
		}
	}
}

// stopFor says why, once, and only when the shutdown was not under way; it
// starts the shutdown either way. The reason comes before the stops.
func TestStopForSaysWhyOnce(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	addRun(s, "web", 5000601) // no such process: signalling it is no failure
	s.stopFor("web could not be started")
	s.stopFor("got signal 15")
	expectMessages(t, s,
		"TS dinit: warning: shutting down: web could not be started",
		"TS dinit: info: web/run: terminating",
		"TS dinit: info: web/run: sending SIGTERM to PID 5000601")
	if !s.stopping() || s.exitCode != noReason {
		t.Fatalf("phase=%d exitCode=%d: stopFor records nothing", s.phase, s.exitCode)
	}
	// A shutdown under way (shutdown called directly): nothing said.
	s = newUnitSupervisor(t, Config{Level: LevelInfo})
	s.shutdown()
	s.stopFor("waiting for events failed")
	expectMessages(t, s)
	if !s.stopping() {
		t.Fatal("not stopping")
	}
	// At level error the reason is not said, and the shutdown starts.
	s = newUnitSupervisor(t, Config{Level: LevelError})
	s.stopFor("got signal 2")
	expectMessages(t, s)
	if !s.stopping() {
		t.Fatal("not stopping at level error")
	}
	// At level warn it is, alone.
	s = newUnitSupervisor(t, Config{Level: LevelWarn})
	addRun(s, "web", 5000602)
	s.stopFor("got signal 2")
	expectMessages(t, s, "TS dinit: warning: shutting down: got signal 2")
}

// The exit line: info for 0, warning otherwise (so that the default level
// says why a container ended with a failure).
func TestExitLineLevel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		level  Level
		record func(s *Supervisor)
		want   []string
	}{
		{LevelInfo, func(*Supervisor) {}, []string{"TS dinit: info: dinit exiting with status 0"}},
		{LevelWarn, func(*Supervisor) {}, nil},
		{LevelInfo, func(s *Supervisor) { s.recordExit(ExitOK) }, []string{"TS dinit: info: dinit exiting with status 0"}},
		{LevelInfo, func(s *Supervisor) { s.recordExit(ExitFailure) }, []string{"TS dinit: warning: dinit exiting with status 1"}},
		{LevelWarn, func(s *Supervisor) { s.recordExit(ExitService) }, []string{"TS dinit: warning: dinit exiting with status 3"}},
		{LevelWarn, func(s *Supervisor) { s.recordExit(ExitNotFound) }, []string{"TS dinit: warning: dinit exiting with status 127"}},
		{LevelWarn, func(s *Supervisor) { st := killedBy(unix.SIGTERM); s.mainEnd = &st }, []string{"TS dinit: warning: dinit exiting with status 143"}},
		{LevelWarn, func(s *Supervisor) { st := exited(0); s.recordExit(ExitService); s.mainEnd = &st }, nil},
		{LevelError, func(s *Supervisor) { s.recordExit(ExitFailure) }, nil},
	} {
		s := newUnitSupervisor(t, Config{Level: tt.level})
		tt.record(s)
		s.exit()
		expectMessages(t, s, tt.want...)
		if s.phase != exiting {
			t.Fatalf("phase %d after exit", s.phase)
		}
	}
}
