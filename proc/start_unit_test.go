package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// runToEnd drives the loop until every source is at EOF and every tracked
// process has ended and been reaped (without a signal source: reaping is
// asked for directly).
func runToEnd(t *testing.T, s *Supervisor) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.out.Open() > 0 || len(s.procs) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d sources, %d processes", s.out.Open(), len(s.procs))
		}
		pollOnce(t, s)
		s.reap()
	}
}

func writeService(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeProgram(path, content, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeProgram writes a file that a test then runs, under syscall.ForkLock
// (its read side): a fork by another goroutine meanwhile would give its
// child a copy of our write descriptor until that child execs, and running
// the file would then fail with "text file busy" (golang.org/issue/22315).
func writeProgram(path, content string, mode os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(path, []byte(content), mode)
}

// run's stdout goes through log/run; log/run's stdout is stage run, its
// stderr stage log; run sees /dev/null as stdin, its own directory as
// working directory, and only fds 0, 1, 2.
func TestStartServiceWithLogProgram(t *testing.T) {
	dir := writeService(t, map[string]string{
		"web/run": "#!/bin/sh\nread x && echo stdin-not-empty >&2\necho \"cwd=$(pwd)\"\n" +
			"ls /proc/self/fd | tr '\\n' ' ' >&2; echo >&2\nexit 0\n",
		"web/log/run": "#!/bin/sh\nwhile read -r l; do echo \"{\\\"via\\\":\\\"$l\\\"}\"; done\necho log-done >&2\n",
	})
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Stdout: StdoutJSON})
	sys.MarkInheritedCloexec() // as Run does: nothing the test process inherited may leak
	svcs, _ := discover(dir)
	s.services = svcs
	startAll(s)
	svc := svcs[0]
	logPID, runPID := svc.log.pid, svc.run.pid
	runToEnd(t, s)
	want := `{"via":"cwd=` + filepath.Join(dir, "web") + `","service":"web","stage":"run","logged":"TS"}` + "\n"
	if out := stdoutText(s); out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
	msgs := strings.Join(messages(s), "\n")
	for _, m := range []string{
		"TS dinit: info: web/log: starting",
		"TS dinit: info: web/log: running with PID " + strconv.Itoa(logPID),
		"TS dinit: info: web/run: running with PID " + strconv.Itoa(runPID),
		// ls lists its own directory fd (3) too.
		"TS web/run: 0 1 2 3 ",
		"TS web/log: log-done",
	} {
		if !strings.Contains(msgs, m) {
			t.Errorf("missing %q in:\n%s", m, msgs)
		}
	}
	if strings.Contains(msgs, "stdin-not-empty") {
		t.Error("run's stdin was not /dev/null")
	}
}

