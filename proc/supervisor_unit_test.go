package proc

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
	"golang.org/x/sys/unix"
)

// The unit supervisor: a real loop and a real relay whose stdout and
// stderr are two regular files of the test (blocking sinks: a flush writes
// everything), no signal source. What it said is read back from the files
// (messages, stdoutText), each call returning what is new since the last.

// unitSinks are the read sides of a unit supervisor's output files: each
// has its own offset, where the last read stopped. nil: not a file of ours.
type unitSinks struct{ stdout, stderr *os.File }

var unitOutputs sync.Map // *Supervisor -> unitSinks

// newUnitSupervisor is a Supervisor with a real loop and its outputs on
// two files of the test.
func newUnitSupervisor(t testing.TB, cfg Config) *Supervisor {
	t.Helper()
	return newUnitSupervisorOut(t, cfg, -1)
}

// newUnitSupervisorOut is newUnitSupervisor with its stdout on the given fd
// (-1: a file of the test). The loop is made first: it takes the lowest
// free descriptor (TestTurnSurvivesAPollFailure counts on it).
func newUnitSupervisorOut(t testing.TB, cfg Config, stdout int) *Supervisor {
	t.Helper()
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	dir := t.TempDir()
	var sinks unitSinks
	if stdout < 0 {
		var w *os.File
		w, sinks.stdout = sinkFile(t, filepath.Join(dir, "stdout"))
		stdout = int(w.Fd())
	}
	errW, errR := sinkFile(t, filepath.Join(dir, "stderr"))
	sinks.stderr = errR
	s := assemble(cfg, l, relay.New(l, stdout, int(errW.Fd()), relayOptions(cfg)))
	t.Cleanup(s.reparent.lister.Close) // as s.close does (the loop: above)
	unitOutputs.Store(s, sinks)
	t.Cleanup(func() { unitOutputs.Delete(s) })
	return s
}

// sinkFile creates a file to write to and opens it again to read from.
func sinkFile(t testing.TB, path string) (w, r *os.File) {
	t.Helper()
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err = os.Open(path)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(); r.Close() })
	return w, r
}

// written flushes the supervisor's output and returns what was written to
// one of its files since the last call, as is.
func written(s *Supervisor, stderr bool) string {
	s.out.Flush()
	v, ok := unitOutputs.Load(s)
	if !ok {
		panic("not a unit supervisor")
	}
	f := v.(unitSinks).stdout
	if stderr {
		f = v.(unitSinks).stderr
	}
	if f == nil {
		panic("this unit supervisor's stdout is not a file")
	}
	b, err := io.ReadAll(f)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var (
	tsPattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
	// durations in our messages, as time.Duration writes them
	reapDuration  = regexp.MustCompile(`(?m)(: reaped \d+ process(?:es)? in )(?:[0-9.]+(?:ns|µs|ms|h|m|s))+$`)
	adoptDuration = regexp.MustCompile(`(: output redirected \(\d+ processes, )(?:[0-9.]+(?:ns|µs|ms|h|m|s))+( after adoption\))`)
)

// normalised replaces timestamps by TS and the durations of our messages
// by D.
func normalised(text string) string {
	text = tsPattern.ReplaceAllString(text, "TS")
	text = reapDuration.ReplaceAllString(text, "${1}D")
	return adoptDuration.ReplaceAllString(text, "${1}D${2}")
}

// messages flushes and returns the new lines of the supervisor's stderr,
// normalised.
func messages(s *Supervisor) []string {
	text := normalised(written(s, true))
	if text == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// stdoutText flushes and returns what is new on the supervisor's stdout,
// normalised.
func stdoutText(s *Supervisor) string { return normalised(written(s, false)) }

func expectMessages(t testing.TB, s *Supervisor, want ...string) {
	t.Helper()
	got := messages(s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// child starts a real process (our child) with its stdio on /dev/null and
// makes sure it is gone at the end of the test.
func child(t *testing.T, path string, args ...string) int {
	t.Helper()
	return kid(t, -1, append([]string{path}, args...)...)
}

// waitEnd blocks until pid has ended and returns how (reaping it).
func waitEnd(t *testing.T, pid int) sys.ExitStatus {
	t.Helper()
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	if ws.Signaled() {
		return sys.ExitStatus{Signal: ws.Signal()}
	}
	return sys.ExitStatus{Code: ws.ExitStatus()}
}

// startAll starts every service at once, as tests want it.
func startAll(s *Supervisor) {
	s.startup.queue = s.services
	for s.starting() {
		s.startSome()
	}
}

// drainSources reads every source to EOF (bounded), without reaping.
func drainSources(t *testing.T, s *Supervisor) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); s.out.Open() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d sources still open", s.out.Open())
		}
		pollOnce(t, s)
	}
}

