package proc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Services with a run get SIGTERM (never a SIGKILL plan); services without
// one, log programs and terminate programs get nothing; a second shutdown
// does nothing more.
func TestShutdownSignalsRunsOnly(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug, KillTimeout: time.Second})
	a := addRun(s, "a", kid(t, -1, "/bin/sleep", "1000"))
	b := &service{name: "b", disabled: true}
	s.services = append(s.services, b)
	c := addRun(s, "c", kid(t, -1, "/bin/sleep", "1000"))
	logp := addProc(s, roleLog, "c/log", blockedKid(t, "/bin/sleep", "1000"), c)
	c.log = logp
	term := addProc(s, roleTerm, "c/term", blockedKid(t, "/bin/sleep", "1000"), c)
	s.reparent.due = s.now.Add(time.Hour)
	s.shutdown()
	ap, cp := itoa(a.run.pid), itoa(c.run.pid)
	expectMessages(t, s,
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID "+ap,
		"TS dinit: info: c/run: terminating",
		"TS dinit: info: c/run: sending SIGTERM to PID "+cp)
	if s.phase != stopping || !s.reparent.due.Equal(s.now) || len(s.killing) != 0 {
		t.Fatalf("phase=%d scan in %v planned kills %d", s.phase, s.reparent.due.Sub(s.now), len(s.killing))
	}
	for _, p := range []*process{a.run, c.run} {
		if st := waitEnd(t, p.pid); st.Signal != unix.SIGTERM {
			t.Fatalf("%s ended with %v, want SIGTERM", p.label, st)
		}
	}
	for _, p := range []*process{logp, term} {
		if got := pendingSignals(t, p.pid); got != 0 {
			t.Fatalf("%s was signalled: pending %#x", p.label, got)
		}
	}
	s.shutdown()
	s.now = s.now.Add(time.Hour)
	s.fireKills()
	expectMessages(t, s)
}

// A terminate program that cannot be started: the error, then SIGTERM as
// if there were none. A dangling symlink counts as no terminate program.
func TestShutdownTerminateFallsBackToSigterm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(dir string) error
		failure string // "" when the program is not even tried
	}{
		{"not executable", func(dir string) error {
			return writeProgram(filepath.Join(dir, "terminate"), "#!/bin/sh\n", 0o644)
		}, "permission denied"},
		{"a directory", func(dir string) error { return os.Mkdir(filepath.Join(dir, "terminate"), 0o755) }, "permission denied"},
		{"bad interpreter", func(dir string) error {
			return writeProgram(filepath.Join(dir, "terminate"), "#!/nonexistent/sh\n", 0o755)
		}, "no such file or directory (check the #! line: interpreter /nonexistent/sh not found)"},
		{"dangling symlink", func(dir string) error {
			return os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "terminate"))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			svc := addRun(s, "web", kid(t, -1, "/bin/sleep", "1000"))
			svc.dir = t.TempDir()
			if err := tt.prepare(svc.dir); err != nil {
				t.Fatal(err)
			}
			s.shutdown()
			r := itoa(svc.run.pid)
			want := []string{"TS dinit: info: web/run: terminating"}
			if tt.failure != "" {
				want = append(want,
					"TS dinit: info: web/term: starting",
					"TS dinit: error: web/term: error running: fork/exec "+filepath.Join(svc.dir, "terminate")+": "+tt.failure)
			}
			want = append(want, "TS dinit: info: web/run: sending SIGTERM to PID "+r)
			expectMessages(t, s, want...)
			if st := waitEnd(t, svc.run.pid); st.Signal != unix.SIGTERM {
				t.Fatalf("run ended with %v", st)
			}
			if len(s.procs) != 1 || s.out.Open() != 0 || s.loop.Registered() != 0 {
				t.Fatalf("%d processes, %d sources, %d registrations left by the failed start", len(s.procs), s.out.Open(), s.loop.Registered())
			}
		})
	}
}

