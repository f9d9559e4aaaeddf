//go:build !amd64 && !arm64

package proc

import (
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Without injection (every architecture but amd64 and arm64) an orphan is
// adopted with its output left where it was: a warning names the
// architecture, and the process is waited for as usual.
func TestAdoptWithoutRedirectionWarns(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, Stdout: StdoutJSON, KillTimeout: time.Second})
	pid := kid(t, -1, "/bin/sleep", "1000")
	waitExec(t, pid, "sleep")
	s.takeReparented(pid)
	n := itoa(pid)
	want := "TS dinit: warning: sleep/" + n + ": cannot redirect output of PID " + n +
		": redirecting output is not supported on " + runtime.GOARCH
	if got := messages(s); !slices.Contains(got, want) {
		t.Fatalf("messages:\n%s\nwant among them:\n%s", strings.Join(got, "\n"), want)
	}
	if p := s.procs[pid]; p == nil || p.role != roleAdopted {
		t.Fatalf("not adopted: %+v", p)
	}
	_ = unix.Kill(pid, unix.SIGTERM)
	runToEnd(t, s)
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": PID "+n+" finished with signal 15")
}
