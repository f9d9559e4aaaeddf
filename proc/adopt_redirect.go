//go:build amd64 || arm64

package proc

import (
	"errors"
	"time"
)

// maxDescendants bounds the walk of an adopted process's descendants.
const maxDescendants = 4096

// Retrying: a process that did not stop in time (uninterruptible sleep, a
// CPU it waits for under load), is still adrift from an earlier attempt,
// or is in the middle of writing its output, is tried again later, up to
// redirectTries times, 10 ms after the first attempt, then 40, 160, 640 and
// 2560 ms after the previous one.
const (
	redirectTries = 6
	firstRetry    = 10 * time.Millisecond
)

// redirection switches one adopted process's stdout and stderr, and every
// copy of them in its descendants, to our pipes: one process per step, so
// that the loop can serve everything else between two steps (see
// adoptSome). The adopted process goes first; a process's children are
// listed once it is switched: one forked before holds the old descriptors
// and is listed, one forked after inherits ours.
type redirection struct {
	root     int
	targets  outputTargets
	courier  *fdCourier
	steps    []redirectStep // in order; retried ones go back at the end
	seen     map[int]bool
	maxTries int
	switched int         // processes switched so far
	stats    *adoptStats // measurements, when asked for
}

// redirectStep is one process to switch.
type redirectStep struct {
	pid   int
	start uint64 // its start time in clock ticks: a reused PID is not it
	tries int
	due   time.Time
}

// adoptStats measures a redirection: how long each tracee was stopped
// (from PTRACE_SEIZE to PTRACE_DETACH; adrift ones until we gave up).
type adoptStats struct{ stopped []time.Duration }

// newRedirection prepares the redirection of pid's output to outW and
// errW: it reads where pid's stdout and stderr go now (the copies to look
// for in its descendants) and opens the socket the descriptors go through.
// The caller keeps outW and errW open until close.
func newRedirection(pid, outW, errW int) (*redirection, error) {
	tid := liveThread(pid)
	if s := procState(pid, tid); s == 'Z' || s == 'X' {
		return nil, errPtZombie
	}
	targets, err := readTargets(pid, tid)
	if err != nil {
		return nil, err
	}
	courier, err := newCourier(outW, errW)
	if err != nil {
		return nil, err
	}
	r := &redirection{root: pid, targets: targets, courier: courier, seen: map[int]bool{pid: true}, maxTries: redirectTries}
	r.steps = []redirectStep{{pid: pid, start: startTime(pid)}}
	return r, nil
}

func (r *redirection) close() { r.courier.close() }

// processes is how many processes were switched.
func (r *redirection) processes() int { return r.switched }

// pending reports processes left to switch.
func (r *redirection) pending() bool { return len(r.steps) > 0 }

// due is when the next step may run.
func (r *redirection) due() time.Time {
	d := r.steps[0].due
	for _, st := range r.steps[1:] {
		if st.due.Before(d) {
			d = st.due
		}
	}
	return d
}

// step switches the first process whose step is due, if any. It returns
// the PID it gave up on and why (nil: switched, or to be tried again).
// It takes at most ptStepBudget plus the /proc reads.
func (r *redirection) step(now time.Time) (pid int, err error) {
	i := r.firstDue(now)
	if i < 0 {
		return 0, nil
	}
	st := r.steps[i]
	r.steps = append(r.steps[:i], r.steps[i+1:]...)
	st.tries++
	err = r.switchProcess(st, st.tries == r.maxTries)
	switch {
	case err == nil:
		r.switched++
		r.addChildren(st.pid)
	case isTransient(err) && st.tries < r.maxTries:
		st.due = now.Add(firstRetry << (2 * (st.tries - 1)))
		r.steps = append(r.steps, st)
		return 0, nil
	case st.pid == r.root:
		r.steps = nil // its descendants' copies would fail the same way
	case isQuietEnd(err):
		return 0, nil // a descendant that ended or closed its copies
	}
	return st.pid, err
}

func (r *redirection) firstDue(now time.Time) int {
	for i, st := range r.steps {
		if !now.Before(st.due) {
			return i
		}
	}
	return -1
}

// switchProcess switches the copies of one process (stopped through one of
// its threads). They are listed once it is stopped, so that they cannot
// change under us (in a single-threaded process). Unless last, it leaves a
// process alone that is in the middle of writing its output, so that a
// line is not torn between the old pipe and ours.
func (r *redirection) switchProcess(st redirectStep, last bool) error {
	defer ptLowSlack()()
	tid := liveThread(st.pid)
	if st.pid != r.root && len(switchesOf(st.pid, tid, r.targets)) == 0 {
		return errNoOutput
	}
	if startTime(st.pid) != st.start {
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
	t, err := ptSeize(st.pid, tid, st.pid == r.root && tid == st.pid, time.Now().Add(ptStepBudget))
	if err != nil {
		return err
	}
	err = r.deliver(t, st.pid, tid, last)
	t.release()
	r.measure(t)
	return err
}

// deliver passes our pipes to the stopped tracee t.
func (r *redirection) deliver(t *ptTracee, pid, tid int, last bool) error {
	sw := switchesOf(pid, tid, r.targets)
	if len(sw) == 0 {
		return errNoOutput
	}
	if !last && ptWroteInPart(t, sw) {
		return errPtWriting
	}
	return r.courier.deliver(t, sw)
}

func (r *redirection) measure(t *ptTracee) {
	if r.stats == nil {
		return
	}
	end := t.released
	if end.IsZero() {
		end = time.Now()
	}
	r.stats.stopped = append(r.stats.stopped, end.Sub(t.seized))
}

// addChildren queues the children of a switched process.
func (r *redirection) addChildren(pid int) {
	kids, _ := children(pid)
	for _, k := range kids {
		if r.seen[k] || len(r.seen) >= maxDescendants {
			continue
		}
		r.seen[k] = true
		r.steps = append(r.steps, redirectStep{pid: k, start: startTime(k)})
	}
}

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
