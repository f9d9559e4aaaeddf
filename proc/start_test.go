package proc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// procLink reads a link of the real /proc (fd/N, cwd).
func procLink(t *testing.T, pid int, name string) string {
	t.Helper()
	target, err := os.Readlink("/proc/" + itoa(pid) + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return target
}

func procFds(t *testing.T, pid int) []string {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	var fds []string
	for _, e := range ents {
		fds = append(fds, e.Name())
	}
	return fds
}

// onlyStdio checks that p holds fds 0, 1, 2 and nothing else. A leaked fd
// stays; sleep's own start-up may hold a file (its locale) open for a
// moment, so a fourth fd is looked at again for a while (bounded).
func onlyStdio(t *testing.T, p *process) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		fds := procFds(t, p.pid)
		if slices.Equal(fds, []string{"0", "1", "2"}) {
			return
		}
		if time.Now().After(deadline) {
			var targets []string
			for _, fd := range fds {
				target, _ := os.Readlink("/proc/" + itoa(p.pid) + "/fd/" + fd)
				targets = append(targets, fd+"="+target)
			}
			t.Fatalf("%s has fds %v", p.label, targets)
		}
		time.Sleep(time.Millisecond)
	}
}

// procEnv is the environment pid started with, without what the shell
// adds itself (PWD, OLDPWD).
func procEnv(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/environ")
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00") {
		if !strings.HasPrefix(kv, "PWD=") && !strings.HasPrefix(kv, "OLDPWD=") {
			env = append(env, kv)
		}
	}
	slices.Sort(env)
	return env
}

