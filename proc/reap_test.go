package proc

import (
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// gate starts argv with its stdin on a pipe whose write end is returned:
// `read x` in the child returns when the test closes it.
func gate(t *testing.T, argv ...string) (pid, w int) {
	t.Helper()
	r, w, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	pid = kid(t, r, argv...)
	sys.Close(r)
	t.Cleanup(func() { sys.Close(w) })
	return pid, w
}

// The end of a run, seen through reap(): 115 disables the service and
// nothing else happens; any other end starts the shutdown (the other
// service gets SIGTERM) with the exit code its status decides, and a later
// end does not change that code.
func TestReapEndOfRun(t *testing.T) {
	tests := []struct {
		name  string
		argv  []string
		kill  bool
		ended string
		code  int
	}{
		{"disabled", []string{"/bin/sh", "-c", "exit 115"}, false, "finished and disabled itself", -1},
		{"status 0", []string{"/bin/sh", "-c", "exit 0"}, false, "finished with status 0", ExitOK},
		{"status 7", []string{"/bin/sh", "-c", "exit 7"}, false, "finished with status 7", ExitService},
		{"signal", []string{"/bin/sleep", "1000"}, true, "finished with signal 9", ExitService},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			web := addRun(s, "web", kid(t, -1, tt.argv...))
			w := web.run.pid
			// SIGTERM stays pending in db: it cannot end within this reap.
			db := addRun(s, "db", blockedKid(t, "/bin/sleep", "1000"))
			d := db.run.pid
			if tt.kill {
				if err := unix.Kill(w, unix.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
			waitExited(t, w)
			s.reparent.due = s.now.Add(time.Hour)
			s.reap()
			if !s.reparent.due.Equal(s.now) {
				t.Fatal("an end did not make the scan due (its orphans attach to us)")
			}
			if web.run != nil || s.procs[w] != nil {
				t.Fatal("an ended run is still tracked")
			}
			if tt.code < 0 {
				expectMessages(t, s, "TS dinit: info: web/run: PID "+itoa(w)+" "+tt.ended)
				if !web.disabled || s.stopping() || s.exitCode != noReason || db.run == nil {
					t.Fatalf("disabled=%v phase=%d exitCode=%d", web.disabled, s.phase, s.exitCode)
				}
				return
			}
			expectMessages(t, s,
				"TS dinit: info: web/run: PID "+itoa(w)+" "+tt.ended,
				"TS dinit: warning: shutting down: web/run: PID "+itoa(w)+" "+tt.ended,
				"TS dinit: info: db/run: terminating",
				"TS dinit: info: db/run: sending SIGTERM to PID "+itoa(d))
			if web.disabled || !s.stopping() || s.code() != tt.code {
				t.Fatalf("disabled=%v phase=%d code=%d, want %d", web.disabled, s.phase, s.code(), tt.code)
			}
			if got := pendingSignals(t, d); got != sigBit(unix.SIGTERM) {
				t.Fatalf("db: pending %#x, want SIGTERM", got)
			}
			_ = unix.Kill(d, unix.SIGKILL)
			waitExited(t, d)
			s.reap()
			expectMessages(t, s, "TS dinit: info: db/run: PID "+itoa(d)+" finished with signal 9")
			if s.code() != tt.code || len(s.procs) != 0 || len(s.killing) != 0 {
				t.Fatalf("after db's end: code %d (want %d), %d procs, %d planned kills", s.code(), tt.code, len(s.procs), len(s.killing))
			}
		})
	}
}

// A child nobody owns that has already ended (reparented and dead before
// any scan saw it): named from its comm while a zombie, then reaped; its
// end starts nothing. At debug level the reap is counted.
func TestReapStrayZombies(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	a := kid(t, -1, "/bin/true")
	b := kid(t, -1, "/bin/false")
	waitExited(t, a)
	waitExited(t, b)
	s.reparent.pending = map[int]time.Time{a: s.now, 12345678: s.now}
	s.reap()
	got := sortedMessages(s)
	if len(got) != 5 {
		t.Fatalf("messages %q", got)
	}
	if got[0] != "TS dinit: debug: reaped 2 processes in D" { // a duration: see normalised
		t.Fatalf("count line %q", got[0])
	}
	want := []string{
		"TS dinit: info: false/" + itoa(b) + ": PID " + itoa(b) + " finished with status 1",
		"TS dinit: info: true/" + itoa(a) + ": PID " + itoa(a) + " finished with status 0",
		"TS dinit: warning: true/" + itoa(a) + ": reaping process with PID " + itoa(a),
		"TS dinit: warning: false/" + itoa(b) + ": reaping process with PID " + itoa(b),
	}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if want[2] > want[3] {
		want[2], want[3] = want[3], want[2]
	}
	sameLines(t, "messages (sorted)", got[1:], want)
	if _, ok := s.reparent.pending[a]; ok || len(s.reparent.pending) != 1 {
		t.Fatalf("pending %v: the reaped PID must go, the other stays", s.reparent.pending)
	}
	if s.stopping() || s.exitCode != noReason || len(s.procs) != 0 {
		t.Fatalf("phase=%d exitCode=%d procs=%d", s.phase, s.exitCode, len(s.procs))
	}
	// Nothing left: no message, no count.
	s.reap()
	expectMessages(t, s)
}

// Ends that decide nothing: a terminate program, a reparented process, a
// log program whose run is gone.
func TestReapEndsThatStartNothing(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web", dir: "/nonexistent"}
	s.services = []*service{svc}
	term := addProc(s, roleTerm, "web/term", kid(t, -1, "/bin/sh", "-c", "exit 2"), svc).pid
	logp := addProc(s, roleLog, "web/log", kid(t, -1, "/bin/true"), svc)
	svc.log = logp
	rep := addProc(s, roleReparented, "", kid(t, -1, "/bin/sleep", "1000"), nil)
	rep.label = reparentedLabel("sleep", rep.pid)
	s.terminate(rep)
	expectMessages(t, s, "TS dinit: info: sleep/"+itoa(rep.pid)+": sending SIGTERM to PID "+itoa(rep.pid))
	for _, pid := range []int{term, logp.pid, rep.pid} {
		waitExited(t, pid)
	}
	s.reap()
	got := sortedMessages(s)
	want := []string{
		"TS dinit: info: sleep/" + itoa(rep.pid) + ": PID " + itoa(rep.pid) + " finished with signal 15",
		"TS dinit: info: web/log: PID " + itoa(logp.pid) + " finished with status 0",
		"TS dinit: info: web/term: PID " + itoa(term) + " finished with status 2",
	}
	sameLines(t, "messages (sorted)", got, want)
	if s.stopping() || s.exitCode != noReason || len(s.procs) != 0 || len(s.logWaits) != 0 || svc.log != nil {
		t.Fatalf("phase=%d exitCode=%d procs=%d logWaits=%d", s.phase, s.exitCode, len(s.procs), len(s.logWaits))
	}
	s.fireKills()
	if len(s.killing) != 0 {
		t.Fatal("an ended reparented process is still planned for SIGKILL")
	}
}

// An adopted process's end starts the shutdown; its status decides the
// exit code.
func TestReapAdoptedEndStartsShutdown(t *testing.T) {
	tests := []struct {
		argv  []string
		kill  bool
		ended string
		code  int
	}{
		{[]string{"/bin/sh", "-c", "exit 0"}, false, "status 0", ExitOK},
		{[]string{"/bin/sh", "-c", "exit 4"}, false, "status 4", ExitService},
		{[]string{"/bin/sleep", "1000"}, true, "signal 9", ExitService},
	}
	for _, tt := range tests {
		t.Run(tt.ended, func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			web := addRun(s, "web", blockedKid(t, "/bin/sleep", "1000"))
			w := web.run.pid
			p := addProc(s, roleAdopted, "", kid(t, -1, tt.argv...), nil)
			p.label = reparentedLabel("x", p.pid)
			if tt.kill {
				_ = unix.Kill(p.pid, unix.SIGKILL)
			}
			waitExited(t, p.pid)
			s.reap()
			n := itoa(p.pid)
			expectMessages(t, s,
				"TS dinit: info: x/"+n+": PID "+n+" finished with "+tt.ended,
				"TS dinit: warning: shutting down: x/"+n+": adopted process PID "+n+" finished with "+tt.ended,
				"TS dinit: info: web/run: terminating",
				"TS dinit: info: web/run: sending SIGTERM to PID "+itoa(w))
			if got := pendingSignals(t, w); got != sigBit(unix.SIGTERM) {
				t.Fatalf("web: pending %#x, want SIGTERM", got)
			}
			if !s.stopping() || s.code() != tt.code {
				t.Fatalf("phase=%d code=%d, want %d", s.phase, s.code(), tt.code)
			}
		})
	}
}

