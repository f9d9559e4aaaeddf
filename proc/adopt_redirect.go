//go:build amd64 || arm64

package proc

import (
	"errors"
	"strconv"
	"time"
)

// maxDescendants bounds the walk of an adopted process's descendants.
const maxDescendants = 4096

// adoptStats measures one redirection: how long each tracee was stopped
// (from PTRACE_SEIZE to PTRACE_DETACH; adrift tracees count until we gave
// up) and how long the whole took (the loop was blocked that long).
type adoptStats struct {
	stopped []time.Duration
	total   time.Duration
}

// redirectAdopted switches pid's stdout and stderr, and every copy of them
// in its descendants, to outW and errW. An error means that pid's own
// descriptors were not (all) switched; failures in descendants are
// returned as warnings ("PID N: reason"). It returns within ptBudget
// (250 ms) plus the time of the /proc reads, whatever the processes do.
func redirectAdopted(pid, outW, errW int) (warnings []error, err error) {
	var st adoptStats
	return redirectAdoptedStats(pid, outW, errW, &st)
}

func redirectAdoptedStats(pid, outW, errW int, st *adoptStats) (warnings []error, err error) {
	start := time.Now()
	defer func() { st.total = time.Since(start) }()
	defer ptLowSlack()()
	r := &adoption{pid: pid, deadline: start.Add(ptBudget), st: st}
	tid := liveThread(pid)
	if s := procState(pid, tid); s == 'Z' || s == 'X' {
		return nil, errPtZombie
	}
	if r.targets, err = readTargets(pid, tid); err != nil {
		return nil, err
	}
	if r.courier, err = newCourier(outW, errW); err != nil {
		return nil, err
	}
	defer r.courier.close()
	// Its end is the reaper's, unless we seize another thread than the
	// main one (whose end, as a tracee's, only we would see).
	if err := r.into(pid, tid, tid == pid); err != nil {
		return nil, err
	}
	return r.descendants(), nil
}

// adoption is one redirection in progress.
type adoption struct {
	pid      int
	deadline time.Time
	targets  outputTargets
	courier  *fdCourier
	st       *adoptStats
}

// into switches the descriptors of process pid (stopped through thread
// tid). They are listed once it is stopped, so that they cannot change
// under us (in a single-threaded process).
func (r *adoption) into(pid, tid int, child bool) error {
	t, err := ptSeize(pid, tid, child, r.deadline)
	if err != nil {
		return err
	}
	if sw := switchesOf(pid, tid, r.targets); len(sw) == 0 {
		err = errNoOutput
	} else {
		err = r.courier.deliver(t, sw)
	}
	t.release()
	end := t.released
	if end.IsZero() {
		end = time.Now()
	}
	r.st.stopped = append(r.st.stopped, end.Sub(t.seized))
	return err
}

// descendants switches the copies held by the adopted process's
// descendants, breadth first. A process's children are listed after it
// was switched: one forked before has the old descriptors and is in the
// list, one forked after inherits ours.
func (r *adoption) descendants() (warnings []error) {
	queue, _ := children(r.pid)
	seen := map[int]bool{r.pid: true}
	for n := 0; len(queue) > 0 && n < maxDescendants; n++ {
		d := queue[0]
		queue = queue[1:]
		if seen[d] {
			continue
		}
		seen[d] = true
		if !time.Now().Before(r.deadline) {
			return append(warnings, errors.New("PID "+strconv.Itoa(d)+" and "+strconv.Itoa(len(queue))+" more: "+errPtBudget.Error()))
		}
		if tid := liveThread(d); len(switchesOf(d, tid, r.targets)) > 0 {
			// One that ended or closed its copies meanwhile is no failure.
			if err := r.into(d, tid, false); err != nil && !errors.Is(err, errPtZombie) &&
				!errors.Is(err, errPtGone) && !errors.Is(err, errNoOutput) {
				warnings = append(warnings, errors.New("PID "+strconv.Itoa(d)+": "+err.Error()))
			}
		}
		kids, _ := children(d)
		queue = append(queue, kids...)
	}
	return warnings
}