// pollOnce waits (20 ms at most) for the loop, then reads what is ready and
// writes it out.
func pollOnce(t *testing.T, s *Supervisor) {
	t.Helper()
	if _, err := s.loop.Poll(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	s.tick()
	for s.out.HasReady() {
		s.relayTurn()
	}
	s.out.Flush()
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
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web"}
	p := &process{sup: s, pid: 42, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	svc.run, s.procs[42], s.services = p, p, []*service{svc}
	s.ended(p, sys.ExitStatus{Code: 115})
	expectMessages(t, s, "TS dinit: info: web/run: PID 42 finished and disabled itself")
	if !svc.disabled || svc.run != nil || s.stopping() || s.exitCode != noReason || len(s.procs) != 0 {
		t.Fatalf("disabled=%v run=%v phase=%d exitCode=%d", svc.disabled, svc.run, s.phase, s.exitCode)
	}
}

func TestEndedRunDecidesExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		st   sys.ExitStatus
		code int
		msg  string
	}{
		{sys.ExitStatus{Code: 0}, ExitOK, "status 0"},
		{sys.ExitStatus{Code: 7}, ExitService, "status 7"},
		{sys.ExitStatus{Signal: unix.SIGKILL}, ExitService, "signal 9"},
	}
	for _, tt := range tests {
		s := newUnitSupervisor(t, Config{Level: LevelInfo})
		svc := &service{name: "web"}
		p := &process{sup: s, pid: 42, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
		svc.run, s.procs[42], s.services = p, p, []*service{svc}
		s.ended(p, tt.st)
		expectMessages(t, s,
			"TS dinit: info: web/run: PID 42 finished with "+tt.msg,
			"TS dinit: warning: shutting down: web/run: PID 42 finished with "+tt.msg)
		if !s.stopping() || s.code() != tt.code {
			t.Errorf("%v: stopping=%v code=%d, want %d", tt.st, s.stopping(), s.code(), tt.code)
		}
		// A later failure does not change a recorded reason; an end
		// with 0 recorded none.
		s.recordExit(ExitFailure)
		want := tt.code
		if !tt.st.Failed() {
			want = ExitFailure
		}
		if s.code() != want {
			t.Errorf("%v: then a failure: code %d, want %d", tt.st, s.code(), want)
		}
	}
}

func TestLogEndWaitsForRunWithinGrace(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web"}
	run := &process{sup: s, pid: 41, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	log := &process{sup: s, pid: 43, pidfd: -1, role: roleLog, svc: svc, label: "web/log"}
	svc.run, svc.log, s.services = run, log, []*service{svc}
	s.procs[41], s.procs[43] = run, log
	s.ended(log, sys.ExitStatus{Code: 0})
	s.checkLogWaits()
	s.reparent.due = s.now.Add(time.Hour)
	if s.stopping() || len(s.logWaits) != 1 {
		t.Fatalf("shutdown before the grace: stopping=%v waits=%d", s.stopping(), len(s.logWaits))
	}
	if d := s.deadline(); !d.Equal(s.now.Add(s.timing.logGrace)) {
		t.Fatalf("deadline %v, want the grace's end %v", d.Sub(s.now), s.timing.logGrace)
	}
	s.ended(run, sys.ExitStatus{Code: 0}) // run ends within the grace
	s.now = s.now.Add(s.timing.logGrace)
	s.checkLogWaits()
	expectMessages(t, s,
		"TS dinit: info: web/log: PID 43 finished with status 0",
		"TS dinit: info: web/run: PID 41 finished with status 0",
		"TS dinit: warning: shutting down: web/run: PID 41 finished with status 0")
	if len(s.logWaits) != 0 || s.code() != ExitOK {
		t.Fatalf("waits=%d code=%d", len(s.logWaits), s.code())
	}
}

func TestLogEndWithRunStillRunningStartsShutdown(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	pid := child(t, "/bin/sleep", "1000")
	svc := &service{name: "web", dir: t.TempDir()}
	run := &process{sup: s, pid: pid, pidfd: -1, role: roleRun, svc: svc, label: "web/run"}
	log := &process{sup: s, pid: pid + 1000000, pidfd: -1, role: roleLog, svc: svc, label: "web/log"}
	svc.run, svc.log, s.services = run, log, []*service{svc}
	s.procs[pid] = run
	s.ended(log, sys.ExitStatus{Code: 2})
	s.now = s.now.Add(s.timing.logGrace)
	s.checkLogWaits()
	if !s.stopping() || s.code() != ExitService {
		t.Fatalf("stopping=%v code=%d", s.stopping(), s.code())
	}
	if st := waitEnd(t, pid); st.Signal != unix.SIGTERM {
		t.Fatalf("run ended with %v, want SIGTERM", st)
	}
}

// classify with a fake /proc listing a real child: pending first, then the
// policy, per policy. The adoption's redirection is a fake that fails.
func TestReparentedPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy   Policy
		stopping bool
		want     []string
		role     role
		signal   unix.Signal
	}{
		{PolicyTerminate, false, []string{
			"TS dinit: warning: sleep/%d: terminating reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: info: sleep/%d: sending SIGTERM to PID %d"}, roleReparented, unix.SIGTERM},
		{PolicyAdopt, false, []string{
			"TS dinit: warning: sleep/%d: adopting reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: warning: sleep/%d: cannot redirect output of PID %d: fake: no redirection"}, roleAdopted, 0},
		{PolicyIgnore, false, []string{
			"TS dinit: debug: sleep/%d: ignoring reparented child process with PID %d"}, roleReparented, 0},
		{PolicyAdopt, true, []string{
			"TS dinit: warning: sleep/%d: terminating reparented child process with PID %d: /bin/sleep 1000",
			"TS dinit: info: sleep/%d: sending SIGTERM to PID %d"}, roleReparented, unix.SIGTERM},
	}
	for _, tt := range tests {
		s := newUnitSupervisor(t, Config{Level: LevelDebug, Policy: tt.policy, KillTimeout: 5 * time.Second})
		fakeRedirects(s, func(int) (*fakeRedirector, error) { return nil, errNoRedirection })
		if tt.stopping {
			s.phase = stopping
		}
		pid := child(t, "/bin/sleep", "1000")
		p := strconv.Itoa(pid)
		fakeProcfs(t, s, map[string]string{p + "/cmdline": "/bin/sleep\x001000\x00", p + "/comm": "sleep\n"})
		s.classify([]int{pid})
		if len(messages(s)) != 0 || len(s.reparent.pending) != 1 {
			t.Fatalf("first sight: pending %v", s.reparent.pending)
		}
		s.now = s.now.Add(s.timing.young)
		s.classify([]int{pid})
		adoptAll(t, s)
		var want []string
		for _, w := range tt.want {
			want = append(want, strings.ReplaceAll(w, "%d", p))
		}
		expectMessages(t, s, want...)
		got := s.procs[pid]
		if got == nil || got.role != tt.role || got.label != "sleep/"+p || len(s.reparent.pending) != 0 {
			t.Fatalf("policy %d: tracked %+v", tt.policy, got)
		}
		if tt.signal != 0 {
			if !got.killAt.Equal(s.now.Add(5*time.Second)) || len(s.killing) != 1 {
				t.Fatalf("kill deadline %v", got.killAt)
			}
			if st := waitEnd(t, pid); st.Signal != tt.signal {
				t.Fatalf("ended with %v, want signal %d", st, tt.signal)
			}
		}
		drainSources(t, s) // the adoption's, at EOF once its job ended
	}
}

