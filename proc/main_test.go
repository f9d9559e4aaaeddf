package proc

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// The main program of `dinit PROGRAM ARGS...` (Config.Main). Most of these
// tests run the supervisor's whole life through run() (discover, the start
// order, the turns, the exit code): they reap, so they do not run in
// parallel. run() registers the test process as a subreaper (we are not PID
// 1); wholeRun undoes it at the end of the test.

// shMain is a main program `sh -c script`, named sh.
func shMain(script string) *Program {
	return &Program{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Name: "sh"}
}

// skipOnTerminal: with a terminal on fd 0 the main program would get our
// stdout and stderr as they are (nothing relayed) and the terminal's
// foreground; `go test` gives its tests /dev/null.
func skipOnTerminal(t *testing.T) {
	t.Helper()
	if sys.IsTerminal(0) {
		t.Skip("fd 0 is a terminal: the main program would take it over")
	}
}

// wholeRun runs s.run() to its end and returns the exit code, within 20 s:
// on a thread of its own (children attach to the thread that forks them;
// Children reads every thread), so that the test can give up. Then it
// kills the children of the test process (the test runs alone: they are
// this run's), and fails once run() returned; if it never does, it panics,
// as the test binary's -timeout would.
func wholeRun(t *testing.T, s *Supervisor) int {
	t.Helper()
	var was int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&was)), 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, uintptr(was), 0, 0, 0) })
	done := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		done <- s.run()
	}()
	select {
	case code := <-done:
		return code
	case <-time.After(20 * time.Second):
	}
	pids, _ := sys.RealProc.Children(os.Getpid())
	for _, pid := range pids {
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	select {
	case <-done:
		t.Fatalf("run did not end within 20 s (its children killed then):\n%s", strings.Join(messages(s), "\n"))
	case <-time.After(5 * time.Second):
		panic("run did not end within 20 s, nor 5 s after its children were killed")
	}
	return 0
}

// subreaperLine is run()'s first line in a test (not PID 1).
func subreaperLine() string {
	return "TS dinit: info: not running as a PID 1, but PID " + itoa(os.Getpid()) + ", registering as a process subreaper"
}

// startedPIDs reads the PIDs of the "running with PID" lines, by label.
func startedPIDs(lines []string) map[string]string {
	pids := map[string]string{}
	re := regexp.MustCompile(`^TS dinit: info: (\S+): running with PID (\d+)$`)
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			pids[m[1]] = m[2]
		}
	}
	return pids
}

// takeLine removes line from lines, which must hold it once, after the
// line after, and returns the rest.
func takeLine(t *testing.T, lines []string, line, after string) []string {
	t.Helper()
	i, a := slices.Index(lines, line), slices.Index(lines, after)
	if i < 0 || i <= a || slices.Index(lines[i+1:], line) >= 0 {
		t.Fatalf("%q not once after %q:\n%s", line, after, strings.Join(lines, "\n"))
	}
	return slices.Delete(slices.Clone(lines), i, i+1)
}

// allGone: every process reaped, every pipe closed and unregistered.
func allGone(t *testing.T, s *Supervisor) {
	t.Helper()
	if len(s.procs) != 0 || s.out.Open() != 0 || s.loop.Registered() != 0 || !s.done() {
		t.Fatalf("left: %d processes, %d sources, %d registrations; done=%v", len(s.procs), s.out.Open(), s.loop.Registered(), s.done())
	}
}

