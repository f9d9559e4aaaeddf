package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// newUnitSupervisor is a Supervisor with a real loop and buffer-only sinks,
// no signal source: its messages are read from o.stderr.buf.
func newUnitSupervisor(t *testing.T, cfg Config) *Supervisor {
	t.Helper()
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := testOutput(cfg.Level, cfg.JSON)
	o.loop = l
	o.readBuf = make([]byte, readSize)
	return assemble(cfg, l, o)
}

// messages returns what the supervisor said, timestamps normalised, and
// forgets it.
func messages(s *Supervisor) []string {
	text := tsRe.ReplaceAllString(string(s.out.stderr.buf), "TS")
	s.out.stderr.buf = s.out.stderr.buf[:0]
	if text == "" {
		return nil
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if !strings.Contains(l, ": output redirected (") { // a duration
			lines = append(lines, l)
		}
	}
	return lines
}

func expectMessages(t *testing.T, s *Supervisor, want ...string) {
	t.Helper()
	got := messages(s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// child starts a real process (our child) and makes sure it is gone at the
// end of the test.
func child(t *testing.T, path string, args ...string) int {
	t.Helper()
	devnull, err := openDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer closeFds(devnull)
	pid, _, err := spawnArgs(path, args, devnull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		reapPID(pid)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, 0, nil)
	})
	return pid
}

