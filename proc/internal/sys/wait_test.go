package sys

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestExitStatus(t *testing.T) {
	tests := []struct {
		st     ExitStatus
		str    string
		failed bool
	}{
		{ExitStatus{Code: 0}, "status 0", false},
		{ExitStatus{Code: 7}, "status 7", true},
		{ExitStatus{Signal: unix.SIGTERM}, "signal 15", true},
	}
	for _, tt := range tests {
		if tt.st.String() != tt.str || tt.st.Failed() != tt.failed {
			t.Errorf("%+v: %q %v", tt.st, tt.st.String(), tt.st.Failed())
		}
	}
}

// waitPeeked polls PeekExited until it returns pid, for at most 5 s.
func waitPeeked(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		got, err := PeekExited(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got == pid {
			return
		}
		if got != 0 {
			t.Fatalf("peek = %d, want %d", got, pid)
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d not seen ended within 5 s", pid)
		}
	}
}

// A real child: peek finds it without reaping, Reap then collects its
// status exactly once.
func TestPeekThenReap(t *testing.T) {
	devnull, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(devnull)
	pid, pidfd, err := Spawn(Spec{Path: "/bin/sh", Dir: "/", Stdin: devnull, Stdout: devnull, Stderr: devnull}, false)
	if err != nil {
		t.Fatal(err)
	}
	if pidfd != -1 {
		t.Fatalf("pidfd %d without asking for one", pidfd)
	}
	// /bin/sh with stdin at EOF exits 0 at once.
	waitPeeked(t, pid)
	if again, _ := PeekExited(nil); again != pid {
		t.Fatalf("peek reaped: second peek = %d", again)
	}
	st, ok := Reap(pid)
	if !ok || st != (ExitStatus{}) {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
	if _, ok := Reap(pid); ok {
		t.Fatal("reaped twice")
	}
}

// Spawn with a pidfd: the signal sent through it ends the process (a shell
// blocked reading a pipe we hold open, so that only the signal can end it),
// the pidfd becomes readable, and the status says which signal it was.
func TestSpawnWithPidfdAndSignal(t *testing.T) {
	if !PidfdSupported() {
		t.Skip("pidfd_open refused here: the fallback path is covered by TestPeekThenReap")
	}
	inR, inW, err := PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(inR, inW)
	devnull, _ := OpenDevNull()
	defer Close(devnull)
	pid, pidfd, err := Spawn(Spec{Path: "/bin/sh", Dir: "/", Stdin: inR, Stdout: devnull, Stderr: devnull}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer Close(pidfd)
	if pidfd < 0 {
		t.Fatal("no pidfd")
	}
	if err := Signal(pid, pidfd, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, 5000); n != 1 || err != nil {
		t.Fatalf("pidfd not readable within 5 s: %d, %v", n, err)
	}
	waitPeeked(t, pid)
	if st, ok := Reap(pid); !ok || st != (ExitStatus{Signal: unix.SIGKILL}) {
		t.Fatalf("reap = %+v, %v; want signal 9", st, ok)
	}
}

func TestSpawnErrorNamesPath(t *testing.T) {
	_, _, err := Spawn(Spec{Path: "/nonexistent/run", Dir: "/"}, false)
	if err == nil || err.Error() != "fork/exec /nonexistent/run: no such file or directory" {
		t.Fatalf("err = %v", err)
	}
}
