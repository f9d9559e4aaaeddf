package proc

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestExitStatus(t *testing.T) {
	tests := []struct {
		st     exitStatus
		str    string
		failed bool
	}{
		{exitStatus{code: 0}, "status 0", false},
		{exitStatus{code: 7}, "status 7", true},
		{exitStatus{signal: unix.SIGTERM}, "signal 15", true},
	}
	for _, tt := range tests {
		if tt.st.String() != tt.str || tt.st.failed() != tt.failed {
			t.Errorf("%+v: %q %v", tt.st, tt.st.String(), tt.st.failed())
		}
	}
}

// A real child: peek finds it without reaping, reapPID then collects its
// status exactly once.
func TestPeekThenReap(t *testing.T) {
	devnull, err := openDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer closeFds(devnull)
	pid, pidfd, err := spawn(spawnSpec{path: "/bin/sh", dir: "/", stdin: devnull, stdout: devnull, stderr: devnull}, false)
	if err != nil {
		t.Fatal(err)
	}
	if pidfd != -1 {
		t.Fatalf("pidfd %d without asking for one", pidfd)
	}
	// /bin/sh with stdin at EOF exits 0 at once.
	var got int
	for got == 0 {
		if got, err = peekExited(); err != nil {
			t.Fatal(err)
		}
	}
	if got != pid {
		t.Fatalf("peek = %d, want %d", got, pid)
	}
	if again, _ := peekExited(); again != pid {
		t.Fatalf("peek reaped: second peek = %d", again)
	}
	st, ok := reapPID(pid)
	if !ok || st != (exitStatus{}) {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
	if _, ok := reapPID(pid); ok {
		t.Fatal("reaped twice")
	}
}

func TestSpawnWithPidfdAndSignal(t *testing.T) {
	if !pidfdSupported() {
		t.Skip("pidfd_open refused here: the fallback path is covered by TestPeekThenReap")
	}
	devnull, _ := openDevNull()
	defer closeFds(devnull)
	pid, pidfd, err := spawn(spawnSpec{path: "/bin/sleep", dir: "/", stdin: devnull, stdout: devnull, stderr: devnull}, true)
	if err != nil {
		// /bin/sleep needs an argument; it exits 1 at once without one.
		t.Fatal(err)
	}
	defer closeFds(pidfd)
	if pidfd < 0 {
		t.Fatal("no pidfd")
	}
	_ = sendSignal(pid, pidfd, unix.SIGKILL)
	for {
		if got, _ := peekExited(); got == pid {
			break
		}
	}
	if _, ok := reapPID(pid); !ok {
		t.Fatal("not reaped")
	}
}

func TestSpawnErrorNamesPath(t *testing.T) {
	_, _, err := spawn(spawnSpec{path: "/nonexistent/run", dir: "/"}, false)
	if err == nil || err.Error() != "fork/exec /nonexistent/run: no such file or directory" {
		t.Fatalf("err = %v", err)
	}
}