// With pidfds, a reaped process's pidfd leaves the loop and is closed.
func TestReapReleasesThePidfd(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	if !s.pidfds {
		t.Skip("no pidfd support here")
	}
	killProcsAtEnd(t, s)
	dir := writeService(t, map[string]string{"web/run": "#!/bin/sh\nexit 115\n"})
	svcs, _ := discover(dir)
	s.services = svcs
	startAll(s)
	p := svcs[0].run
	if p == nil || p.pidfd < 0 {
		t.Fatalf("not started with a pidfd: %q", messages(s))
	}
	if n := s.loop.Registered(); n != 3 {
		t.Fatalf("%d registrations, want 3 (stdout, stderr, pidfd)", n)
	}
	waitExited(t, p.pid)
	s.reap()
	if n := s.loop.Registered(); n != 2 {
		t.Fatalf("%d registrations after the reap, want 2 (the sources)", n)
	}
	if _, err := unix.FcntlInt(uintptr(p.pidfd), unix.F_GETFD, 0); err != unix.EBADF {
		t.Fatalf("pidfd %d still open (%v)", p.pidfd, err)
	}
	runToEnd(t, s)
	expectMessages(t, s,
		"TS dinit: info: web/run: starting",
		"TS dinit: info: web/run: running with PID "+itoa(p.pid),
		"TS dinit: info: web/run: PID "+itoa(p.pid)+" finished and disabled itself")
	if s.loop.Registered() != 0 {
		t.Fatalf("%d registrations left", s.loop.Registered())
	}
}

