//go:build amd64 || arm64

package inject

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Claim, the reaper's hook, for each kind of report.

// ptZombie starts a child that exits with code at once and waits until it
// is a zombie (not collected).
func ptZombie(t *testing.T, code string) int {
	t.Helper()
	pid := ptStart(t, -1, -1, -1, "/bin/sh", "-c", "exit "+code)
	ptWaitState(t, pid, 'Z')
	return pid
}

// The end of a PID that is neither being worked on nor adrift is the
// reaper's: not claimed, not collected.
func TestClaimLeavesOtherEndsToTheReaper(t *testing.T) {
	ptLock(t)
	pid := ptZombie(t, "3")
	for _, code := range []int32{ptCldExited, ptCldKilled, ptCldDumped} {
		if Claim(pid, code) {
			t.Fatalf("code %d: claimed", code)
		}
	}
	if len(ptAdrift) != 0 || len(ptActive) != 0 {
		t.Fatalf("%d adrift, %d parked", len(ptAdrift), len(ptActive))
	}
	if st, ok := sys.Reap(pid); !ok || st.Code != 3 {
		t.Fatalf("reap = %+v, %v; want status 3", st, ok)
	}
}

// A stop reported for a process we do not trace (or that did not stop
// after all) is taken, and nothing is done to it.
func TestClaimOfAStopOfAnUntracedProcess(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	for _, code := range []int32{ptCldTrapped, ptCldStopped} {
		if !Claim(pid, code) {
			t.Fatalf("code %d: a stop was not claimed", code)
		}
	}
	if len(ptAdrift) != 0 || procState(pid, pid) != 'S' || ptTracerOf(pid) != 0 {
		t.Fatalf("%d adrift, state %c, tracer %d", len(ptAdrift), procState(pid, pid), ptTracerOf(pid))
	}
	if Claim(noPID, ptCldTrapped) != true || len(ptAdrift) != 0 {
		t.Fatal("a stop of no process")
	}
}

// The end of an adrift tracee: ours to collect unless it is our child.
func TestClaimOfTheEndOfAnAdriftTracee(t *testing.T) {
	ptLock(t)
	for _, child := range []bool{true, false} {
		pid := ptZombie(t, "4")
		ptAdrift[pid] = &ptTracee{tgid: pid, tid: pid, child: child}
		if got := Claim(pid, ptCldExited); got == child {
			t.Fatalf("child %v: claimed %v", child, got)
		}
		if len(ptAdrift) != 0 {
			t.Fatalf("child %v: still adrift", child)
		}
		// Our child is left for the reaper; another's end was collected
		// here (the kernel then tells its real parent).
		if st, ok := sys.Reap(pid); ok != child || child && st.Code != 4 {
			t.Fatalf("child %v: reap = %+v, %v", child, st, ok)
		}
	}
}

// The end of a tracee we are working on (parked): marked gone, ours to
// collect unless it is our child.
func TestClaimOfTheEndOfAParkedTracee(t *testing.T) {
	ptLock(t)
	for _, child := range []bool{true, false} {
		pid := ptZombie(t, "5")
		tr := &ptTracee{tgid: pid, tid: pid, child: child}
		ptActive[pid] = tr
		got := Claim(pid, ptCldKilled)
		delete(ptActive, pid) // its release's
		if got == child || !tr.gone {
			t.Fatalf("child %v: claimed %v, gone %v", child, got, tr.gone)
		}
		if st, ok := sys.Reap(pid); ok != child || child && st.Code != 5 {
			t.Fatalf("child %v: reap = %+v, %v", child, st, ok)
		}
	}
}

// ptSeizeStopped seizes pid and stops it, by hand.
func ptSeizeStopped(t *testing.T, pid int) {
	t.Helper()
	if err := ptraceV(unix.PTRACE_SEIZE, pid, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := ptraceV(unix.PTRACE_INTERRUPT, pid, 0, 0); err != nil {
		t.Fatal(err)
	}
	ptWaitState(t, pid, 't')
}

// A stop of a parked tracee is consumed (a stop left there would hide
// every other child's end from the reaper) and kept for its switch.
func TestClaimKeepsTheStopOfAParkedTracee(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	ptSeizeStopped(t, pid)
	tr := &ptTracee{tgid: pid, tid: pid, child: true, park: func() bool { return true }}
	ptActive[pid] = tr
	if !Claim(pid, ptCldTrapped) {
		t.Fatal("not claimed")
	}
	if tr.stashed != (ptReport{kind: ptInterrupt, ok: true}) {
		t.Fatalf("stashed %+v; want the interrupt stop", tr.stashed)
	}
	if got, err := sys.PeekExited(nil); got != 0 || err != nil {
		t.Fatalf("the stop is still there: PeekExited = %d, %v", got, err)
	}
	kind, sig, ok, err := tr.pollStop()
	if kind != ptInterrupt || sig != 0 || !ok || err != nil || tr.stashed.ok {
		t.Fatalf("pollStop = %d, %v, %v, %v; stashed %+v", kind, sig, ok, err, tr.stashed)
	}
	tr.at = kind
	tr.release()
	if len(ptActive) != 0 || len(ptAdrift) != 0 {
		t.Fatalf("%d parked, %d adrift after the release", len(ptActive), len(ptAdrift))
	}
	expectUntouched(t, pid, 'S')
}

// The stop of an adrift tracee, seen by the reaper, lets it go.
func TestClaimOfAStopOfAnAdriftTracee(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	ptSeizeStopped(t, pid)
	ptAdrift[pid] = &ptTracee{tgid: pid, tid: pid, child: true}
	if !Claim(pid, ptCldTrapped) {
		t.Fatal("not claimed")
	}
	expectUntouched(t, pid, 'S')
}

// A tracee stopped but neither parked nor adrift (left stopped by
// accident) is never kept stopped: the reaper's peek detaches it.
func TestClaimDetachesAForgottenTracee(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	ptSeizeStopped(t, pid)
	if !Claim(pid, ptCldTrapped) {
		t.Fatal("not claimed")
	}
	expectUntouched(t, pid, 'S')
}
