//go:build amd64 || arm64

package inject

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// The scheduling of a redirection's steps, on hand-built Redirections.

// noPID is never a process: above the kernel's PID_MAX_LIMIT (4 Mi).
const noPID = 1 << 30

var t0 = time.Date(2026, 11, 28, 13, 57, 31, 0, time.UTC)

// handBuilt is a Redirection of root with nothing prepared (no targets,
// no courier): enough for its scheduling.
func handBuilt(root int) *Redirection {
	return &Redirection{root: root, seen: map[int]bool{root: true}, maxTries: redirectTries, parking: true}
}

// A transient failure is tried again later, up to redirectTries times in
// all: 10 ms after the first attempt, then 40, 160, 640 and 2560 ms after
// the previous one. The last failure is the root's: returned.
func TestSettleRetriesWithBackoff(t *testing.T) {
	for _, err := range []error{errPtTimeout, errPtBudget, errPtBusy, errPtAdrift, errPtWriting} {
		r := handBuilt(100)
		st := redirectStep{pid: 100, start: 7}
		now := t0
		var waits []time.Duration
		for st.tries = 1; st.tries < redirectTries; st.tries++ {
			if pid, got := r.settle(st, err, now); pid != 0 || got != nil {
				t.Fatalf("%v, try %d: settle = %d, %v; want a retry", err, st.tries, pid, got)
			}
			if len(r.steps) != 1 || r.steps[0].pid != 100 || r.steps[0].start != 7 || r.steps[0].tries != st.tries {
				t.Fatalf("%v, try %d: steps %+v", err, st.tries, r.steps)
			}
			waits = append(waits, r.steps[0].due.Sub(now))
			now = r.steps[0].due
			r.steps = nil
		}
		want := []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 160 * time.Millisecond,
			640 * time.Millisecond, 2560 * time.Millisecond}
		if !slices.Equal(waits, want) {
			t.Fatalf("%v: waits %v, want %v", err, waits, want)
		}
		if pid, got := r.settle(st, err, now); pid != 100 || got != err || r.steps != nil {
			t.Fatalf("%v, last try: settle = %d, %v, steps %+v; want the root's failure", err, pid, got, r.steps)
		}
	}
}

// A retried step goes back at the end, behind the steps already queued.
func TestSettleQueuesARetryLast(t *testing.T) {
	r := handBuilt(100)
	r.steps = []redirectStep{{pid: 201}, {pid: 202}}
	if pid, err := r.settle(redirectStep{pid: 203, tries: 2}, fmt.Errorf("wrapped: %w", errPtAdrift), t0); pid != 0 || err != nil {
		t.Fatalf("settle = %d, %v", pid, err)
	}
	got := []int{r.steps[0].pid, r.steps[1].pid, r.steps[2].pid}
	if !slices.Equal(got, []int{201, 202, 203}) || !r.steps[2].due.Equal(t0.Add(40*time.Millisecond)) {
		t.Fatalf("steps %+v", r.steps)
	}
}

// The root's failure drops the descendants still to do: their copies
// would fail the same way.
func TestSettleRootFailureDropsTheRest(t *testing.T) {
	for _, err := range []error{errPtSandbox, errPtStrict, errPtABI, errPtZombie, errNoOutput, unix.EPERM} {
		r := handBuilt(100)
		r.steps = []redirectStep{{pid: 201}, {pid: 202}}
		if pid, got := r.settle(redirectStep{pid: 100, tries: 1}, err, t0); pid != 100 || got != err {
			t.Fatalf("settle = %d, %v; want 100, %v", pid, got, err)
		}
		if r.Pending() || r.switched != 0 {
			t.Fatalf("%v: steps %+v, %d switched after the root failed", err, r.steps, r.switched)
		}
	}
}

// A descendant that ended or closed its copies meanwhile is no failure; any
// other reason is returned with its PID, and the other steps go on.
func TestSettleDescendantFailures(t *testing.T) {
	cases := []struct {
		err     error
		wantPID int
	}{
		{errPtZombie, 0},
		{errPtGone, 0},
		{errNoOutput, 0},
		{fmt.Errorf("step: %w", errPtGone), 0},
		{errPtSandbox, 201},
		{errPtStrict, 201},
		{errPtNoInsn, 201},
		{errPtAborted, 201},
		{errors.New("it is already traced by PID 9"), 201},
		{errPtTimeout, 201}, // on the last try
	}
	for _, c := range cases {
		r := handBuilt(100)
		r.steps = []redirectStep{{pid: 202}}
		pid, err := r.settle(redirectStep{pid: 201, tries: redirectTries}, c.err, t0)
		wantErr := c.err
		if c.wantPID == 0 {
			wantErr = nil
		}
		if pid != c.wantPID || err != wantErr {
			t.Errorf("%v: settle = %d, %v; want %d, %v", c.err, pid, err, c.wantPID, wantErr)
		}
		if len(r.steps) != 1 || r.steps[0].pid != 202 || r.switched != 0 {
			t.Errorf("%v: steps %+v, %d switched", c.err, r.steps, r.switched)
		}
	}
}

