package proc

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// The supervisor's side of the adopt policy's output redirection: the
// queue of jobs, the slice per turn, at most maxRedirecting under way, the
// end of a job, and what is said. The redirection itself (package inject)
// is played by fakeRedirector here; it is tested in proc/inject.

var (
	errNoRedirection = errors.New("fake: no redirection")
	errFakeEnded     = errors.New("fake: the process has ended")
	errFakeFiltered  = errors.New("fake: the process runs under a seccomp filter of its own")
)

// fakeStep is what one Step of a fakeRedirector does.
type fakeStep struct {
	failed int   // the PID given up on, with err (0: none)
	err    error // nil and not park: one more process switched
	park   bool  // the step parks: not due again until kicked
	run    func(f *fakeRedirector)
}

var (
	switchOne = fakeStep{}
	parkOne   = fakeStep{park: true}
)

// fakeRedirector plays one redirection: each Step takes the next step of
// its plan. It is due at due (zero: at once); Kick makes it due now.
type fakeRedirector struct {
	pid, outW, errW int // as the supervisor gave them
	plan            []fakeStep
	due             time.Time
	steps, kicks    int
	switched        int
	closed          bool
}

func (f *fakeRedirector) Step(now time.Time) (int, error) {
	f.steps++
	st := f.plan[0]
	f.plan = f.plan[1:]
	if st.run != nil {
		st.run(f)
	}
	switch {
	case st.park:
		f.due = now.Add(time.Hour)
	case st.err == nil:
		f.switched++
	}
	return st.failed, st.err
}

func (f *fakeRedirector) Due() time.Time     { return f.due }
func (f *fakeRedirector) Kick(now time.Time) { f.kicks++; f.due = now }
func (f *fakeRedirector) Pending() bool      { return len(f.plan) > 0 }
func (f *fakeRedirector) Processes() int     { return f.switched }
func (f *fakeRedirector) Close()             { f.closed = true }

// fakeRedirects makes the supervisor's redirections fakes, as plan says
// for each PID (an error: the redirection cannot even start), and returns
// the fakes made, in order.
func fakeRedirects(s *Supervisor, plan func(pid int) (*fakeRedirector, error)) *[]*fakeRedirector {
	made := new([]*fakeRedirector)
	s.redirect = func(pid, outW, errW int) (redirector, error) {
		f, err := plan(pid)
		if err != nil {
			return nil, err
		}
		f.pid, f.outW, f.errW = pid, outW, errW
		*made = append(*made, f)
		return f, nil
	}
	return made
}

// planned is a plan that gives every redirection the same steps.
func planned(steps ...fakeStep) func(int) (*fakeRedirector, error) {
	return func(int) (*fakeRedirector, error) {
		return &fakeRedirector{plan: append([]fakeStep(nil), steps...)}, nil
	}
}

// adoptedProcess enters pid in the owner table as an adopted process and
// queues its redirection, as takeReparented does.
func adoptedProcess(s *Supervisor, pid int, name string) *process {
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleAdopted, label: name + "/" + strconv.Itoa(pid)}
	s.procs[pid] = p
	s.adoptOutput(p, name)
	return p
}

func totalSteps(made []*fakeRedirector) int {
	n := 0
	for _, f := range made {
		n += f.steps
	}
	return n
}

// Adoptions are worked on a slice per turn, a step at least, oldest job
// first: with many adopted at once, the loop turns between steps instead
// of adopting them all before it serves anything else. With a zero slice:
// one step per turn, and the loop does not wait while steps are due; with
// a long one, every due step in one turn.
func TestAdoptionsTakeASlicePerTurn(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt})
	made := fakeRedirects(s, planned(switchOne, switchOne))
	s.timing.adoptSlice = 0
	s.reparent.due = s.now.Add(time.Hour)
	for i := range 3 {
		adoptedProcess(s, 5000100+i, "sleep")
	}
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("deadline %v after now with adoptions to do", d.Sub(s.now))
	}
	s.adoptSome()
	if len(*made) != 1 || totalSteps(*made) != 1 || len(s.adoptions) != 3 {
		t.Fatalf("first turn: %d started, %d steps, %d jobs; want one step", len(*made), totalSteps(*made), len(s.adoptions))
	}
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("deadline %v after now with steps due", d.Sub(s.now))
	}
	s.adoptSome() // the oldest job's second step: it is over
	if len(*made) != 1 || totalSteps(*made) != 2 || !(*made)[0].closed || len(s.adoptions) != 2 {
		t.Fatalf("second turn: %d started, %d steps, %d jobs, first closed=%v", len(*made), totalSteps(*made), len(s.adoptions), (*made)[0].closed)
	}
	s.timing.adoptSlice = time.Hour
	s.adoptSome()
	if len(*made) != 3 || totalSteps(*made) != 6 || len(s.adoptions) != 0 {
		t.Fatalf("a long slice: %d started, %d steps, %d jobs left", len(*made), totalSteps(*made), len(s.adoptions))
	}
	if d := s.adoptDeadline(); !d.Equal(loop.Never) {
		t.Fatalf("adoption deadline %v with no job", d)
	}
	for _, f := range *made {
		if !f.closed || f.switched != 2 {
			t.Fatalf("PID %d: closed=%v, %d switched", f.pid, f.closed, f.switched)
		}
	}
	expectMessages(t, s)
	drainSources(t, s)
}

