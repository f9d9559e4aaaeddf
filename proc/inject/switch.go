//go:build amd64 || arm64

package inject

import (
	"errors"
	"time"
)

// One step of a redirection: switching the copies of one process.

// switchProcess switches the copies of one process (stopped through one of
// its threads). They are listed once it is stopped, so that they cannot
// change under us (in a single-threaded process). Unless last, it leaves a
// process alone that is in the middle of writing its output, so that a
// line is not torn between the old pipe and ours.
func (r *Redirection) switchProcess(st redirectStep, last bool, park func() bool) error {
	tid := liveThread(st.pid)
	if st.pid != r.root && len(switchesOf(st.pid, tid, r.targets)) == 0 {
		return errNoOutput
	}
	if procfs.StartTime(st.pid) != st.start {
		return errPtGone // ended, and its PID is someone else's now
	}
	if ptAdrift[tid] != nil {
		return errPtAdrift
	}
	if !last && writingOutput(st.pid, tid, r.targets) {
		return errPtWriting
	}
	// The root's end is the reaper's, unless we seize another thread than
	// its main one (whose end, as a tracee's, only we would see).
	t, err := ptSeizeWaiting(st.pid, tid, st.pid == r.root && tid == st.pid, waiting(park))
	if err != nil {
		return err
	}
	err = r.deliver(t, st.pid, tid, last)
	t.release()
	r.measure(t)
	return err
}

// waiting is how a switch waits for its tracee's stops: parked, or by
// polling with a low timer slack (see ptPause).
func waiting(park func() bool) ptWaiting {
	if park != nil {
		return ptWaiting{deadline: time.Now().Add(parkedBudget), stopWait: parkedStopWait, park: park}
	}
	return ptWaiting{deadline: time.Now().Add(ptStepBudget), stopWait: ptStopWait}
}

// deliver passes our pipes to the stopped tracee t.
func (r *Redirection) deliver(t *ptTracee, pid, tid int, last bool) error {
	sw := switchesOf(pid, tid, r.targets)
	if len(sw) == 0 {
		return errNoOutput
	}
	if !last && ptWroteInPart(t, sw) {
		return errPtWriting
	}
	return r.courier.deliver(t, sw)
}

func (r *Redirection) measure(t *ptTracee) {
	if r.stats == nil {
		return
	}
	end := t.released
	if end.IsZero() {
		end = time.Now()
	}
	r.stats.stopped = append(r.stats.stopped, end.Sub(t.seized))
}

// adoptStats measures a redirection: how long each tracee was stopped
// (from PTRACE_SEIZE to PTRACE_DETACH; adrift ones until we gave up).
type adoptStats struct{ stopped []time.Duration }

// isTransient: the process may well be switched if tried again later.
func isTransient(err error) bool {
	return errors.Is(err, errPtTimeout) || errors.Is(err, errPtBudget) || errors.Is(err, errPtBusy) ||
		errors.Is(err, errPtAdrift) || errors.Is(err, errPtWriting)
}

// isQuietEnd: a descendant that ended or closed its copies meanwhile is
// no failure.
func isQuietEnd(err error) bool {
	return errors.Is(err, errPtZombie) || errors.Is(err, errPtGone) || errors.Is(err, errNoOutput)
}