// The terminate program runs in the service directory with our
// environment plus DINIT_PID; its stdout and stderr are stage term; run
// gets no SIGTERM from us; everything then ends and is reaped.
func TestShutdownRunsTerminateWithItsOutput(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Stdout: StdoutJSON})
	killProcsAtEnd(t, s)
	s.env = []string{"PATH=/usr/bin:/bin", "DINIT_TEST=a b"}
	svc := addRun(s, "web", kid(t, -1, "/bin/sleep", "1000"))
	svc.dir = writeService(t, map[string]string{"terminate": "#!/bin/sh\n" +
		"echo \"{\\\"pid\\\":$DINIT_PID,\\\"pwd\\\":\\\"$(pwd)\\\"}\"\n" +
		"env | grep -v -e '^PWD=' -e '^OLDPWD=' | sort >&2\n" +
		"kill \"$DINIT_PID\"\n"})
	r := itoa(svc.run.pid)
	s.recordExit(ExitOK) // as a signal would
	s.shutdown()
	got := messages(s)
	if len(got) != 3 || !strings.HasPrefix(got[2], "TS dinit: info: web/term: running with PID ") {
		t.Fatalf("messages %q", got)
	}
	term := strings.TrimPrefix(got[2], "TS dinit: info: web/term: running with PID ")
	sameLines(t, "start", got[:2], []string{"TS dinit: info: web/run: terminating", "TS dinit: info: web/term: starting"})
	runToEnd(t, s)
	outLine := `{"pid":` + r + `,"pwd":"` + svc.dir + `"}` + "\n"
	sameLines(t, "after", sortedMessages(s), []string{
		"TS dinit: info: web/run: PID " + r + " finished with signal 15",
		"TS dinit: info: web/term: PID " + term + " finished with status 0",
		"TS dinit: info: web/term: relayed 1 line (" + itoa(len(outLine)) + " bytes) on stdout, 3 on stderr",
		"TS web/term: DINIT_PID=" + r,
		"TS web/term: DINIT_TEST=a b",
		"TS web/term: PATH=/usr/bin:/bin",
	})
	if out := stdoutText(s); out != `{"pid":`+r+`,"pwd":"`+svc.dir+`","service":"web","stage":"term","logged":"TS"}`+"\n" {
		t.Fatalf("stdout %q", out)
	}
	if s.exitCode != ExitOK {
		t.Fatalf("exit code %d", s.exitCode)
	}
}

// Reparented and adopted processes get SIGTERM and a SIGKILL planned at
// now + KillTimeout; one already terminated is not signalled again.
func TestShutdownTerminatesReparentedAndAdopted(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, KillTimeout: 3 * time.Second})
	mk := func(r role) *process {
		p := addProc(s, r, "", blockedKid(t, "/bin/sleep", "1000"), nil)
		p.label = reparentedLabel("sleep", p.pid)
		return p
	}
	rep, adp, done := mk(roleReparented), mk(roleAdopted), mk(roleReparented)
	done.stop = termSent
	s.shutdown()
	want := []string{
		"TS dinit: info: sleep/" + itoa(rep.pid) + ": sending SIGTERM to PID " + itoa(rep.pid),
		"TS dinit: info: sleep/" + itoa(adp.pid) + ": sending SIGTERM to PID " + itoa(adp.pid),
	}
	slices.Sort(want)
	sameLines(t, "messages (sorted)", sortedMessages(s), want)
	for _, p := range []*process{rep, adp} {
		if got := pendingSignals(t, p.pid); got != sigBit(unix.SIGTERM) {
			t.Fatalf("%s: pending %#x, want SIGTERM", p.label, got)
		}
		if p.stop != termSent || !p.killAt.Equal(s.now.Add(3*time.Second)) || !slices.Contains(s.killing, p) {
			t.Fatalf("%s: stop=%d kill in %v", p.label, p.stop, p.killAt.Sub(s.now))
		}
	}
	if got := pendingSignals(t, done.pid); got != 0 || len(s.killing) != 2 {
		t.Fatalf("terminated twice: pending %#x, %d planned", got, len(s.killing))
	}
	s.reparent.due = s.now.Add(time.Hour)
	if d := s.deadline(); !d.Equal(rep.killAt) {
		t.Fatalf("deadline %v after now, want the kill deadline", d.Sub(s.now))
	}
}

