//go:build amd64 || arm64

package inject

import (
	"iter"
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

// Parked switches (the loop's): the loop gets the thread back while a
// tracee has not stopped yet, so its stops may take long (a CPU it waits
// for behind busy processes, a vfork child it waits for) without holding
// anything up. A parked switch is looked at again when the reaper saw a
// stop (kick) or parkPoll later.
const (
	parkedStopWait = 2 * time.Second // one stop of one tracee
	parkedBudget   = 5 * time.Second // one process, all its stops
	parkPoll       = 5 * time.Millisecond
)

// Redirection switches one adopted process's stdout and stderr, and every
// copy of them in its descendants, to our pipes: one process per step, so
// that the loop can serve everything else between two steps (see
// adoptSome). The adopted process goes first; a process's children are
// listed once it is switched: one forked before holds the old descriptors
// and is listed, one forked after inherits ours.
type Redirection struct {
	root     int
	targets  outputTargets
	courier  *fdCourier
	steps    []redirectStep // in order; retried ones go back at the end
	seen     map[int]bool
	maxTries int
	switched int         // processes switched so far
	stats    *adoptStats // measurements, when asked for

	// parking: each switch runs as a coroutine that the loop resumes
	// (step) until it is over; without, a step waits for every stop.
	parking  bool
	resume   func() (struct{}, bool) // the switch in progress (nil: none)
	abandon  func()
	current  redirectStep
	result   error
	parkedAt time.Time
}

// redirectStep is one process to switch.
type redirectStep struct {
	pid   int
	start uint64 // its start time in clock ticks: a reused PID is not it
	tries int
	due   time.Time
}

// New prepares the redirection of pid's output to outW and
// errW: it reads where pid's stdout and stderr go now (the copies to look
// for in its descendants) and opens the socket the descriptors go through.
// The caller keeps outW and errW open until close.
func New(pid, outW, errW int) (*Redirection, error) {
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
	r := &Redirection{root: pid, targets: targets, courier: courier, seen: map[int]bool{pid: true},
		maxTries: redirectTries, parking: true}
	r.steps = []redirectStep{{pid: pid, start: procfs.StartTime(pid)}}
	return r, nil
}

// Close ends the redirection; a parked switch is abandoned: its tracee is
// let go (or left adrift until its next stop).
func (r *Redirection) Close() {
	if r.abandon != nil {
		r.abandon()
		r.resume, r.abandon = nil, nil
	}
	r.courier.close()
}

// Processes is how many processes were switched.
func (r *Redirection) Processes() int { return r.switched }

// Pending reports processes left to switch, or a switch in progress.
func (r *Redirection) Pending() bool { return len(r.steps) > 0 || r.resume != nil }

// Due is when the next step may run.
func (r *Redirection) Due() time.Time {
	if r.resume != nil {
		return r.parkedAt.Add(parkPoll)
	}
	d := r.steps[0].due
	for _, st := range r.steps[1:] {
		if st.due.Before(d) {
			d = st.due
		}
	}
	return d
}

// Kick makes a parked switch due now: its tracee may have stopped.
func (r *Redirection) Kick(now time.Time) {
	if r.resume != nil {
		r.parkedAt = now.Add(-parkPoll)
	}
}

// Step switches the first process whose step is due, if any, or goes on
// with the parked switch. It returns the PID it gave up on and why (nil:
// switched, parked, or to be tried again). Without parking it takes at
// most ptStepBudget plus the /proc reads; with parking, the time to the
// tracee's next wait.
func (r *Redirection) Step(now time.Time) (pid int, err error) {
	if r.resume == nil {
		i := r.firstDue(now)
		if i < 0 {
			return 0, nil
		}
		st := r.steps[i]
		r.steps = append(r.steps[:i], r.steps[i+1:]...)
		st.tries++
		if !r.parking {
			restore := ptLowSlack()
			err := r.switchProcess(st, st.tries == r.maxTries, nil)
			restore()
			return r.settle(st, err, now)
		}
		r.begin(st)
	}
	if _, parked := r.resume(); parked {
		r.parkedAt = now
		return 0, nil
	}
	r.resume, r.abandon = nil, nil
	return r.settle(r.current, r.result, now)
}

// begin starts the switch of st as a coroutine: it runs on the loop's
// thread (ptrace requests must come from the tracer thread) and parks at
// each wait for a stop that is not there yet.
func (r *Redirection) begin(st redirectStep) {
	r.current = st
	r.resume, r.abandon = iter.Pull(func(yield func(struct{}) bool) {
		park := func() bool { return yield(struct{}{}) }
		r.result = r.switchProcess(st, st.tries == r.maxTries, park)
	})
}

// settle decides what comes after the switch of st ended with err.
func (r *Redirection) settle(st redirectStep, err error, now time.Time) (int, error) {
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

func (r *Redirection) firstDue(now time.Time) int {
	for i, st := range r.steps {
		if !now.Before(st.due) {
			return i
		}
	}
	return -1
}

// addChildren queues the children of a switched process.
func (r *Redirection) addChildren(pid int) {
	kids, _ := procfs.Children(pid)
	for _, k := range kids {
		if r.seen[k] || len(r.seen) >= maxDescendants {
			continue
		}
		r.seen[k] = true
		r.steps = append(r.steps, redirectStep{pid: k, start: procfs.StartTime(k)})
	}
}