// Which failures are worth a retry, and which are a quiet end.
func TestTransientAndQuietEnds(t *testing.T) {
	all := []error{errPtZombie, errPtGone, errPtTimeout, errPtBudget, errPtAdrift, errPtWriting, errPtAborted,
		errPtStrict, errPtSandbox, errPtABI, errPtNoInsn, errPtBusy, errNoOutput, unix.ESRCH}
	var transient, quiet []error
	for _, err := range all {
		if isTransient(fmt.Errorf("x: %w", err)) {
			transient = append(transient, err)
		}
		if isQuietEnd(fmt.Errorf("x: %w", err)) {
			quiet = append(quiet, err)
		}
	}
	if want := []error{errPtTimeout, errPtBudget, errPtAdrift, errPtWriting, errPtBusy}; !slices.Equal(transient, want) {
		t.Errorf("transient %v, want %v", transient, want)
	}
	if want := []error{errPtZombie, errPtGone, errNoOutput}; !slices.Equal(quiet, want) {
		t.Errorf("quiet ends %v, want %v", quiet, want)
	}
}

// A switched process counts, and its children are queued once each (one
// forked before the switch holds the old descriptors), with their start
// times, up to maxDescendants.
func TestSettleQueuesChildrenOnce(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sh", "-c", "sleep 1000 & sleep 1000 & wait")
	var kids []int
	for deadline := time.Now().Add(5 * time.Second); len(kids) != 2; time.Sleep(time.Millisecond) {
		kids, _ = procfs.Children(pid)
		if time.Now().After(deadline) {
			t.Fatalf("children %v", kids)
		}
	}
	for _, k := range kids {
		defer unix.Kill(k, unix.SIGKILL)
	}
	r := handBuilt(pid)
	if got, err := r.settle(redirectStep{pid: pid, tries: 1}, nil, t0); got != pid || err != nil {
		t.Fatalf("settle = %d, %v", got, err)
	}
	if r.Processes() != 1 || len(r.steps) != 2 {
		t.Fatalf("%d switched, steps %+v", r.Processes(), r.steps)
	}
	for i, st := range r.steps {
		if st.pid != kids[i] || st.start != procfs.StartTime(kids[i]) || st.start == 0 || st.tries != 0 || !st.due.IsZero() {
			t.Fatalf("step %d: %+v; want PID %d due now", i, st, kids[i])
		}
	}
	r.addChildren(pid) // seen already
	if len(r.steps) != 2 {
		t.Fatalf("children queued twice: %+v", r.steps)
	}
	r = handBuilt(pid)
	for i := range maxDescendants {
		r.seen[-1-i] = true
	}
	r.addChildren(pid)
	if len(r.steps) != 0 {
		t.Fatalf("more than %d descendants: %+v", maxDescendants, r.steps)
	}
}

// Due is the earliest due step, or the next poll of a parked switch; a
// kick makes a parked switch due now and nothing else.
func TestDueAndKick(t *testing.T) {
	r := handBuilt(100)
	r.steps = []redirectStep{{pid: 1, due: t0.Add(3 * time.Second)}, {pid: 2, due: t0.Add(time.Second)}, {pid: 3, due: t0.Add(2 * time.Second)}}
	if d := r.Due(); !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("Due = %v after t0", d.Sub(t0))
	}
	r.Kick(t0.Add(100 * time.Millisecond))
	if d := r.Due(); !d.Equal(t0.Add(time.Second)) {
		t.Fatalf("a kick without a parked switch moved Due to %v after t0", d.Sub(t0))
	}
	r.resume = func() (struct{}, bool) { return struct{}{}, true }
	r.parkedAt = t0
	if d := r.Due(); !d.Equal(t0.Add(parkPoll)) || !r.Pending() {
		t.Fatalf("parked: Due = %v after t0, pending %v; want %v", d.Sub(t0), r.Pending(), parkPoll)
	}
	r.Kick(t0.Add(time.Millisecond))
	if d := r.Due(); !d.Equal(t0.Add(time.Millisecond)) {
		t.Fatalf("kicked: Due = %v after t0, want 1ms", d.Sub(t0))
	}
	r.steps = nil
	if !r.Pending() {
		t.Fatal("a parked switch is pending")
	}
	r.resume = nil
	if r.Pending() {
		t.Fatal("nothing left, yet pending")
	}
}

// firstDue takes the steps in order: the first whose due time has come,
// not the earliest.
func TestFirstDue(t *testing.T) {
	r := handBuilt(100)
	r.steps = []redirectStep{{pid: 1, due: t0.Add(time.Second)}, {pid: 2, due: t0}, {pid: 3, due: t0.Add(-time.Second)}}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{-2 * time.Second, -1}, {-time.Second, 2}, {0, 1}, {time.Second, 0}} {
		if got := r.firstDue(t0.Add(c.at)); got != c.want {
			t.Errorf("at %v: firstDue = %d, want %d", c.at, got, c.want)
		}
	}
}