// The main program starts after the services, runs in our working
// directory, and its output is relayed as <name>/run; its end starts the
// shutdown (said at warning), the services get SIGTERM, and its code is
// ours.
func TestMainProgramEndDecidesAndStopsTheServices(t *testing.T) {
	skipOnTerminal(t)
	sleeper := "#!/bin/sh\nexec sleep 1000\n"
	dir := writeService(t, map[string]string{"a/run": sleeper, "b/run": sleeper})
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo,
		Main: shMain(`echo "out $(pwd)"; echo err >&2; exit 5`)})
	if code := wholeRun(t, s); code != 5 {
		t.Fatalf("exit code %d, want 5:\n%s", code, strings.Join(messages(s), "\n"))
	}
	if out := stdoutText(s); out != "TS sh/run: out "+cwd+"\n" {
		t.Fatalf("stdout %q", out)
	}
	lines := messages(s)
	pid := startedPIDs(lines)
	a, b, m := pid["a/run"], pid["b/run"], pid["sh/run"]
	running := "TS dinit: info: sh/run: running with PID " + m
	lines = takeLine(t, lines, "TS sh/run: err", running)
	lines = takeLine(t, lines, "TS dinit: info: sh/run: relayed 1 line ("+itoa(len("out \n")+len(cwd))+" bytes) on stdout, 1 on stderr",
		"TS dinit: warning: shutting down: sh/run: PID "+m+" finished with status 5")
	if len(lines) != 16 {
		t.Fatalf("%d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	slices.Sort(lines[13:15]) // the services' ends: in either order
	sameLines(t, "messages (sh/run's stderr line taken out)", lines, []string{
		subreaperLine(),
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID " + a,
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID " + b,
		"TS dinit: info: sh/run: starting",
		running,
		"TS dinit: info: sh/run: PID " + m + " finished with status 5",
		"TS dinit: warning: shutting down: sh/run: PID " + m + " finished with status 5",
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID " + a,
		"TS dinit: info: b/run: terminating",
		"TS dinit: info: b/run: sending SIGTERM to PID " + b,
		"TS dinit: info: a/run: PID " + a + " finished with signal 15",
		"TS dinit: info: b/run: PID " + b + " finished with signal 15",
		"TS dinit: warning: dinit exiting with status 5",
	})
	allGone(t, s)
}

// A service's end stops the main program first, by SIGTERM (never by a
// terminate file: there is one in our working directory, where the main
// program runs); its death by SIGTERM is our exit code, 143, over the
// service's 3.
func TestServiceEndStopsTheMainProgramFirst(t *testing.T) {
	skipOnTerminal(t)
	dir := writeService(t, map[string]string{
		"a/run": "#!/bin/sh\nexec sleep 1000\n",
		// b ends once the main program runs (bounded: 10 s).
		"b/run": "#!/bin/sh\ni=0\nwhile [ ! -e started ]; do\n\ti=$((i+1))\n\t[ $i -gt 2000 ] && exit 9\n\tsleep 0.005\ndone\nexit 7\n",
	})
	cwd := t.TempDir()
	if err := writeProgram(filepath.Join(cwd, "terminate"), "#!/bin/sh\ntouch terminate-ran\n", 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(cwd)
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo,
		Main: shMain("touch " + filepath.Join(dir, "b", "started") + "; exec sleep 1000")})
	if code := wholeRun(t, s); code != 143 {
		t.Fatalf("exit code %d, want 143:\n%s", code, strings.Join(messages(s), "\n"))
	}
	if out := stdoutText(s); out != "" {
		t.Fatalf("stdout %q", out)
	}
	lines := messages(s)
	pid := startedPIDs(lines)
	a, b, m := pid["a/run"], pid["b/run"], pid["sh/run"]
	if len(lines) != 16 {
		t.Fatalf("%d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	slices.Sort(lines[13:15])
	sameLines(t, "messages", lines, []string{
		subreaperLine(),
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID " + a,
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID " + b,
		"TS dinit: info: sh/run: starting",
		"TS dinit: info: sh/run: running with PID " + m,
		"TS dinit: info: b/run: PID " + b + " finished with status 7",
		"TS dinit: warning: shutting down: b/run: PID " + b + " finished with status 7",
		"TS dinit: info: sh/run: terminating",
		"TS dinit: info: sh/run: sending SIGTERM to PID " + m,
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID " + a,
		"TS dinit: info: a/run: PID " + a + " finished with signal 15",
		"TS dinit: info: sh/run: PID " + m + " finished with signal 15",
		"TS dinit: warning: dinit exiting with status 143",
	})
	if _, err := os.Stat(filepath.Join(cwd, "terminate-ran")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the terminate file of our working directory ran (%v)", err)
	}
	allGone(t, s)
}

// 115 is no special code for the main program: an end like any other.
func TestMainProgramExit115IsAnOrdinaryEnd(t *testing.T) {
	skipOnTerminal(t)
	dir := writeService(t, map[string]string{"a/run": "#!/bin/sh\nexec sleep 1000\n"})
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Main: shMain("exit 115")})
	if code := wholeRun(t, s); code != 115 {
		t.Fatalf("exit code %d, want 115:\n%s", code, strings.Join(messages(s), "\n"))
	}
	lines := messages(s)
	pid := startedPIDs(lines)
	a, m := pid["a/run"], pid["sh/run"]
	sameLines(t, "messages", lines, []string{
		subreaperLine(),
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID " + a,
		"TS dinit: info: sh/run: starting",
		"TS dinit: info: sh/run: running with PID " + m,
		"TS dinit: info: sh/run: PID " + m + " finished with status 115",
		"TS dinit: warning: shutting down: sh/run: PID " + m + " finished with status 115",
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/run: sending SIGTERM to PID " + a,
		"TS dinit: info: a/run: PID " + a + " finished with signal 15",
		"TS dinit: warning: dinit exiting with status 115",
	})
	allGone(t, s)
}