func TestRunNotExecutableIsOurFailure(t *testing.T) {
	t.Parallel()
	dir := writeService(t, map[string]string{"a/run": "#!/bin/sh\nexit 0\n", "b/run": "#!/bin/sh\nexit 0\n"})
	if err := os.Chmod(filepath.Join(dir, "a", "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo})
	svcs, _ := discover(dir)
	s.services = svcs
	startAll(s)
	expectMessages(t, s,
		"TS dinit: info: a/run: starting",
		"TS dinit: error: a/run: error running: fork/exec "+filepath.Join(dir, "a", "run")+": permission denied",
		"TS dinit: warning: shutting down: a could not be started")
	if s.exitCode != ExitFailure || !s.stopping() || svcs[1].run != nil || s.out.Open() != 0 || len(s.procs) != 0 {
		t.Fatalf("code %d stopping %v b started %v open %d procs %d", s.exitCode, s.stopping(), svcs[1].run != nil, s.out.Open(), len(s.procs))
	}
}

// A program: its label, and the stage its stdout lines carry (log/run's
// are its run's).
func TestProgramLabelAndStdoutStage(t *testing.T) {
	t.Parallel()
	svc := &service{name: "web"}
	for _, tt := range []struct {
		pg           program
		label, stage string
	}{
		{program{svc: svc, stage: "run"}, "web/run", "run"},
		{program{svc: svc, stage: "log", outStage: "run"}, "web/log", "run"},
		{program{svc: svc, stage: "term"}, "web/term", "term"},
	} {
		if got := tt.pg.label(); got != tt.label {
			t.Errorf("label %q, want %q", got, tt.label)
		}
		if got := tt.pg.stdoutStage(); got != tt.stage {
			t.Errorf("%s: stdout stage %q, want %q", tt.label, got, tt.stage)
		}
	}
}

// fdCount is how many descriptors the test process holds.
func fdCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// A program that cannot be started leaves nothing behind: no source, no
// registration, no process, no descriptor; start itself says nothing, and
// the stdout it was given stays open (it is the caller's).
func TestStartFailureLeavesNothing(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	dir := t.TempDir()
	svc := &service{name: "web", dir: dir}
	devnull, err := sys.OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(devnull)
	_, given := testPipe(t)
	for _, stdout := range []int{-1, given} {
		before := fdCount(t)
		p, err := s.start(program{svc: svc, stage: "run", role: roleRun, path: filepath.Join(dir, "run"),
			dir: dir, env: s.env, stdin: devnull, stdout: stdout, stderr: -1})
		if p != nil || err == nil || err.Error() != "fork/exec "+filepath.Join(dir, "run")+": no such file or directory" {
			t.Fatalf("stdout %d: start = %v, %v", stdout, p, err)
		}
		if s.out.Open() != 0 || s.loop.Registered() != 0 || len(s.procs) != 0 {
			t.Fatalf("stdout %d: %d sources, %d registrations, %d processes left", stdout, s.out.Open(), s.loop.Registered(), len(s.procs))
		}
		if after := fdCount(t); after != before {
			t.Fatalf("stdout %d: %d descriptors before, %d after", stdout, before, after)
		}
	}
	if _, err := unix.FcntlInt(uintptr(given), unix.F_GETFD, 0); err != nil {
		t.Fatalf("the stdout given was closed: %v", err)
	}
	expectMessages(t, s)
}

// The second pipe cannot be made (no descriptor left): the first one and
// its source are undone, and startLogged says why.
func TestStartFailureOnTheSecondPipeUndoesTheFirst(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	svc := &service{name: "web", dir: t.TempDir()}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// The lowest limit that leaves exactly two free descriptors: one pipe.
	used := map[int]bool{}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		used[fd] = true
	}
	before := len(ents) // as fdCount counts: with ReadDir's own descriptor
	limit, free := 0, 0
	for ; free < 2; limit++ {
		if !used[limit] {
			free++
		}
	}
	low := lim
	low.Cur = uint64(limit)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	p, err := s.startLogged(program{svc: svc, stage: "run", role: roleRun, path: "/bin/true", dir: svc.dir,
		env: s.env, stdin: -1, stdout: -1, stderr: -1})
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if p != nil || err == nil {
		t.Fatalf("started %+v with no descriptor left", p)
	}
	expectMessages(t, s,
		"TS dinit: info: web/run: starting",
		"TS dinit: error: web/run: error running: pipe2: too many open files")
	if s.out.Open() != 0 || s.loop.Registered() != 0 || len(s.procs) != 0 {
		t.Fatalf("%d sources, %d registrations, %d processes left", s.out.Open(), s.loop.Registered(), len(s.procs))
	}
	if after := fdCount(t); after != before {
		t.Fatalf("%d descriptors before, %d after", before, after)
	}
}

// We exit once nothing is left: no process of ours, every pipe at EOF, no
// reparented process waiting to be looked at, no child unknown to us.
func TestExitIfAllEndedWaitsForEverything(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	fakeReparented(t, s, nil) // our children: none
	s.phase = stopping
	expectStopping := func(what string) {
		t.Helper()
		s.exitIfAllEnded()
		if s.quiet() || s.phase != stopping {
			t.Fatalf("%s: quiet=%v phase=%d", what, s.quiet(), s.phase)
		}
	}
	s.procs[5000001] = &process{pid: 5000001}
	expectStopping("a process left")
	delete(s.procs, 5000001)
	_, w, err := s.out.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	expectStopping("a pipe open")
	sys.Close(w)
	drainSources(t, s)
	s.reparent.pending = map[int]time.Time{5000002: s.now}
	expectStopping("a reparented process pending")
	delete(s.reparent.pending, 5000002)
	if !s.quiet() || s.leftover() != nothingLeft {
		t.Fatalf("quiet=%v leftover=%d with nothing left", s.quiet(), s.leftover())
	}
	s.exitIfAllEnded()
	if s.phase != exiting || !s.done() || s.reapNeeded {
		t.Fatalf("phase=%d done=%v reapNeeded=%v", s.phase, s.done(), s.reapNeeded)
	}
	expectMessages(t, s, "TS dinit: info: dinit exiting with status 0")
}

// A child of ours we do not track (a reparented one not yet seen) keeps
// us from exiting and asks for a reap and a scan, now.
func TestExitIfAllEndedSeesUnknownChildren(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	fakeReparented(t, s, nil, 5000003)
	s.phase = stopping
	s.reparent.due = s.now.Add(time.Hour)
	if !s.quiet() || s.leftover() != unknownChild {
		t.Fatalf("quiet=%v leftover=%d", s.quiet(), s.leftover())
	}
	s.exitIfAllEnded()
	if s.phase != stopping || !s.reapNeeded || !s.reparent.due.Equal(s.now) {
		t.Fatalf("phase=%d reapNeeded=%v scan in %v", s.phase, s.reapNeeded, s.reparent.due.Sub(s.now))
	}
	expectMessages(t, s)
}

// The same with the real /proc and a real child of the test process.
func TestExitIfAllEndedSeesARealUnknownChild(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{})
	child(t, "/bin/sleep", "1000")
	s.phase = stopping
	s.exitIfAllEnded()
	if s.phase != stopping || !s.reapNeeded || !s.reparent.due.Equal(s.now) {
		t.Fatalf("phase=%d reapNeeded=%v: no reap or scan asked for", s.phase, s.reapNeeded)
	}
}