// A log program that ends while its run still runs: nothing before
// timing.logGrace, then the shutdown, with the exit code the log's status
// decides.
func TestLogEndWhileRunRunsThroughReap(t *testing.T) {
	tests := []struct {
		log  string
		code int
	}{{"exit 0", ExitOK}, {"exit 1", ExitService}}
	for _, tt := range tests {
		t.Run(tt.log, func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			svc := addRun(s, "web", kid(t, -1, "/bin/sleep", "1000"))
			r := svc.run.pid
			svc.log = addProc(s, roleLog, "web/log", kid(t, -1, "/bin/sh", "-c", tt.log), svc)
			l := svc.log.pid
			waitExited(t, l)
			s.reap()
			st := tt.log[len("exit "):]
			expectMessages(t, s, "TS dinit: info: web/log: PID "+itoa(l)+" finished with status "+st)
			due := s.now.Add(s.timing.logGrace)
			if s.stopping() || len(s.logWaits) != 1 || !svc.logEndDue.Equal(due) {
				t.Fatalf("phase=%d waits=%d due in %v", s.phase, len(s.logWaits), svc.logEndDue.Sub(s.now))
			}
			s.reparent.due = s.now.Add(time.Hour)
			if d := s.deadline(); !d.Equal(due) {
				t.Fatalf("deadline %v after now, want the grace's end", d.Sub(s.now))
			}
			s.now = due.Add(-time.Nanosecond)
			s.checkLogWaits()
			if s.stopping() || len(s.logWaits) != 1 {
				t.Fatal("shutdown before the grace ended")
			}
			expectMessages(t, s)
			s.now = due
			s.checkLogWaits()
			expectMessages(t, s,
				"TS dinit: warning: shutting down: web/log: PID "+itoa(l)+" finished with status "+st,
				"TS dinit: info: web/run: terminating",
				"TS dinit: info: web/run: sending SIGTERM to PID "+itoa(r))
			if !s.stopping() || s.code() != tt.code || len(s.logWaits) != 0 {
				t.Fatalf("phase=%d code=%d (want %d) waits=%d", s.phase, s.code(), tt.code, len(s.logWaits))
			}
			waitExited(t, r)
			s.reap()
			expectMessages(t, s, "TS dinit: info: web/run: PID "+itoa(r)+" finished with signal 15")
			if s.code() != tt.code {
				t.Fatalf("run's end changed the code to %d", s.code())
			}
		})
	}
}