// Dir "": no services, and no "no services found" warning with a main
// program; a main program that ends with 0 is exit code 0 (said at info).
// Without a main program, Dir "" is the empty directory's case.
func TestMainProgramWithoutServices(t *testing.T) {
	skipOnTerminal(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Main: shMain("exit 0")})
	if code := wholeRun(t, s); code != 0 {
		t.Fatalf("exit code %d, want 0:\n%s", code, strings.Join(messages(s), "\n"))
	}
	lines := messages(s)
	m := startedPIDs(lines)["sh/run"]
	sameLines(t, "messages", lines, []string{
		subreaperLine(),
		"TS dinit: info: sh/run: starting",
		"TS dinit: info: sh/run: running with PID " + m,
		"TS dinit: info: sh/run: PID " + m + " finished with status 0",
		"TS dinit: warning: shutting down: sh/run: PID " + m + " finished with status 0",
		"TS dinit: info: dinit exiting with status 0",
	})
	if len(s.services) != 1 || s.services[0].main == nil {
		t.Fatalf("%d services", len(s.services))
	}
	allGone(t, s)

	s = newUnitSupervisor(t, Config{Level: LevelInfo})
	if code := wholeRun(t, s); code != 0 {
		t.Fatalf("no main program, no directory: exit code %d", code)
	}
	expectMessages(t, s,
		subreaperLine(),
		"TS dinit: warning: no services found, exiting",
		"TS dinit: info: dinit exiting with status 0")
}

// A DINIT_DIR that is set but missing is still our failure, main program
// or not: exit code 1, nothing started.
func TestMissingDirWithAMainProgram(t *testing.T) {
	skipOnTerminal(t)
	dir := filepath.Join(t.TempDir(), "missing")
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Main: shMain("exit 0")})
	if code := wholeRun(t, s); code != ExitFailure {
		t.Fatalf("exit code %d, want 1", code)
	}
	expectMessages(t, s,
		subreaperLine(),
		`TS dinit: error: DINIT_DIR "`+dir+`": open `+dir+`: no such file or directory`,
		"TS dinit: warning: dinit exiting with status 1")
	if len(s.services) != 0 || len(s.procs) != 0 {
		t.Fatalf("%d services, %d processes", len(s.services), len(s.procs))
	}
}

// Dir "": discover lists nothing, reads nothing, and fails on nothing.
func TestDiscoverWithoutDir(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug, Main: shMain("exit 0")})
	if svcs, err := s.configuredServices(); svcs != nil || err != nil {
		t.Fatalf("discover = %v, %v", svcs, err)
	}
	s = newUnitSupervisor(t, Config{Dir: filepath.Join(t.TempDir(), "missing"), Main: shMain("exit 0")})
	if _, err := s.configuredServices(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a missing directory: %v", err)
	}
	expectMessages(t, s)
}

// A main program that cannot be started: the shells' codes (127 not
// found, a missing interpreter too; 126 not executable), said at warning;
// the services started before it are stopped.
func TestMainProgramStartFailures(t *testing.T) {
	skipOnTerminal(t)
	for _, tt := range []struct {
		name, content string
		mode          os.FileMode
		err           string
		code          int
	}{
		{"missing", "", 0, "no such file or directory", ExitNotFound},
		{"no interpreter", "#!/nonexistent/sh\n", 0o755,
			"no such file or directory (check the #! line: interpreter /nonexistent/sh not found)", ExitNotFound},
		{"CRLF", "#!/bin/sh\r\nexit 0\r\n", 0o755, "no such file or directory (check the #! line: CRLF line ending)", ExitNotFound},
		{"not executable", "#!/bin/sh\n", 0o644, "permission denied", ExitNotExecutable},
		{"no format", "not a program\n", 0o755, "exec format error", ExitNotExecutable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prog")
			if tt.mode != 0 {
				if err := writeProgram(path, tt.content, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			dir := writeService(t, map[string]string{"a/run": "#!/bin/sh\nexec sleep 1000\n"})
			s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo,
				Main: &Program{Path: path, Args: []string{"./prog", "x"}, Name: "prog"}})
			if code := wholeRun(t, s); code != tt.code {
				t.Fatalf("exit code %d, want %d:\n%s", code, tt.code, strings.Join(messages(s), "\n"))
			}
			lines := messages(s)
			a := startedPIDs(lines)["a/run"]
			sameLines(t, "messages", lines, []string{
				subreaperLine(),
				"TS dinit: info: a/run: starting",
				"TS dinit: info: a/run: running with PID " + a,
				"TS dinit: info: prog/run: starting",
				"TS dinit: error: prog/run: error running: fork/exec " + path + ": " + tt.err,
				"TS dinit: warning: shutting down: prog could not be started",
				"TS dinit: info: a/run: terminating",
				"TS dinit: info: a/run: sending SIGTERM to PID " + a,
				"TS dinit: info: a/run: PID " + a + " finished with signal 15",
				"TS dinit: warning: dinit exiting with status " + itoa(tt.code),
			})
			allGone(t, s)
		})
	}
}