// At most maxRedirecting jobs are under way at once; the others wait in
// the queue, and the loop does not spin for them. A job dropped (its
// process ended) lets the next one start.
func TestAdoptionsAtMostMaxRedirectingUnderWay(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt})
	made := fakeRedirects(s, planned(parkOne, switchOne))
	s.timing.adoptSlice = time.Hour
	var ps []*process
	for i := range maxRedirecting + 8 {
		ps = append(ps, adoptedProcess(s, 5000200+i, "sleep"))
	}
	s.adoptSome()
	if len(*made) != maxRedirecting || len(s.adoptions) != maxRedirecting+8 {
		t.Fatalf("%d started, %d jobs; want %d started", len(*made), len(s.adoptions), maxRedirecting)
	}
	for i, f := range *made {
		if f.pid != ps[i].pid {
			t.Fatalf("started PID %d as job %d, want the oldest first (%d)", f.pid, i, ps[i].pid)
		}
	}
	if d := s.adoptDeadline(); !d.Equal((*made)[0].due) {
		t.Fatalf("adoption deadline %v after now, want the first parked step's", d.Sub(s.now))
	}
	s.dropAdoption(ps[0])
	if !(*made)[0].closed || len(s.adoptions) != maxRedirecting+7 {
		t.Fatalf("dropped: closed=%v, %d jobs", (*made)[0].closed, len(s.adoptions))
	}
	if d := s.adoptDeadline(); !d.Equal(s.now) {
		t.Fatalf("a job may start: adoption deadline %v after now", d.Sub(s.now))
	}
	s.adoptSome()
	if len(*made) != maxRedirecting+1 || (*made)[maxRedirecting].pid != ps[maxRedirecting].pid {
		t.Fatalf("%d started after a drop, want one more (the next in the queue)", len(*made))
	}
	for _, p := range ps {
		s.dropAdoption(p)
	}
	if len(s.adoptions) != 0 {
		t.Fatalf("%d jobs left", len(s.adoptions))
	}
	expectMessages(t, s)
	drainSources(t, s) // every write end of ours is closed: EOF
}

// An adopted process that ends takes its job with it, started (the
// redirection is closed) or not; its end starts the shutdown as usual.
func TestAdoptionDroppedWhenItsProcessEnds(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, KillTimeout: time.Hour})
	made := fakeRedirects(s, planned(parkOne, switchOne))
	s.timing.adoptSlice = 0
	p1 := adoptedProcess(s, 5000300, "a")
	p2 := adoptedProcess(s, 5000301, "b")
	s.adoptSome()
	if len(*made) != 1 || s.adoptions[1].r != nil {
		t.Fatalf("%d started, want the first only", len(*made))
	}
	s.ended(p1, sys.ExitStatus{Signal: unix.SIGKILL})
	if !(*made)[0].closed || len(s.adoptions) != 1 || s.adoptions[0].p != p2 {
		t.Fatalf("after the end: closed=%v, %d jobs", (*made)[0].closed, len(s.adoptions))
	}
	s.ended(p2, sys.ExitStatus{Code: 0})
	if len(s.adoptions) != 0 || len(*made) != 1 {
		t.Fatalf("after the second end: %d jobs, %d started", len(s.adoptions), len(*made))
	}
	expectMessages(t, s,
		"TS dinit: info: a/5000300: PID 5000300 finished with signal 9",
		"TS dinit: warning: shutting down: a/5000300: adopted process PID 5000300 finished with signal 9",
		"TS dinit: info: b/5000301: sending SIGTERM to PID 5000301",
		"TS dinit: info: b/5000301: PID 5000301 finished with status 0")
	if !s.stopping() || s.code() != ExitService {
		t.Fatalf("phase=%d code=%d", s.phase, s.code())
	}
	drainSources(t, s) // the ended job's write ends are closed: EOF
}