// Without a /proc of ours (here: one whose /proc/self is another
// process), children are asked of waitid: one we cannot see keeps us from
// exiting, and nothing is asked for (its end wakes us); with none, we exit.
func TestExitWithoutProc(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	fakeProcfs(t, s, map[string]string{"self": "1"})
	s.phase = stopping
	s.reparent.due = s.now.Add(time.Hour)
	pid := child(t, "/bin/sleep", "1000")
	if got := s.leftover(); got != unlistedChild {
		t.Fatalf("leftover %d with a child we cannot list, want unlistedChild", got)
	}
	s.exitIfAllEnded()
	if s.phase != stopping || s.reapNeeded || !s.reparent.due.Equal(s.now.Add(time.Hour)) {
		t.Fatalf("phase=%d reapNeeded=%v scan in %v", s.phase, s.reapNeeded, s.reparent.due.Sub(s.now))
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	waitEnd(t, pid)
	if got := s.leftover(); got != nothingLeft {
		t.Fatalf("leftover %d with no child at all, want nothingLeft", got)
	}
	s.exitIfAllEnded()
	if s.phase != exiting {
		t.Fatalf("phase %d with nothing left", s.phase)
	}
	expectMessages(t, s, "TS dinit: info: dinit exiting with status 0")
}

// Our stdout breaks (its reader is gone): said once, and its lines are
// discarded from then on.
func TestBrokenStdoutIsReportedOnce(t *testing.T) {
	t.Parallel()
	r, w := testPipe(t)
	sys.Close(r)
	s := newUnitSupervisorOut(t, Config{Level: LevelWarn}, w)
	src, in, err := s.out.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for _, line := range []string{"x\n", "y\n"} {
		if _, err := unix.Write(in, []byte(line)); err != nil {
			t.Fatal(err)
		}
		pollOnce(t, s)
		pollOnce(t, s)
	}
	sys.Close(in)
	drainSources(t, s)
	expectMessages(t, s, "TS dinit: error: writing to stdout: broken pipe; discarding stdout from now on")
	if s.out.Pending() != 0 {
		t.Fatalf("%d bytes still pending for a broken stdout", s.out.Pending())
	}
}

// The services start a slice per turn (here one service per slice): the
// loop waits for nothing while some are left, and a shutdown between two
// slices (a SIGTERM during a long startup) leaves the rest unstarted. The
// clock is read for each start.
func TestStartupInSlices(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d"} {
		files[n+"/run"] = "#!/bin/sh\nexec sleep 1000\n"
	}
	s := newUnitSupervisor(t, Config{Dir: writeService(t, files), Level: LevelInfo})
	killProcsAtEnd(t, s)
	svcs, err := discover(s.cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	s.services, s.startup.queue, s.timing.startSlice = svcs, svcs, 0
	s.reparent.due = s.now.Add(time.Hour)
	before := s.now
	s.startSome()
	if svcs[0].run == nil || svcs[1].run != nil || !s.starting() {
		t.Fatalf("first slice: started a=%v b=%v, starting=%v", svcs[0].run != nil, svcs[1].run != nil, s.starting())
	}
	if d := s.deadline(); !d.Equal(s.now) || !s.now.After(before) {
		t.Fatalf("deadline %v after now with services left to start; clock moved by %v", d.Sub(s.now), s.now.Sub(before))
	}
	s.startSome()
	s.handleSignal(unix.SIGTERM)
	s.startSome()
	if s.starting() || svcs[2].run != nil || svcs[3].run != nil {
		t.Fatalf("after the shutdown began: starting=%v, c started=%v, d started=%v", s.starting(), svcs[2].run != nil, svcs[3].run != nil)
	}
	if s.startup.devnull != -1 {
		t.Fatalf("stdin of the runs still open: fd %d", s.startup.devnull)
	}
	expectMessages(t, s,
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID "+itoa(svcs[0].run.pid),
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID "+itoa(svcs[1].run.pid),
		"TS dinit: info: got signal 15, terminating services",
		"TS dinit: warning: shutting down: got signal 15",
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID "+itoa(svcs[0].run.pid),
		"TS dinit: info: b/run: terminating",
		"TS dinit: info: b/run: sending SIGTERM to PID "+itoa(svcs[1].run.pid))
}