// kcmpFile is kcmp's KCMP_FILE: do two descriptors share one open file
// description?
const kcmpFile = 0

// sameFile reports whether fd a of process pa and fd b of pb are one open
// file description (kcmp), or an error when kcmp cannot tell.
func sameFile(pa, a, pb, b int) (bool, error) {
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(pa), uintptr(pb), kcmpFile, uintptr(a), uintptr(b), 0)
	if errno != 0 {
		return false, errno
	}
	return r == 0, nil
}

// startMain gives the main program our stdin as it is: fd 0 of ours, not
// a /dev/null of its own (`go test` gives us /dev/null too, so the links
// alone cannot tell: kcmp compares the open file descriptions). Off a
// terminal, its stdout and stderr are pipes of ours, its argv is Args,
// run from Path, in our working directory, in a process group of its own,
// with nothing but fds 0, 1, 2.
//
// The /dev/null fallback (fd 0 closed) is not tested: the Go runtime opens
// /dev/null on a closed fd 0, 1 or 2 at start-up (runtime.checkfds), so
// only closing our own fd 0 during the test would reach it.
func TestMainProgramGetsOurStdin(t *testing.T) {
	t.Parallel()
	skipOnTerminal(t)
	prog := &Program{Path: "/bin/sleep", Args: []string{"main-sleeper", "1000"}, Name: "main-sleeper"}
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Main: prog})
	killProcsAtEnd(t, s)
	sys.MarkInheritedCloexec() // as Run does
	main := &service{name: prog.Name, main: prog}
	s.services = []*service{main}
	startAll(s)
	if main.run == nil {
		t.Fatalf("not started: %q", messages(s))
	}
	pid := main.run.pid
	expectMessages(t, s,
		"TS dinit: info: main-sleeper/run: starting",
		"TS dinit: info: main-sleeper/run: running with PID "+itoa(pid))
	ours, err := os.Readlink("/proc/self/fd/0")
	if err != nil {
		t.Fatal(err)
	}
	if got := procLink(t, pid, "fd/0"); got != ours {
		t.Fatalf("its stdin is %s, ours %s", got, ours)
	}
	same, err := sameFile(pid, 0, os.Getpid(), 0)
	switch {
	case err != nil:
		t.Logf("kcmp: %v: only the links compared", err)
	case !same:
		t.Fatal("its stdin is not our fd 0 (another open of " + ours + ")")
	}
	for fd := 1; fd <= 2; fd++ {
		link := procLink(t, pid, "fd/"+itoa(fd))
		if !strings.HasPrefix(link, "pipe:") {
			t.Fatalf("its fd %d is %s, not a pipe of ours", fd, link)
		}
		if same, err := sameFile(pid, fd, os.Getpid(), fd); err == nil && same {
			t.Fatalf("its fd %d is ours, not a pipe of ours", fd)
		}
	}
	if s.out.Open() != 2 {
		t.Fatalf("%d sources, want 2 (its stdout and stderr)", s.out.Open())
	}
	waitExec(t, pid, "main-sleeper")
	if b, err := os.ReadFile("/proc/" + itoa(pid) + "/cmdline"); err != nil || string(b) != "main-sleeper\x001000\x00" {
		t.Fatalf("command line %q (%v)", b, err)
	}
	if exe := procLink(t, pid, "exe"); filepath.Base(exe) != "sleep" {
		t.Fatalf("it runs %s", exe)
	}
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if got := procLink(t, pid, "cwd"); got != cwd {
		t.Fatalf("its working directory is %s, ours %s", got, cwd)
	}
	if pgid, err := unix.Getpgid(pid); err != nil || pgid != pid {
		t.Fatalf("its process group is %d (%v), want its own", pgid, err)
	}
	onlyStdio(t, main.run)
	if s.startup.devnull != -1 || s.starting() {
		t.Fatalf("startup left: devnull %d, starting %v", s.startup.devnull, s.starting())
	}
}