// run ends within the grace after its log program: its own end decides,
// and nothing is terminated (no `terminating` line).
func TestLogEndThenRunEndWithinGrace(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	r, w := gate(t, "/bin/sh", "-c", "read x; exit 7")
	svc := addRun(s, "web", r)
	svc.log = addProc(s, roleLog, "web/log", kid(t, -1, "/bin/true"), svc)
	l := svc.log.pid
	waitExited(t, l)
	s.reap()
	due := svc.logEndDue
	s.now = s.now.Add(s.timing.logGrace / 2)
	sys.Close(w)
	waitExited(t, r)
	s.reap()
	s.checkLogWaits()
	s.now = due.Add(time.Second)
	s.checkLogWaits()
	expectMessages(t, s,
		"TS dinit: info: web/log: PID "+itoa(l)+" finished with status 0",
		"TS dinit: info: web/run: PID "+itoa(r)+" finished with status 7",
		"TS dinit: warning: shutting down: web/run: PID "+itoa(r)+" finished with status 7")
	if !s.stopping() || s.exitCode != ExitService || len(s.logWaits) != 0 {
		t.Fatalf("phase=%d code=%d waits=%d", s.phase, s.exitCode, len(s.logWaits))
	}
}

// After run disabled itself (115), its log program's end is no reason to
// stop anything.
func TestLogEndAfterRunDisabledItself(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := addRun(s, "web", kid(t, -1, "/bin/sh", "-c", "exit 115"))
	r := svc.run.pid
	lp, w := gate(t, "/bin/sh", "-c", "read x; exit 0")
	svc.log = addProc(s, roleLog, "web/log", lp, svc)
	waitExited(t, r)
	s.reap()
	sys.Close(w)
	waitExited(t, lp)
	s.reap()
	s.now = s.now.Add(time.Hour)
	s.checkLogWaits()
	expectMessages(t, s,
		"TS dinit: info: web/run: PID "+itoa(r)+" finished and disabled itself",
		"TS dinit: info: web/log: PID "+itoa(lp)+" finished with status 0")
	if s.stopping() || s.exitCode != noReason || len(s.logWaits) != 0 || !svc.disabled {
		t.Fatalf("phase=%d exitCode=%d waits=%d disabled=%v", s.phase, s.exitCode, len(s.logWaits), svc.disabled)
	}
}

// ended() words every status the way sys.ExitStatus does.
func TestEndedMessageWords(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	p := addProc(s, roleTerm, "web/term", 42, &service{name: "web"})
	s.ended(p, sys.ExitStatus{Signal: unix.SIGSEGV})
	p = addProc(s, roleTerm, "web/term", 43, &service{name: "web"})
	s.ended(p, sys.ExitStatus{Code: 255})
	got := strings.Join(messages(s), "\n")
	if got != "TS dinit: info: web/term: PID 42 finished with signal 11\nTS dinit: info: web/term: PID 43 finished with status 255" {
		t.Fatalf("messages %q", got)
	}
}