// SIGKILL goes out once, at the deadline, to a process that ignores
// SIGTERM; the ended process is then forgotten.
func TestFireKillsAtTheDeadlineOnce(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo, KillTimeout: 2 * time.Second})
	pid := kid(t, -1, "/bin/sh", "-c", "trap '' TERM; exec sleep 1000")
	waitExec(t, pid, "sleep") // from here on it ignores SIGTERM
	n := itoa(pid)
	p := addProc(s, roleReparented, "sleep/"+n, pid, nil)
	s.terminate(p)
	s.reparent.due = s.now.Add(time.Hour)
	start := s.now
	s.now = p.killAt.Add(-time.Nanosecond)
	s.fireKills()
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": sending SIGTERM to PID "+n)
	if p.stop != termSent {
		t.Fatalf("stop stage %d before the deadline, want termSent", p.stop)
	}
	s.now = start.Add(2 * time.Second)
	s.fireKills()
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": sending SIGKILL to PID "+n)
	if p.stop != killSent || len(s.killing) != 1 {
		t.Fatalf("stop=%d, %d planned", p.stop, len(s.killing))
	}
	if d := s.deadline(); !d.Equal(s.reparent.due) {
		t.Fatalf("deadline %v: a SIGKILL sent is no more a timer", d.Sub(s.now))
	}
	s.now = s.now.Add(time.Hour)
	s.fireKills()
	expectMessages(t, s)
	waitExited(t, pid)
	s.reap()
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": PID "+n+" finished with signal 9")
	s.fireKills()
	if len(s.killing) != 0 || len(s.procs) != 0 {
		t.Fatalf("%d planned, %d processes", len(s.killing), len(s.procs))
	}
}

// A planned SIGKILL belongs to a process, not to a PID: once that process
// is gone, a new process with the same PID is not killed.
func TestFireKillsNeverHitsAReusedPID(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	const pid = 5000004 // above any pid_max: no real process gets a signal
	old := &process{sup: s, pid: pid, pidfd: -1, role: roleReparented, label: "old/5000004", stop: termSent, killAt: s.now}
	s.killing = []*process{old}
	addProc(s, roleReparented, "new/5000004", pid, nil)
	s.fireKills()
	expectMessages(t, s)
	if len(s.killing) != 0 || old.stop != termSent {
		t.Fatalf("%d planned, old stop=%d", len(s.killing), old.stop)
	}
}

// A signal that cannot be sent is reported; ESRCH (gone already) is not.
func TestSignalReportsFailures(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	s.signal(&process{pid: 5000005, pidfd: -1, label: "x/5000005"}, unix.SIGTERM)
	expectMessages(t, s)
	// Our own PID: the kernel refuses the signal number before anything
	// is delivered.
	self := itoa(s.self)
	s.signal(&process{pid: s.self, pidfd: -1, label: "x/" + self}, unix.Signal(99))
	expectMessages(t, s, "TS dinit: error: x/"+self+": sending signal 99 to PID "+self+": invalid argument")
}

// Deterministic order at the shutdown: services in name order, then the
// other processes by PID, whatever the order of the owner table (a map,
// whose walk changes from run to run: one walk of six entries in 720 is
// sorted). forward uses the same byPID.
func TestShutdownAndForwardOrder(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, KillTimeout: time.Hour})
	svcs := []*service{addRun(s, "a", blockedKid(t, "/bin/sleep", "1000")), addRun(s, "b", blockedKid(t, "/bin/sleep", "1000"))}
	var others []*process
	for i := range 6 {
		r := roleReparented
		if i%2 == 0 {
			r = roleAdopted
		}
		p := addProc(s, r, "", blockedKid(t, "/bin/sleep", "1000"), nil)
		p.label = reparentedLabel("sleep", p.pid)
		others = append(others, p)
	}
	slices.SortFunc(others, func(a, b *process) int { return a.pid - b.pid })
	s.shutdown()
	var want []string
	for _, svc := range svcs {
		want = append(want, "TS dinit: info: "+svc.name+"/run: terminating",
			"TS dinit: info: "+svc.name+"/run: sending SIGTERM to PID "+itoa(svc.run.pid))
	}
	for _, p := range others {
		want = append(want, "TS dinit: info: "+p.label+": sending SIGTERM to PID "+itoa(p.pid))
	}
	expectMessages(t, s, want...)
}