// waitEnd blocks until pid has ended and returns how (reaping it).
func waitEnd(t *testing.T, pid int) exitStatus {
	t.Helper()
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if ws.Signaled() {
		return exitStatus{signal: ws.Signal()}
	}
	return exitStatus{code: ws.ExitStatus()}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"b", "a", ".hidden", "real"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
	os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link"))
	os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling"))
	t.Chdir(filepath.Dir(dir))
	svcs, err := discover(filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range svcs {
		got = append(got, s.name+"="+s.dir)
	}
	want := []string{"a=" + dir + "/a", "b=" + dir + "/b", "link=" + dir + "/link", "real=" + dir + "/real"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("discover = %v, want %v", got, want)
	}
	if _, err := discover(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing directory: no error")
	}
}

func TestEndedRunDisabledItself(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web"}
	p := &process{sup: s, pid: 42, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	svc.run, s.procs[42], s.services = p, p, []*service{svc}
	s.ended(p, exitStatus{code: 115})
	expectMessages(t, s, "TS dinit: info: web/run: PID 42 finished and disabled itself")
	if !svc.disabled || svc.run != nil || s.shutting || s.exitSet || len(s.procs) != 0 {
		t.Fatalf("disabled=%v run=%v shutting=%v exitSet=%v", svc.disabled, svc.run, s.shutting, s.exitSet)
	}
}

func TestEndedRunDecidesExitCode(t *testing.T) {
	tests := []struct {
		st   exitStatus
		code int
		msg  string
	}{
		{exitStatus{code: 0}, ExitOK, "status 0"},
		{exitStatus{code: 7}, ExitService, "status 7"},
		{exitStatus{signal: unix.SIGKILL}, ExitService, "signal 9"},
	}
	for _, tt := range tests {
		s := newUnitSupervisor(t, Config{Level: LevelInfo})
		svc := &service{name: "web"}
		p := &process{sup: s, pid: 42, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
		svc.run, s.procs[42], s.services = p, p, []*service{svc}
		s.ended(p, tt.st)
		expectMessages(t, s, "TS dinit: info: web/run: PID 42 finished with "+tt.msg)
		if !s.shutting || s.exitCode != tt.code {
			t.Errorf("%v: shutting=%v code=%d, want %d", tt.st, s.shutting, s.exitCode, tt.code)
		}
		// A later failure does not change a recorded reason; an end
		// with 0 recorded none.
		s.recordExit(ExitFailure)
		want := tt.code
		if tt.st.code == 0 && tt.st.signal == 0 {
			want = ExitFailure
		}
		if s.exitCode != want {
			t.Errorf("%v: then a failure: code %d, want %d", tt.st, s.exitCode, want)
		}
	}
}

func TestLogEndWaitsForRunWithinGrace(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web"}
	run := &process{sup: s, pid: 41, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	log := &process{sup: s, pid: 43, pidfd: -1, role: roleLog, svc: svc, label: "web/log"}
	svc.run, svc.log, s.services = run, log, []*service{svc}
	s.procs[41], s.procs[43] = run, log
	s.ended(log, exitStatus{code: 0})
	s.checkLogWaits()
	s.reparent.due = s.now.Add(time.Hour)
	if s.shutting || len(s.logWaits) != 1 {
		t.Fatalf("shutdown before the grace: shutting=%v waits=%d", s.shutting, len(s.logWaits))
	}
	if d := s.deadline(); !d.Equal(s.now.Add(logGrace)) {
		t.Fatalf("deadline %v, want the grace's end %v", d.Sub(s.now), logGrace)
	}
	s.ended(run, exitStatus{code: 0}) // run ends within the grace
	s.now = s.now.Add(logGrace)
	s.checkLogWaits()
	expectMessages(t, s,
		"TS dinit: info: web/log: PID 43 finished with status 0",
		"TS dinit: info: web/run: PID 41 finished with status 0")
	if len(s.logWaits) != 0 || s.exitCode != ExitOK {
		t.Fatalf("waits=%d code=%d", len(s.logWaits), s.exitCode)
	}
}

func TestLogEndWithRunStillRunningStartsShutdown(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	pid := child(t, "/bin/sleep", "1000")
	svc := &service{name: "web", dir: t.TempDir()}
	run := &process{sup: s, pid: pid, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	log := &process{sup: s, pid: pid + 1000000, pidfd: -1, role: roleLog, svc: svc, label: "web/log"}
	svc.run, svc.log, s.services = run, log, []*service{svc}
	s.procs[pid] = run
	s.ended(log, exitStatus{code: 2})
	s.now = s.now.Add(logGrace)
	s.checkLogWaits()
	if !s.shutting || s.exitCode != ExitService {
		t.Fatalf("shutting=%v code=%d", s.shutting, s.exitCode)
	}
	if st := waitEnd(t, pid); st.signal != unix.SIGTERM {
		t.Fatalf("run ended with %v, want SIGTERM", st)
	}
}

// classify with a fake /proc listing a real child: pending first, then the
// policy, per policy.
func TestReparentedPolicies(t *testing.T) {
	tests := []struct {
		policy   Policy
		shutting bool
		want     []string
		role     role
		signal   unix.Signal
	}{
		{PolicyTerminate, false, []string{
			"TS dinit: warning: sleep/%d: terminating reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: info: sleep/%d: sending SIGTERM to PID %d"}, roleReparented, unix.SIGTERM},
		// The fake /proc has no fd links: the redirection fails and the
		// process stays adopted.
		{PolicyAdopt, false, []string{
			"TS dinit: warning: sleep/%d: adopting reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: warning: sleep/%d: cannot redirect output of PID %d: readlink FAKE/%d/fd/1: no such file or directory"}, roleAdopted, 0},
		{PolicyIgnore, false, []string{
			"TS dinit: debug: sleep/%d: ignoring reparented child process with PID %d"}, roleReparented, 0},
		{PolicyAdopt, true, []string{
			"TS dinit: warning: sleep/%d: terminating reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: info: sleep/%d: sending SIGTERM to PID %d"}, roleReparented, unix.SIGTERM},
	}
	for _, tt := range tests {
		s := newUnitSupervisor(t, Config{Level: LevelDebug, Policy: tt.policy, KillTimeout: 5 * time.Second})
		s.shutting = tt.shutting
		pid := child(t, "/bin/sleep", "1000")
		p := strconv.Itoa(pid)
		fakeProc(t, map[string]string{p + "/cmdline": "/bin/sleep\x001000\x00", p + "/comm": "sleep\n"})
		s.classify([]int{pid})
		if len(messages(s)) != 0 || len(s.reparent.pending) != 1 {
			t.Fatalf("first sight: pending %v", s.reparent.pending)
		}
		s.now = s.now.Add(youngAge)
		s.classify([]int{pid})
		adoptAll(t, s)
		var want []string
		for _, w := range tt.want {
			want = append(want, strings.ReplaceAll(strings.ReplaceAll(w, "%d", p), "FAKE", procRoot))
		}
		s.cfg.Level = LevelDebug
		expectMessages(t, s, want...)
		got := s.procs[pid]
		if got == nil || got.role != tt.role || got.label != "sleep/"+p || len(s.reparent.pending) != 0 {
			t.Fatalf("policy %d: tracked %+v", tt.policy, got)
		}
		if tt.signal != 0 {
			if !got.killAt.Equal(s.now.Add(5*time.Second)) || len(s.killing) != 1 {
				t.Fatalf("kill deadline %v", got.killAt)
			}
			if st := waitEnd(t, pid); st.signal != tt.signal {
				t.Fatalf("ended with %v, want signal %d", st, tt.signal)
			}
		}
	}
}

func TestVanishedPendingIsDropped(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	s.classify([]int{99999999})
	s.classify(nil)
	if len(s.reparent.pending) != 0 {
		t.Fatalf("pending %v", s.reparent.pending)
	}
}

func TestFireKillsSendsSigkillAtDeadline(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo, KillTimeout: time.Second})
	pid := child(t, "/bin/sh", "-c", "trap '' TERM; exec sleep 1000")
	// Wait for the exec: from then on sleep ignores TERM.
	for deadline := time.Now().Add(5 * time.Second); commOf(pid) != "sleep"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the child never exec'd sleep")
		}
	}
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleReparented, label: "sh/" + strconv.Itoa(pid)}
	s.procs[pid] = p
	s.terminate(p)
	s.terminate(p) // once only
	s.fireKills()
	if p.killed {
		t.Fatal("killed before the deadline")
	}
	s.reparent.due = s.now.Add(time.Hour)
	if d := s.deadline(); !d.Equal(p.killAt) {
		t.Fatalf("deadline %v after now, want the kill deadline (%v)", d.Sub(s.now), p.killAt.Sub(s.now))
	}
	s.now = p.killAt
	s.fireKills()
	n := strconv.Itoa(pid)
	expectMessages(t, s,
		"TS dinit: info: sh/"+n+": sending SIGTERM to PID "+n,
		"TS dinit: info: sh/"+n+": sending SIGKILL to PID "+n)
	if st := waitEnd(t, pid); st.signal != unix.SIGKILL {
		t.Fatalf("ended with %v", st)
	}
	delete(s.procs, pid)
	s.fireKills()
	if len(s.killing) != 0 {
		t.Fatal("an ended process is still planned for SIGKILL")
	}
}