func TestVanishedPendingIsDropped(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	s.classify([]int{99999999})
	s.classify(nil)
	if len(s.reparent.pending) != 0 {
		t.Fatalf("pending %v", s.reparent.pending)
	}
}

func TestFireKillsSendsSigkillAtDeadline(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, KillTimeout: time.Second})
	pid := child(t, "/bin/sh", "-c", "trap '' TERM; exec sleep 1000")
	waitExec(t, pid, "sleep") // from then on sleep ignores TERM
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleReparented, label: "sh/" + strconv.Itoa(pid)}
	s.procs[pid] = p
	s.terminate(p)
	s.terminate(p) // once only
	s.fireKills()
	if p.stop != termSent {
		t.Fatalf("stop stage %d before the deadline, want termSent", p.stop)
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
	if st := waitEnd(t, pid); st.Signal != unix.SIGKILL {
		t.Fatalf("ended with %v", st)
	}
	delete(s.procs, pid)
	s.fireKills()
	if len(s.killing) != 0 {
		t.Fatal("an ended process is still planned for SIGKILL")
	}
}

func TestSignalHandling(t *testing.T) {
	t.Parallel()
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
	if st := waitEnd(t, pid); st.Signal != unix.SIGUSR1 {
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
		"TS dinit: warning: shutting down: got signal 3",
		"TS dinit: info: got signal 15, already terminating services")
	if !s.stopping() || s.exitCode != ExitOK {
		t.Fatalf("stopping=%v code=%d", s.stopping(), s.exitCode)
	}
}

func TestShutdownRunsTerminateProgram(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"$DINIT_PID $(pwd)\" > " + dir + "/got\n"
	if err := writeProgram(filepath.Join(dir, "terminate"), script, 0o755); err != nil {
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
	if st.Failed() || string(got) != strconv.Itoa(pid)+" "+dir+"\n" {
		t.Fatalf("terminate ended %v and wrote %q", st, got)
	}
	n := strconv.Itoa(term.pid)
	expectMessages(t, s,
		"TS dinit: info: web/run: terminating",
		"TS dinit: info: web/term: starting",
		"TS dinit: info: web/term: running with PID "+n)
	if term.pidfd >= 0 {
		_ = s.loop.Remove(term.tok)
		sys.Close(term.pidfd)
	}
	drainSources(t, s)
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{})
	s.reparent.due = s.now.Add(time.Second)
	if d := s.deadline(); !d.Equal(s.reparent.due) {
		t.Fatalf("deadline %v", d.Sub(s.now))
	}
	s.killing = []*process{{stop: termSent, killAt: s.now.Add(time.Millisecond)}, {stop: killSent, killAt: s.now}}
	if d := s.deadline(); !d.Equal(s.now.Add(time.Millisecond)) {
		t.Fatalf("deadline %v, want the pending SIGKILL", d.Sub(s.now))
	}
	s.reapNeeded = true
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatal("reap needed: must not block")
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