// What a redirection gives up on is said: the adopted process's own PID,
// or a descendant's (the job goes on); a redirection that cannot start;
// and, at debug level, how many processes were redirected once a job with
// any is over (none: nothing said).
func TestAdoptionWarnings(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug, Policy: PolicyAdopt})
	const a, b, c = 5000400, 5000401, 5000402
	made := fakeRedirects(s, func(pid int) (*fakeRedirector, error) {
		switch pid {
		case a:
			return &fakeRedirector{plan: []fakeStep{{failed: a, err: errFakeEnded}}}, nil
		case b:
			return &fakeRedirector{plan: []fakeStep{switchOne, {failed: 5000999, err: errFakeFiltered}, switchOne}}, nil
		}
		return nil, errNoRedirection
	})
	s.timing.adoptSlice = time.Hour
	for _, pid := range []int{a, b, c} {
		adoptedProcess(s, pid, "sh")
	}
	adoptAll(t, s)
	expectMessages(t, s,
		"TS dinit: warning: sh/5000400: cannot redirect output of PID 5000400: fake: the process has ended",
		"TS dinit: warning: sh/5000401: cannot redirect output of a descendant, PID 5000999: fake: the process runs under a seccomp filter of its own",
		"TS dinit: debug: sh/5000401: output redirected (2 processes, D after adoption)",
		"TS dinit: warning: sh/5000402: cannot redirect output of PID 5000402: fake: no redirection")
	if len(*made) != 2 {
		t.Fatalf("%d redirections made, want 2", len(*made))
	}
	for _, f := range *made {
		if !f.closed {
			t.Fatalf("PID %d: not closed", f.pid)
		}
	}
	if s.stopping() || s.exitCode != noReason || len(s.procs) != 3 {
		t.Fatalf("a failed redirection changed more: phase=%d exitCode=%d procs=%d", s.phase, s.exitCode, len(s.procs))
	}
	drainSources(t, s)
}

// The reaper saw children's reports (the stops parked steps wait for):
// every started job is kicked, and a parked one is then due now.
func TestAdoptionsAreKickedAfterAReap(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt})
	made := fakeRedirects(s, planned(parkOne, switchOne))
	s.timing.adoptSlice = 0
	s.reparent.due = s.now.Add(24 * time.Hour)
	p1 := adoptedProcess(s, 5000500, "a")
	adoptedProcess(s, 5000501, "b")
	s.adoptSome()                    // the first parks
	s.dropAdoption(s.adoptions[1].p) // left: the parked job only
	f := (*made)[0]
	if d := s.deadline(); !d.Equal(f.due) || !f.due.After(s.now) {
		t.Fatalf("deadline %v after now, want the parked step's (%v)", d.Sub(s.now), f.due.Sub(s.now))
	}
	s.tick()
	s.kickAdoptions()
	if f.kicks != 1 || !s.adoptDeadline().Equal(s.now) {
		t.Fatalf("%d kicks, adoption deadline %v after now", f.kicks, s.adoptDeadline().Sub(s.now))
	}
	adoptAll(t, s)
	if f.steps != 2 || !f.closed {
		t.Fatalf("%d steps, closed=%v", f.steps, f.closed)
	}
	s.dropAdoption(p1) // over already: nothing to drop
	expectMessages(t, s)
	drainSources(t, s)
}

// The pipes a job hands to its process are ours: what the process writes
// there is relayed as <name>/<pid>, its stdout as JSON when asked for.
func TestAdoptionPipesAreReadAsNamePid(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, Stdout: StdoutJSON})
	write := func(fd int, line string) {
		if _, err := unix.Write(fd, []byte(line)); err != nil {
			t.Error(err)
		}
	}
	fakeRedirects(s, planned(fakeStep{run: func(f *fakeRedirector) {
		write(f.outW, `{"a":1}`+"\n")
		write(f.outW, "plain\n")
		write(f.errW, "oops\n")
	}}))
	adoptedProcess(s, 5000600, "sh")
	adoptAll(t, s)
	drainSources(t, s) // the job is over: its write ends are closed
	if out := stdoutText(s); out != `{"a":1,"service":"sh","stage":"5000600","logged":"TS"}`+"\n" {
		t.Fatalf("stdout %q", out)
	}
	expectMessages(t, s,
		"TS dinit: warning: sh/5000600: not JSON stdout: plain",
		"TS sh/5000600: oops")
}
