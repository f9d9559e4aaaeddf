package proc

import (
	"errors"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// Run ends with close, and main calls os.Exit right after: close must not
// stop catching signals, or a SIGTERM in that window ends dinit with 143
// instead of the exit code it chose. A signal a thread sends to itself
// with tgkill is delivered before tgkill returns (on the way back to user
// space), so this is deterministic: with the runtime's default back, the
// test binary dies of the SIGTERM here; caught, the SIGTERM waits in the
// queue.
func TestSignalsStayCaughtAfterClose(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s, err := newSupervisor(Config{Dir: t.TempDir(), Level: LevelInfo})
	if err != nil {
		t.Fatal(err)
	}
	// The test binary gets its signals back at the end (dinit never does
	// this).
	t.Cleanup(s.sigs.Stop)
	s.close()
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitReadable(t, s.sigs.Fd())
	if got := s.sigs.Take(nil); !slices.Equal(got, []unix.Signal{unix.SIGTERM}) {
		t.Fatalf("queued after close: %v, want [SIGTERM]", got)
	}
}

// waitReadable waits (5 s at most) until fd is readable.
func waitReadable(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 5000)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("not readable within 5 s")
		}
		return
	}
}
