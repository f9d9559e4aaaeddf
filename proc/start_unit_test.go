package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runToEnd drives the loop until every source is at EOF and every tracked
// process has ended and been reaped (without a signal source: reaping is
// asked for directly).
func runToEnd(t *testing.T, s *Supervisor) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.out.open > 0 || len(s.procs) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("still %d sources, %d processes", s.out.open, len(s.procs))
		}
		if _, err := s.loop.Poll(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		s.tick()
		for s.out.hasReady() {
			s.out.readTurn()
		}
		s.reap()
	}
}

func writeService(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
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
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, JSON: true})
	markInheritedCloexec() // as Run does: nothing the test process inherited may leak
	svcs, _ := discover(dir)
	s.services = svcs
	s.startAll()
	svc := svcs[0]
	logPID, runPID := svc.log.pid, svc.run.pid
	runToEnd(t, s)
	out := tsRe.ReplaceAllString(string(s.out.stdout.buf), "TS")
	want := `{"via":"cwd=` + filepath.Join(dir, "web") + `","service":"web","stage":"run","logged":"TS"}` + "\n"
	if out != want {
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
	dir := writeService(t, map[string]string{"a/run": "#!/bin/sh\nexit 0\n", "b/run": "#!/bin/sh\nexit 0\n"})
	if err := os.Chmod(filepath.Join(dir, "a", "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo})
	svcs, _ := discover(dir)
	s.services = svcs
	s.startAll()
	expectMessages(t, s,
		"TS dinit: info: a/run: starting",
		"TS dinit: error: a/run: error running: fork/exec "+filepath.Join(dir, "a", "run")+": permission denied")
	if s.exitCode != ExitFailure || !s.shutting || svcs[1].run != nil || s.out.open != 0 || len(s.procs) != 0 {
		t.Fatalf("code %d shutting %v b started %v open %d procs %d", s.exitCode, s.shutting, svcs[1].run != nil, s.out.open, len(s.procs))
	}
}

func TestAllEnded(t *testing.T) {
	s := newUnitSupervisor(t, Config{})
	if !s.allEnded() {
		t.Fatal("nothing left, yet not ended")
	}
	s.procs[1] = &process{}
	if s.allEnded() {
		t.Fatal("ended with a process left")
	}
	delete(s.procs, 1)
	s.out.open = 1
	if s.allEnded() {
		t.Fatal("ended with a source open")
	}
	s.out.open = 0
	s.reparent.pending = map[int]time.Time{5: s.now}
	if s.allEnded() {
		t.Fatal("ended with a reparented process pending")
	}
}

// A child of ours we do not track (a reparented one not yet seen) keeps
// us from ending and asks for a reap and a scan.
func TestAllEndedSeesUnknownChildren(t *testing.T) {
	s := newUnitSupervisor(t, Config{})
	child(t, "/bin/sleep", "1000")
	if s.allEnded() {
		t.Fatal("ended while a child runs")
	}
	if !s.reapNeeded || !s.reparent.due.Equal(s.now) {
		t.Fatal("no reap or scan asked for")
	}
}

func TestBrokenStdoutIsReportedOnce(t *testing.T) {
	o := testOutput(LevelWarn, true)
	errFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	o.stderr.fd = int(errFile.Fd())
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	closeFds(p[0])
	defer closeFds(p[1])
	o.stdout = &sink{fd: p[1], mode: modeWrite}
	o.stdout.buf = []byte("x\n")
	o.flush()
	o.stdout.buf = []byte("y\n")
	o.flush()
	o.flush()
	b, _ := os.ReadFile(errFile.Name())
	got := tsRe.ReplaceAllString(string(b), "TS")
	if got != "TS dinit: error: writing to stdout: broken pipe; discarding stdout from now on\n" {
		t.Fatalf("stderr %q", got)
	}
}

func TestMarkInheritedCloexec(t *testing.T) {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0) // no O_CLOEXEC
	if err != nil {
		t.Fatal(err)
	}
	defer closeFds(fd)
	markInheritedCloexec()
	flags, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if flags&unix.FD_CLOEXEC == 0 {
		t.Fatal("an inherited fd stays open across exec")
	}
}

// The services start a slice per turn (here one service per slice): the
// loop waits for nothing while some are left, and a shutdown between two
// slices (a SIGTERM during a long startup) leaves the rest unstarted. The
// clock is read for each start.
func TestStartupInSlices(t *testing.T) {
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
	s.services, s.startup.queue, s.startup.slice = svcs, svcs, 0
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
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID "+itoa(svcs[0].run.pid),
		"TS dinit: info: b/run: terminating",
		"TS dinit: info: b/run: sending SIGTERM to PID "+itoa(svcs[1].run.pid))
}
