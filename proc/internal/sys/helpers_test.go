package sys

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers of the sys tests. Tests that wait for any child (PeekExited,
// HasChildren) must not run in parallel with tests that start children:
// those never call t.Parallel, and parallel tests start none.

// kid starts argv as a child of the test process, stdin on the given fd
// (-1: /dev/null), stdout and stderr on /dev/null, and makes sure it is
// gone at the end of the test.
func kid(t *testing.T, stdin int, argv ...string) int {
	t.Helper()
	devnull, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(devnull)
	if stdin < 0 {
		stdin = devnull
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{"PATH=/usr/bin:/bin"},
		Files: []uintptr{uintptr(stdin), uintptr(devnull), uintptr(devnull)},
	})
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, pid)
	return pid
}

// reapAtEnd kills and reaps pid at the end of the test, unless the test
// reaped it already: then its PID may belong to someone else by now and is
// never signalled.
func reapAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() { killChild(pid) })
}

func killChild(pid int) {
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		return // ECHILD: not (or no longer) our child
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// waitExited waits (bounded) until pid has ended, without reaping it.
func waitExited(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
			t.Fatalf("waiting for PID %d: %v", pid, err)
		}
		if ChildPID(&info) == pid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d still runs", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitState waits (bounded) until pid's state in the real /proc is one
// of states.
func waitState(t *testing.T, pid int, states string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st := RealProc.State(pid, pid)
		for i := range len(states) {
			if st == states[i] {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d in state %q, want one of %q", pid, st, states)
		}
	}
}

// fdFlags returns fd's descriptor flags (FD_CLOEXEC) and file status
// flags (O_NONBLOCK, access mode).
func fdFlags(t *testing.T, fd int) (fdfl, fl int) {
	t.Helper()
	fdfl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatalf("F_GETFD %d: %v", fd, err)
	}
	fl, err = unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatalf("F_GETFL %d: %v", fd, err)
	}
	return fdfl, fl
}

// procPath is a path under the real /proc of pid.
func procPath(pid int, name string) string {
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}

// childEnv names the role the test binary plays when a test re-executes it
// (runChild): what it checks runs in a fresh process, so that it changes
// nothing of the test process (subreaper, cloexec flags) and sees no child
// of another test.
const childEnv = "DINIT_SYS_TEST_CHILD"

// childRoles are the roles: each prints what it found on stdout.
var childRoles = map[string]func() string{
	"cloexec":     cloexecChild,
	"subreaper":   subreaperChild,
	"haschildren": hasChildrenChild,
}

func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		f, ok := childRoles[role]
		if !ok {
			os.Stdout.WriteString("unknown role " + role + "\n")
			os.Exit(2)
		}
		os.Stdout.WriteString(f())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runChild runs the test binary in role, with extra as its fds 3 and up,
// and returns what it printed; it must end within 10 s.
func runChild(t *testing.T, role string, extra ...*os.File) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	// Under -race, a process waits 1 s at exit unless told otherwise.
	race := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), childEnv+"="+role, "GORACE="+race)
	cmd.ExtraFiles = extra
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child %s: %v; stdout %q, stderr %q", role, err, out, stderr.String())
	}
	return string(out)
}

// startChild starts argv with stdio on /dev/null, outside of any test.
func startChild(argv ...string) (int, error) {
	devnull, err := OpenDevNull()
	if err != nil {
		return 0, err
	}
	defer Close(devnull)
	return syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   "/",
		Files: []uintptr{uintptr(devnull), uintptr(devnull), uintptr(devnull)},
	})
}

// writeAll writes s to fd, which must take it.
func writeAll(t *testing.T, fd int, s string) {
	t.Helper()
	for len(s) > 0 {
		n, err := unix.Write(fd, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		s = s[n:]
	}
}
