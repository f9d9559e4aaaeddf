//go:build amd64 || arm64

package proc

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// The adopt policy end to end, with the real redirection (package inject,
// whose own tests are in proc/inject): here only what the supervisor makes
// of it. ptrace requests come from the thread that seized, as on dinit's
// locked loop thread: these tests lock theirs.

// lockThread locks the test's goroutine to its thread for the whole test.
func lockThread(t *testing.T) {
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
}

// kidFiles starts argv as a child of the test process with the given
// stdin, stdout and stderr (-1: /dev/null), and makes sure it is gone at
// the end of the test.
func kidFiles(t *testing.T, stdin, stdout, stderr int, argv ...string) int {
	t.Helper()
	devnull, err := sys.OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(devnull)
	files := []uintptr{uintptr(devnull), uintptr(devnull), uintptr(devnull)}
	for i, fd := range []int{stdin, stdout, stderr} {
		if fd >= 0 {
			files[i] = uintptr(fd)
		}
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{Dir: "/", Env: []string{"PATH=/usr/bin:/bin"}, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, pid)
	return pid
}

// waitBlocked waits (5 s at most) until pid runs comm and sleeps in a
// system call.
func waitBlocked(t *testing.T, pid int, comm string) {
	t.Helper()
	n := strconv.Itoa(pid)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		c, _ := os.ReadFile("/proc/" + n + "/comm")
		call, _ := os.ReadFile("/proc/" + n + "/syscall")
		f := strings.Fields(string(call))
		inCall := len(f) > 0 && f[0] != "running" && !strings.HasPrefix(f[0], "-")
		if strings.TrimSpace(string(c)) == comm && sys.RealProc.State(pid, pid) == 'S' && inCall {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never became a sleeping %s", pid, comm)
		}
	}
}

// The orphan's stdout is handled as JSON, its stderr prefixed, both
// attributed sh/<pid>; the lines of its child (inherited stdout) too; its
// end is reaped and starts the shutdown.
func TestAdoptOutputIsLoggedAsNamePid(t *testing.T) {
	lockThread(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, Stdout: StdoutJSON, KillTimeout: time.Second})
	inR, inW := testPipe(t)
	_, oldW := testPipe(t) // where its output went before: nobody reads it
	script := `read x; (echo '{"from":"child"}') & wait; echo "{\"msg\":\"$x\"}"; echo plain; echo oops >&2; exit 0`
	pid := kidFiles(t, inR, oldW, oldW, "/bin/sh", "-c", script)
	waitBlocked(t, pid, "sh")
	s.takeReparented(pid)
	adoptAll(t, s)
	n := strconv.Itoa(pid)
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": adopting reparented child process with PID "+n+": /bin/sh -c "+script)
	if _, err := unix.Write(inW, []byte("hi\n")); err != nil {
		t.Fatal(err)
	}
	runToEnd(t, s)
	want := `{"from":"child","service":"sh","stage":"` + n + `","logged":"TS"}` + "\n" +
		`{"msg":"hi","service":"sh","stage":"` + n + `","logged":"TS"}` + "\n"
	if out := stdoutText(s); out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	// The end and the last lines race (reaping, reading): any order, but
	// the shutdown line right after the end.
	got := messages(s)
	ended := "TS dinit: info: sh/" + n + ": PID " + n + " finished with status 0"
	reason := "TS dinit: warning: shutting down: sh/" + n + ": adopted process PID " + n + " finished with status 0"
	if i := slices.Index(got, ended); i < 0 || i+1 >= len(got) || got[i+1] != reason {
		t.Fatalf("no shutdown line right after the end:\n%s", strings.Join(got, "\n"))
	}
	wantErr := []string{
		ended,
		"TS dinit: info: sh/" + n + ": relayed 3 lines (36 bytes) on stdout, 1 on stderr; 1 not JSON",
		"TS dinit: warning: sh/" + n + ": not JSON stdout: plain",
		reason,
		"TS sh/" + n + ": oops",
	}
	slices.Sort(got)
	if !slices.Equal(got, wantErr) {
		t.Fatalf("stderr:\n%s\nwant (any order):\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
	if !s.stopping() || s.code() != ExitOK {
		t.Fatalf("phase=%d code=%d", s.phase, s.code())
	}
}

// An orphan that ended before we could redirect it: a warning, then the
// reaper collects it as usual.
func TestAdoptOutputOfAZombieWarns(t *testing.T) {
	lockThread(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, Stdout: StdoutJSON, KillTimeout: time.Second})
	pid := kidFiles(t, -1, -1, -1, "/bin/sh", "-c", "exit 4")
	waitExited(t, pid)
	n := strconv.Itoa(pid)
	adoptedProcess(s, pid, "sh")
	adoptAll(t, s)
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": cannot redirect output of PID "+n+": the process has ended (zombie)")
	runToEnd(t, s)
	expectMessages(t, s,
		"TS dinit: info: sh/"+n+": PID "+n+" finished with status 4",
		"TS dinit: warning: shutting down: sh/"+n+": adopted process PID "+n+" finished with status 4")
}