// A step before anything is due does nothing.
func TestStepWhenNothingIsDue(t *testing.T) {
	r := handBuilt(noPID)
	r.steps = []redirectStep{{pid: noPID, due: t0.Add(time.Second)}}
	if pid, err := r.Step(t0); pid != 0 || err != nil || len(r.steps) != 1 || r.steps[0].tries != 0 || r.resume != nil {
		t.Fatalf("Step = %d, %v; steps %+v", pid, err, r.steps)
	}
}

// A root that is gone is given up on at its first step, with or without
// parking (the switch ends before it would park).
func TestStepOfAGoneRoot(t *testing.T) {
	ptLock(t)
	for _, parking := range []bool{false, true} {
		r := handBuilt(noPID)
		r.parking = parking
		r.steps = []redirectStep{{pid: noPID}, {pid: noPID + 1}}
		if pid, err := r.Step(t0); pid != noPID || !errors.Is(err, errPtGone) {
			t.Fatalf("parking %v: Step = %d, %v; want %d, %v", parking, pid, err, noPID, errPtGone)
		}
		if r.Pending() || r.resume != nil || len(ptActive) != 0 {
			t.Fatalf("parking %v: steps %+v, parked %v", parking, r.steps, r.resume != nil)
		}
	}
}

// A process still adrift from an earlier attempt is not seized again: its
// step is retried 10 ms later.
func TestStepOfAnAdriftProcessIsRetried(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, pid, "sleep")
	ptAdrift[pid] = &ptTracee{tgid: pid, tid: pid, child: true}
	defer delete(ptAdrift, pid)
	r := handBuilt(pid)
	r.parking = false
	r.steps = []redirectStep{{pid: pid, start: procfs.StartTime(pid)}}
	if got, err := r.Step(t0); got != 0 || err != nil {
		t.Fatalf("Step = %d, %v; want a retry", got, err)
	}
	if len(r.steps) != 1 || r.steps[0].tries != 1 || !r.steps[0].due.Equal(t0.Add(firstRetry)) {
		t.Fatalf("steps %+v", r.steps)
	}
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("seized again: traced by %d", tracer)
	}
}

// A descendant whose PID now names another process (its start time
// differs) is a quiet end, and is not touched.
func TestStepOfAReusedPID(t *testing.T) {
	ptLock(t)
	_, oldW := ptPipe(t)
	pid := ptStart(t, -1, oldW, oldW, "/bin/sleep", "1000")
	ts := outputTargets{out: injTarget(t, oldW)}
	sys.Close(oldW)
	ptWaitBlocked(t, pid, "sleep")
	r := handBuilt(noPID)
	r.parking, r.targets = false, ts
	r.steps = []redirectStep{{pid: pid, start: procfs.StartTime(pid) + 1}}
	if got, err := r.Step(t0); got != 0 || err != nil || r.Pending() || r.Processes() != 0 {
		t.Fatalf("Step = %d, %v; pending %v, %d switched", got, err, r.Pending(), r.Processes())
	}
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("traced by %d", tracer)
	}
}

// How a switch waits: parked (2 s per stop, 5 s per process) or polling
// (100 ms per stop, 250 ms per process).
func TestWaiting(t *testing.T) {
	start := time.Now()
	w := waiting(nil)
	if w.park != nil || w.stopWait != ptStopWait || w.deadline.Before(start.Add(ptStepBudget)) || w.deadline.After(time.Now().Add(ptStepBudget)) {
		t.Fatalf("without parking: %+v", w)
	}
	parked := 0
	w = waiting(func() bool { parked++; return true })
	if w.park == nil || !w.park() || parked != 1 || w.stopWait != parkedStopWait ||
		w.deadline.Before(start.Add(parkedBudget)) || w.deadline.After(time.Now().Add(parkedBudget)) {
		t.Fatalf("with parking: %+v", w)
	}
}

// Measurements: how long each tracee was stopped, until its release (or
// until now, when it was left adrift); nothing without stats.
func TestMeasure(t *testing.T) {
	r := handBuilt(100)
	r.measure(&ptTracee{seized: t0, released: t0.Add(time.Millisecond)}) // no stats: nothing
	r.stats = &adoptStats{}
	r.measure(&ptTracee{seized: t0, released: t0.Add(3 * time.Millisecond)})
	before := time.Now()
	r.measure(&ptTracee{seized: before.Add(-time.Second)})
	if len(r.stats.stopped) != 2 || r.stats.stopped[0] != 3*time.Millisecond ||
		r.stats.stopped[1] < time.Second || r.stats.stopped[1] > time.Since(before)+time.Second {
		t.Fatalf("stopped %v", r.stats.stopped)
	}
}