// startDir discovers and starts the services of dir (given relative to
// its parent, as a relative DINIT_DIR would be).
func startDir(t *testing.T, s *Supervisor, dir string) []*service {
	t.Helper()
	t.Chdir(filepath.Dir(dir))
	svcs, err := discover(filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	s.services = svcs
	startAll(s)
	return svcs
}

// log/run first, then run, service by service in name order. Each program
// has exactly fds 0, 1, 2 once it runs: run's stdin is /dev/null and its
// stdout is log/run's stdin (a pipe we no longer hold), the other outputs
// are pipes of ours. Working directories are absolute even from a relative
// DINIT_DIR; the environment is ours.
func TestStartAllOrderDescriptorsDirectoriesEnvironment(t *testing.T) {
	sleeper := "#!/bin/sh\nexec sleep 1000\n"
	dir := writeService(t, map[string]string{"b/run": sleeper, "a/run": sleeper, "a/log/run": sleeper, ".x/run": sleeper})
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	s.env = []string{"DINIT_TEST=x y", "PATH=/usr/bin:/bin"}
	sys.MarkInheritedCloexec() // as Run does: nothing the test process inherited may leak
	svcs := startDir(t, s, dir)
	if len(svcs) != 2 || svcs[0].run == nil || svcs[0].log == nil || svcs[1].run == nil {
		t.Fatalf("started: %q", messages(s))
	}
	a, l, b := svcs[0].run, svcs[0].log, svcs[1].run
	expectMessages(t, s,
		"TS dinit: info: a/log: starting",
		"TS dinit: info: a/log: running with PID "+itoa(l.pid),
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID "+itoa(a.pid),
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID "+itoa(b.pid))
	for _, c := range []struct {
		p     *process
		role  role
		label string
	}{{a, roleRun, "a/run"}, {l, roleLog, "a/log"}, {b, roleRun, "b/run"}} {
		if c.p.role != c.role || c.p.label != c.label || s.procs[c.p.pid] != c.p || (s.pidfds != (c.p.pidfd >= 0)) {
			t.Fatalf("%s: %+v", c.label, c.p)
		}
	}
	// Sources: a/log's stdout (as a/run) and stderr, a/run's stderr, b/run's
	// stdout and stderr; plus a pidfd each with pidfds.
	wantReg := 5
	if s.pidfds {
		wantReg += 3
	}
	if s.out.Open() != 5 || s.loop.Registered() != wantReg {
		t.Fatalf("%d sources, %d registrations, want 5, %d", s.out.Open(), s.loop.Registered(), wantReg)
	}
	for _, p := range []*process{a, l, b} {
		waitExec(t, p.pid, "sleep")
		onlyStdio(t, p)
		if env := procEnv(t, p.pid); !slices.Equal(env, s.env) {
			t.Fatalf("%s has environment %q", p.label, env)
		}
	}
	for p, cwd := range map[*process]string{a: filepath.Join(dir, "a"), l: filepath.Join(dir, "a", "log"), b: filepath.Join(dir, "b")} {
		if got := procLink(t, p.pid, "cwd"); got != cwd {
			t.Fatalf("%s runs in %s, want %s", p.label, got, cwd)
		}
	}
	if procLink(t, a.pid, "fd/0") != "/dev/null" || procLink(t, b.pid, "fd/0") != "/dev/null" {
		t.Fatal("run's stdin is not /dev/null")
	}
	relay := procLink(t, a.pid, "fd/1")
	if !strings.HasPrefix(relay, "pipe:") || procLink(t, l.pid, "fd/0") != relay {
		t.Fatalf("a/run's stdout %s is not a/log's stdin %s", relay, procLink(t, l.pid, "fd/0"))
	}
	pipes := map[string]bool{relay: true}
	for _, c := range []struct {
		p  *process
		fd string
	}{{a, "fd/2"}, {l, "fd/1"}, {l, "fd/2"}, {b, "fd/1"}, {b, "fd/2"}} {
		target := procLink(t, c.p.pid, c.fd)
		if !strings.HasPrefix(target, "pipe:") || pipes[target] {
			t.Fatalf("%s %s: %s, want a pipe of its own", c.p.label, c.fd, target)
		}
		pipes[target] = true
	}
	// We hold no end of the relay pipe: a/log sees EOF when a/run ends.
	for _, fd := range procFds(t, os.Getpid()) {
		if target, _ := os.Readlink("/proc/self/fd/" + fd); target == relay {
			t.Fatalf("the test process holds fd %s of the relay pipe", fd)
		}
	}
}

// run's stdout reaches log/run's stdin; log/run's stdout is attributed
// to stage run, its stderr to stage log; a service without a log program
// has its stdout read directly. Ending with 115 starts nothing.
func TestServiceOutputIsAttributed(t *testing.T) {
	dir := writeService(t, map[string]string{
		"a/run":     "#!/bin/sh\necho '{\"n\":1}'\necho run-err >&2\nexit 115\n",
		"a/log/run": "#!/bin/sh\nwhile read -r l; do echo \"{\\\"log\\\":$l}\"; done\necho log-err >&2\n",
		"b/run":     "#!/bin/sh\necho 'not json'\necho '{\"b\":2}'\nexit 115\n",
	})
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Stdout: StdoutJSON})
	killProcsAtEnd(t, s)
	svcs := startDir(t, s, dir)
	a, l, b := itoa(svcs[0].run.pid), itoa(svcs[0].log.pid), itoa(svcs[1].run.pid)
	runToEnd(t, s)
	out := strings.Split(strings.TrimSuffix(stdoutText(s), "\n"), "\n")
	slices.Sort(out)
	sameLines(t, "stdout (sorted)", out, []string{
		`{"b":2,"service":"b","stage":"run","logged":"TS"}`,
		`{"log":{"n":1},"service":"a","stage":"run","logged":"TS"}`,
	})
	got := messages(s)
	if len(got) < 6 {
		t.Fatalf("messages %q", got)
	}
	sameLines(t, "start", got[:6], []string{
		"TS dinit: info: a/log: starting",
		"TS dinit: info: a/log: running with PID " + l,
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID " + a,
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID " + b,
	})
	rest := got[6:]
	slices.Sort(rest)
	sameLines(t, "after the start (sorted)", rest, []string{
		"TS a/log: log-err",
		"TS a/run: run-err",
		"TS dinit: info: a/log: PID " + l + " finished with status 0",
		"TS dinit: info: a/log: relayed 1 line (16 bytes) on stdout, 1 on stderr",
		"TS dinit: info: a/run: PID " + a + " finished and disabled itself",
		"TS dinit: info: a/run: relayed 1 line (8 bytes) on stderr",
		"TS dinit: info: b/run: PID " + b + " finished and disabled itself",
		"TS dinit: info: b/run: relayed 2 lines (17 bytes) on stdout, 0 on stderr; 1 not JSON",
		"TS dinit: warning: b/run: not JSON stdout: not json",
	})
	if s.stopping() || s.exitCode != noReason || !svcs[0].disabled || !svcs[1].disabled {
		t.Fatalf("phase=%d exitCode=%d", s.phase, s.exitCode)
	}
}

