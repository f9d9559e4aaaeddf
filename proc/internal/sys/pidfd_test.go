package sys

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blockedShell spawns /bin/sh reading its commands from a pipe whose write
// end it returns: the shell runs until that end is closed or a signal
// ends it. It is killed and reaped at the end of the test.
func blockedShell(t *testing.T, withPidfd bool) (pid, pidfd, in int) {
	t.Helper()
	r, w, err := PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(r)
	t.Cleanup(func() { Close(w) })
	devnull, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(devnull)
	pid, pidfd, err = Spawn(Spec{Path: "/bin/sh", Dir: "/", Stdin: r, Stdout: devnull, Stderr: devnull}, withPidfd)
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, pid)
	t.Cleanup(func() { Close(pidfd) })
	return pid, pidfd, w
}

// pidMax is a PID no process has (PIDs are below pid_max): a kill by PID
// of it can only fail with ESRCH.
func pidMax(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// By PID: the signal arrives; once the process is reaped, its PID is gone
// and a signal to it is no failure. Signal 0 after the reap: were the PID
// reused meanwhile, nothing would be sent to the newcomer.
func TestSignalByPID(t *testing.T) {
	pid, _, _ := blockedShell(t, false)
	if err := Signal(pid, -1, unix.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	waitExited(t, pid)
	if st, ok := Reap(pid); !ok || st != (ExitStatus{Signal: unix.SIGUSR1}) {
		t.Fatalf("reap = %+v, %v; want signal %d", st, ok, unix.SIGUSR1)
	}
	if err := Signal(pid, -1, 0); err != nil {
		t.Fatalf("signal to a reaped PID: %v, want nil", err)
	}
}

// By pidfd: the signal goes through the pidfd, not the PID (the PID given
// is one no process has), and a pidfd whose process was reaped is no
// failure either.
func TestSignalByPidfd(t *testing.T) {
	if !PidfdSupported() {
		t.Skip("pidfd_open refused here: signals go by PID (TestSignalByPID)")
	}
	pid, pidfd, _ := blockedShell(t, true)
	nobody := pidMax(t)
	if err := Signal(nobody, pidfd, unix.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	waitExited(t, pid)
	if st, ok := Reap(pid); !ok || st != (ExitStatus{Signal: unix.SIGUSR2}) {
		t.Fatalf("reap = %+v, %v; want signal %d", st, ok, unix.SIGUSR2)
	}
	if err := Signal(nobody, pidfd, unix.SIGKILL); err != nil {
		t.Fatalf("signal through the pidfd of a reaped process: %v, want nil", err)
	}
}

// Errors other than "gone" reach the caller: a pidfd that is no pidfd.
func TestSignalReturnsOtherErrors(t *testing.T) {
	devnull, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(devnull)
	if err := Signal(pidMax(t), devnull, unix.SIGKILL); !errors.Is(err, unix.EBADF) {
		t.Fatalf("signal through /dev/null: %v, want EBADF", err)
	}
}

// Signal 0 to every process we may signal sends nothing and fails not.
func TestSignalAllZero(t *testing.T) {
	if err := SignalAll(0); err != nil {
		t.Fatal(err)
	}
}

// In a fresh process: after BecomeSubreaper, the flag is set, and a
// grandchild whose parent ended is ours.
func TestBecomeSubreaper(t *testing.T) {
	if got := runChild(t, "subreaper"); got != "subreaper 1\nadopted sleep\n" {
		t.Fatalf("child said %q", got)
	}
}

// subreaperChild runs in the child: it becomes a subreaper, starts a shell
// that leaves a sleep behind, and finds the sleep among its children.
func subreaperChild() string {
	if err := BecomeSubreaper(); err != nil {
		return err.Error() + "\n"
	}
	var flag int32
	if err := unix.Prctl(unix.PR_GET_CHILD_SUBREAPER, uintptr(unsafe.Pointer(&flag)), 0, 0, 0); err != nil {
		return err.Error() + "\n"
	}
	out := "subreaper " + strconv.Itoa(int(flag)) + "\n"
	sh, err := startChild("/bin/sh", "-c", "/bin/sleep 60 &")
	if err != nil {
		return out + err.Error() + "\n"
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(sh, &ws, 0, nil); err != nil {
		return out + err.Error() + "\n"
	}
	// The orphan is our child once the shell has ended; it runs sleep once
	// its exec is done.
	var kids []int
	name := ""
	for deadline := time.Now().Add(5 * time.Second); name != "sleep" && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if kids, _ = RealProc.Children(os.Getpid()); len(kids) == 1 {
			_, name = RealProc.Describe(kids[0])
		}
	}
	for _, k := range kids {
		_ = unix.Kill(k, unix.SIGKILL)
		_, _ = unix.Wait4(k, &ws, 0, nil)
	}
	if name != "sleep" {
		return out + "no sleep adopted within 5 s: children " + fmt.Sprint(kids) + "\n"
	}
	return out + "adopted " + name + "\n"
}
