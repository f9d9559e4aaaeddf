package sys

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	cldExited = 1 // CLD_EXITED
	cldKilled = 2 // CLD_KILLED
)

// Reap takes only an ended child of ours: not init, not ourselves, not a
// child that still runs; then its status, once.
func TestReapOnlyEndedChildren(t *testing.T) {
	for _, pid := range []int{1, os.Getpid()} {
		if st, ok := Reap(pid); ok {
			t.Fatalf("reaped PID %d, not our child: %+v", pid, st)
		}
	}
	pid, _, in := blockedShell(t, false)
	if st, ok := Reap(pid); ok {
		t.Fatalf("reaped a running child: %+v", st)
	}
	writeAll(t, in, "exit 3\n")
	waitExited(t, pid)
	if st, ok := Reap(pid); !ok || st != (ExitStatus{Code: 3}) {
		t.Fatalf("reap = %+v, %v; want status 3", st, ok)
	}
}

// A claim that takes a report (here: reaps the child) keeps it from
// PeekExited; reports it does not take come out as ends.
func TestPeekExitedLeavesClaimedReports(t *testing.T) {
	claimed := kid(t, -1, "/bin/sh", "-c", "exit 4")
	other, _, in := blockedShell(t, false)
	var seen []string
	claim := func(pid int, code int32) bool {
		seen = append(seen, fmt.Sprint(pid == claimed, code))
		if pid != claimed {
			return false
		}
		if st, ok := Reap(pid); !ok || st != (ExitStatus{Code: 4}) {
			t.Errorf("claim's reap = %+v, %v", st, ok)
		}
		return true
	}
	waitExited(t, claimed)
	if got, err := PeekExited(claim); got != 0 || err != nil {
		t.Fatalf("peek = %d, %v; want 0 (the one end was claimed)", got, err)
	}
	Close(in) // the shell reads EOF and exits 0
	waitExited(t, other)
	if got, err := PeekExited(claim); got != other || err != nil {
		t.Fatalf("peek = %d, %v; want %d", got, err, other)
	}
	if want := fmt.Sprint([]string{"true 1", "false 1"}); fmt.Sprint(seen) != want {
		t.Fatalf("claim saw %v, want %v", seen, want)
	}
	if st, ok := Reap(other); !ok || st != (ExitStatus{}) {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
}

// A claim that says a report is its own but leaves it there cannot hold
// PeekExited forever: it gives up, with nothing found.
func TestPeekExitedBoundsAClaimThatTakesNothing(t *testing.T) {
	pid := kid(t, -1, "/bin/sh", "-c", "exit 0")
	waitExited(t, pid)
	calls := 0
	got, err := PeekExited(func(p int, _ int32) bool {
		calls++
		return p == pid
	})
	if got != 0 || err != nil || calls != 64 {
		t.Fatalf("peek = %d, %v after %d calls; want 0, nil after 64", got, err, calls)
	}
	if again, _ := PeekExited(nil); again != pid {
		t.Fatalf("the report is gone: peek = %d", again)
	}
}

// PeekExited finds nothing while our only child runs.
func TestPeekExitedWhileChildRuns(t *testing.T) {
	pid, _, _ := blockedShell(t, false)
	waitState(t, pid, "S")
	if got, err := PeekExited(nil); got != 0 || err != nil {
		t.Fatalf("peek = %d, %v; want 0, nil", got, err)
	}
}

// siginfo of a death by signal: si_status is the signal, si_code
// CLD_KILLED.
func TestSiginfoOfAKill(t *testing.T) {
	pid, _, _ := blockedShell(t, false)
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, pid)
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if ChildPID(&info) != pid || ChildStatus(&info) != 9 || info.Code != cldKilled {
		t.Fatalf("pid %d status %d code %d, want %d, 9, %d", ChildPID(&info), ChildStatus(&info), info.Code, pid, cldKilled)
	}
}

// A WNOHANG wait that finds nothing clears si_pid, whatever was there:
// PeekExited reads that 0 as "nothing ended".
func TestSiginfoOfNothingIsPIDZero(t *testing.T) {
	pid, _, _ := blockedShell(t, false)
	var info unix.Siginfo
	childInfo(&info).pid = 12345
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if got := ChildPID(&info); got != 0 {
		t.Fatalf("si_pid %d after a wait that found nothing", got)
	}
}

// In a fresh process (the test process may have children of other tests):
// no child, then a running one, then an ended one, then none once reaped.
func TestHasChildren(t *testing.T) {
	want := "none: false 0 <nil>\nrunning: true\nended: true\nreaped: false\n"
	if got := runChild(t, "haschildren"); got != want {
		t.Fatalf("child said\n%s\nwant\n%s", got, want)
	}
}

func hasChildrenChild() string {
	peeked, err := PeekExited(nil)
	out := fmt.Sprintln("none:", HasChildren(), peeked, err)
	r, w, err := PlainPipe()
	if err != nil {
		return out + err.Error()
	}
	defer Close(r)
	pid, _, err := Spawn(Spec{Path: "/bin/sh", Dir: "/", Stdin: r, Stdout: 2, Stderr: 2}, false)
	if err != nil {
		return out + err.Error()
	}
	out += fmt.Sprintln("running:", HasChildren())
	Close(w)
	var info unix.Siginfo
	err = unix.EINTR
	for errors.Is(err, unix.EINTR) { // runChild's deadline bounds this wait
		err = unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
	}
	if err != nil {
		return out + err.Error()
	}
	out += fmt.Sprintln("ended:", HasChildren())
	if _, ok := Reap(pid); !ok {
		return out + "not reaped\n"
	}
	return out + fmt.Sprintln("reaped:", HasChildren())
}