func TestSignalHandling(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	pid := child(t, "/bin/sleep", "1000")
	svc := &service{name: "web", dir: t.TempDir()}
	svc.run = &process{sup: s, pid: pid, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	s.services, s.procs[pid] = []*service{svc}, svc.run

	s.handleSignal(unix.SIGPIPE)
	s.handleSignal(unix.SIGALRM)
	s.handleSignal(unix.SIGCHLD)
	if !s.reapNeeded || !s.reparent.due.Equal(s.now) {
		t.Fatal("SIGCHLD did not ask for a reap and a scan")
	}
	s.handleSignal(unix.SIGUSR1)
	if st := waitEnd(t, pid); st.signal != unix.SIGUSR1 {
		t.Fatalf("run got %v, want SIGUSR1", st)
	}
	svc.run = nil
	s.handleSignal(unix.SIGQUIT)
	s.handleSignal(unix.SIGTERM)
	expectMessages(t, s,
		"TS dinit: debug: got signal 13, ignoring it",
		"TS dinit: info: got signal 14, ignoring it",
		"TS dinit: info: got signal 10, forwarding it to running services",
		"TS dinit: info: got signal 3, terminating services",
		"TS dinit: info: got signal 15, already terminating services")
	if !s.shutting || s.exitCode != ExitOK {
		t.Fatalf("shutting=%v code=%d", s.shutting, s.exitCode)
	}
}

func TestShutdownRunsTerminateProgram(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"$DINIT_PID $(pwd)\" > " + dir + "/got\n"
	if err := os.WriteFile(filepath.Join(dir, "terminate"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	pid := child(t, "/bin/sleep", "1000")
	svc := &service{name: "web", dir: dir}
	svc.run = &process{sup: s, pid: pid, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	s.services, s.procs[pid] = []*service{svc}, svc.run
	s.shutdown()
	s.shutdown()
	var term *process
	for _, p := range s.procs {
		if p.role == roleTerm {
			term = p
		}
	}
	if term == nil {
		t.Fatal("no terminate program started")
	}
	st := waitEnd(t, term.pid)
	got, _ := os.ReadFile(filepath.Join(dir, "got"))
	if st.failed() || string(got) != strconv.Itoa(pid)+" "+dir+"\n" {
		t.Fatalf("terminate ended %v and wrote %q", st, got)
	}
	n := strconv.Itoa(term.pid)
	expectMessages(t, s,
		"TS dinit: info: web/run: terminating",
		"TS dinit: info: web/term: starting",
		"TS dinit: info: web/term: running with PID "+n)
	for _, src := range append([]*source(nil), s.out.ready...) {
		src.close()
	}
}

func TestDeadline(t *testing.T) {
	s := newUnitSupervisor(t, Config{})
	s.reparent.due = s.now.Add(time.Second)
	if d := s.deadline(); !d.Equal(s.reparent.due) {
		t.Fatalf("deadline %v", d.Sub(s.now))
	}
	s.killing = []*process{{killAt: s.now.Add(time.Millisecond)}, {killAt: s.now, killed: true}}
	if d := s.deadline(); !d.Equal(s.now.Add(time.Millisecond)) {
		t.Fatalf("deadline %v, want the pending SIGKILL", d.Sub(s.now))
	}
	s.reapNeeded = true
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatal("reap needed: must not block")
	}
}

// spawnArgs starts path with arguments (spawn itself passes none), stdio on
// devnull.
func spawnArgs(path string, args []string, devnull int) (int, uintptr, error) {
	fd := uintptr(devnull)
	return syscall.StartProcess(path, append([]string{path}, args...), &syscall.ProcAttr{
		Dir: "/", Files: []uintptr{fd, fd, fd}})
}

// startAll starts every service at once, as tests want it.
func (s *Supervisor) startAll() {
	s.startup.queue = s.services
	for s.starting() {
		s.startSome()
	}
}

// adoptAll runs the output redirections of adopted processes to their end,
// retries included, as the loop would (at most 10 s).
func adoptAll(t *testing.T, s *Supervisor) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(s.adoptions) > 0; {
		s.tick()
		s.kickAdoptions()
		s.adoptSome()
		if time.Now().After(deadline) {
			t.Fatalf("%d adoptions still in progress", len(s.adoptions))
		}
		if d := time.Until(s.adoptDeadline()); d > 0 && d < time.Hour {
			time.Sleep(d)
		}
	}
}