// A run that cannot be started is our failure: exit code 1, the services
// already running are stopped, the later ones are not started.
func TestStartFailureStopsEarlierServicesAndSkipsLaterOnes(t *testing.T) {
	sleeper := "#!/bin/sh\nexec sleep 1000\n"
	dir := writeService(t, map[string]string{"a/run": sleeper, "b/run": sleeper, "c/run": sleeper})
	if err := os.Chmod(filepath.Join(dir, "b", "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	svcs := startDir(t, s, dir)
	if svcs[0].run == nil {
		t.Fatalf("a not started: %q", messages(s))
	}
	a := itoa(svcs[0].run.pid)
	expectMessages(t, s,
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID "+a,
		"TS dinit: info: b/run: starting",
		"TS dinit: error: b/run: error running: fork/exec "+filepath.Join(dir, "b", "run")+": permission denied",
		"TS dinit: warning: shutting down: b could not be started",
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID "+a)
	if s.exitCode != ExitFailure || !s.stopping() || svcs[1].run != nil || svcs[2].run != nil {
		t.Fatalf("code=%d phase=%d", s.exitCode, s.phase)
	}
	runToEnd(t, s)
	expectMessages(t, s, "TS dinit: info: a/run: PID "+a+" finished with signal 15")
	if s.exitCode != ExitFailure || s.loop.Registered() != 0 {
		t.Fatalf("code=%d registrations=%d", s.exitCode, s.loop.Registered())
	}
}

// A log program that cannot be started: run is not started either, and
// nothing is left open.
func TestLogProgramNotExecutable(t *testing.T) {
	dir := writeService(t, map[string]string{"web/run": "#!/bin/sh\nexec sleep 1000\n", "web/log/run": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(dir, "web", "log", "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	svcs := startDir(t, s, dir)
	expectMessages(t, s,
		"TS dinit: info: web/log: starting",
		"TS dinit: error: web/log: error running: fork/exec "+filepath.Join(dir, "web", "log", "run")+": permission denied",
		"TS dinit: warning: shutting down: web could not be started")
	if svcs[0].run != nil || svcs[0].log != nil || len(s.procs) != 0 || s.out.Open() != 0 || s.loop.Registered() != 0 {
		t.Fatalf("run=%v log=%v procs=%d open=%d registered=%d", svcs[0].run, svcs[0].log, len(s.procs), s.out.Open(), s.loop.Registered())
	}
	if s.exitCode != ExitFailure || !s.stopping() {
		t.Fatalf("code=%d phase=%d", s.exitCode, s.phase)
	}
}

// run fails after its log program started: the log program sees EOF (no
// end of its stdin pipe is left anywhere) and ends on its own; it is not
// signalled.
func TestRunFailsAfterItsLogProgramStarted(t *testing.T) {
	dir := writeService(t, map[string]string{
		"web/run":     "#!/bin/sh\n",
		"web/log/run": "#!/bin/sh\ncat >/dev/null\necho log-done >&2\n",
	})
	if err := os.Chmod(filepath.Join(dir, "web", "run"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	svcs := startDir(t, s, dir)
	if svcs[0].log == nil {
		t.Fatalf("log not started: %q", messages(s))
	}
	l := itoa(svcs[0].log.pid)
	expectMessages(t, s,
		"TS dinit: info: web/log: starting",
		"TS dinit: info: web/log: running with PID "+l,
		"TS dinit: info: web/run: starting",
		"TS dinit: error: web/run: error running: fork/exec "+filepath.Join(dir, "web", "run")+": permission denied",
		"TS dinit: warning: shutting down: web could not be started")
	start := time.Now()
	runToEnd(t, s)
	expectMessages(t, s,
		"TS web/log: log-done",
		"TS dinit: info: web/log: PID "+l+" finished with status 0",
		"TS dinit: info: web/log: relayed 0 lines (0 bytes) on stdout, 1 on stderr")
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("log program ended after %v", d)
	}
	if s.exitCode != ExitFailure {
		t.Fatalf("code=%d", s.exitCode)
	}
}

// A service directory without run: the start fails like any other.
func TestServiceWithoutRun(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	startDir(t, s, dir)
	expectMessages(t, s,
		"TS dinit: info: web/run: starting",
		"TS dinit: error: web/run: error running: fork/exec "+filepath.Join(dir, "web", "run")+": no such file or directory",
		"TS dinit: warning: shutting down: web could not be started")
	if s.exitCode != ExitFailure || !s.stopping() || s.out.Open() != 0 || len(s.procs) != 0 {
		t.Fatalf("code=%d phase=%d open=%d procs=%d", s.exitCode, s.phase, s.out.Open(), len(s.procs))
	}
}

// A run or log/run whose #! line names a missing interpreter, or ends in
// CRLF, fails with ENOENT like a missing file: the error says which.
func TestServiceShebangHints(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		stage string // whose start fails
		path  string // its file, relative to the service directory
		hint  string
	}{
		{"run without its interpreter", map[string]string{"web/run": "#!/nonexistent/bash\n"},
			"run", "run", "check the #! line: interpreter /nonexistent/bash not found"},
		{"log/run in CRLF", map[string]string{"web/run": "#!/bin/sh\n", "web/log/run": "#!/bin/sh\r\ncat\r\n"},
			"log", "log/run", "check the #! line: CRLF line ending"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeService(t, tt.files)
			s := newUnitSupervisor(t, Config{Level: LevelInfo})
			startDir(t, s, dir)
			expectMessages(t, s,
				"TS dinit: info: web/"+tt.stage+": starting",
				"TS dinit: error: web/"+tt.stage+": error running: fork/exec "+filepath.Join(dir, "web", tt.path)+
					": no such file or directory ("+tt.hint+")",
				"TS dinit: warning: shutting down: web could not be started")
			if s.exitCode != ExitFailure || s.out.Open() != 0 || len(s.procs) != 0 {
				t.Fatalf("code=%d open=%d procs=%d", s.exitCode, s.out.Open(), len(s.procs))
			}
		})
	}
}

// With JSON off, stdout lines go to our stdout as prefixed lines.
func TestServiceOutputWithoutJSON(t *testing.T) {
	dir := writeService(t, map[string]string{"web/run": "#!/bin/sh\necho '{\"a\":1}'\necho 'plain'\necho 'err' >&2\nexit 115\n"})
	s := newUnitSupervisor(t, Config{Level: LevelWarn})
	killProcsAtEnd(t, s)
	startDir(t, s, dir)
	runToEnd(t, s)
	if out := stdoutText(s); out != "TS web/run: {\"a\":1}\nTS web/run: plain\n" {
		t.Fatalf("stdout %q", out)
	}
	expectMessages(t, s, "TS web/run: err")
}
