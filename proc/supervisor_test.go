package proc

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// Helpers shared by the supervisor tests (supervisor_test.go, reap_test.go,
// reparent_test.go, shutdown_test.go, signals_test.go, start_test.go). The
// Supervisor itself comes from newUnitSupervisor (supervisor_unit_test.go):
// a real loop, a real relay on two files, no signal source. Tests that reap
// (reap, turn, runToEnd), read the real /proc list of our children, ask
// whether we have any child, or count our descriptors must not run in
// parallel: those see every child and descriptor of the test process.
// The others call t.Parallel.

// kid starts argv as a child of the test process, stdin on the given fd
// (-1: /dev/null), stdout and stderr on /dev/null, and makes sure it is
// gone at the end of the test.
func kid(t *testing.T, stdin int, argv ...string) int {
	t.Helper()
	devnull, err := sys.OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(devnull)
	if stdin < 0 {
		stdin = devnull
	}
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Dir:   "/",
		Env:   []string{"PATH=/usr/bin:/bin"},
		Files: []uintptr{uintptr(stdin), uintptr(devnull), uintptr(devnull)},
	})
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, pid)
	return pid
}

// reapAtEnd kills and reaps pid at the end of the test, unless the test
// reaped it already: then its PID may belong to someone else by now and is
// never signalled.
func reapAtEnd(t *testing.T, pid int) {
	t.Cleanup(func() { killChild(pid) })
}

func killChild(pid int) {
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		return // ECHILD: not (or no longer) our child
	}
	_ = unix.Kill(pid, unix.SIGKILL)
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// killProcsAtEnd kills and reaps, at the end of the test, every process
// the supervisor still tracks then.
func killProcsAtEnd(t testing.TB, s *Supervisor) {
	t.Cleanup(func() {
		for pid, p := range s.procs {
			killChild(pid)
			if p.pidfd >= 0 {
				_ = s.loop.Remove(p.tok)
				sys.Close(p.pidfd)
			}
		}
	})
}

// waitExited waits (bounded) until pid has ended, without reaping it.
func waitExited(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
			t.Fatalf("waiting for PID %d: %v", pid, err)
		}
		if sys.ChildPID(&info) == pid {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d still runs", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitExec waits (bounded) until pid runs the program named name: until
// its command line (set up last by exec, after the close-on-exec fds are
// closed and the new environment is in place) starts with it. It reads the
// real /proc, whatever the supervisor's procfs is.
func waitExec(t *testing.T, pid int, name string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if first, _, _ := strings.Cut(string(b), "\x00"); filepath.Base(first) == name {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never ran %s (command line %q)", pid, name, b)
		}
	}
}

// blockedSignals are blocked in the children blockedKid starts: a signal
// sent to them stays pending (see pendingSignals) and they keep running, so
// a test can tell exactly which signals a process was sent. (A stopped
// process would not do: a fatal signal kills it even while stopped.)
var blockedSignals = []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGTERM, unix.SIGWINCH, unix.SIGALRM, unix.SIGPIPE}

// blockedKid is kid with blockedSignals blocked: the signal mask survives
// fork and exec, and Go's fork restores the forking thread's mask in the
// child.
func blockedKid(t *testing.T, argv ...string) int {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var want uint64
	for _, sig := range blockedSignals {
		want |= sigBit(sig)
	}
	set, old := sigsetOf(want), unix.Sigset_t{}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		t.Fatal(err)
	}
	pid := kid(t, -1, argv...)
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil); err != nil {
		t.Fatal(err)
	}
	if got := statusMask(t, pid, "SigBlk"); got&want != want {
		t.Fatalf("PID %d blocks %#x, want %#x", pid, got, want)
	}
	return pid
}

// sigsetOf is the mask of signals 1 to 64 as a Sigset_t, whose words are
// 32-bit on 32-bit architectures.
func sigsetOf(mask uint64) (set unix.Sigset_t) {
	word := uint(unsafe.Sizeof(set.Val[0])) * 8
	for bit := uint(0); bit < 64; bit++ {
		if mask>>bit&1 != 0 {
			set.Val[bit/word] |= 1 << (bit % word)
		}
	}
	return set
}

// statusMask reads a signal mask line ("SigCgt", "ShdPnd", ...) of
// /proc/PID/status.
func statusMask(t *testing.T, pid int, field string) uint64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// pendingSignals: the signals sent to pid and not yet delivered (pid should
// run with blockedSignals blocked).
func pendingSignals(t *testing.T, pid int) uint64 {
	return statusMask(t, pid, "ShdPnd") | statusMask(t, pid, "SigPnd")
}

func sigBit(sig unix.Signal) uint64 { return 1 << (uint(sig) - 1) }

// addRun enters a service whose run is the real process pid.
func addRun(s *Supervisor, name string, pid int) *service {
	svc := &service{name: name, dir: "/nonexistent/" + name}
	svc.run = addProc(s, roleRun, name+"/run", pid, svc)
	s.services = append(s.services, svc)
	return svc
}

func addProc(s *Supervisor, r role, label string, pid int, svc *service) *process {
	p := &process{sup: s, pid: pid, pidfd: -1, role: r, svc: svc, label: label}
	s.procs[pid] = p
	return p
}

// sortedMessages: messages in sorted order, for lines of several processes
// whose relative order is not ours to decide.
func sortedMessages(s *Supervisor) []string {
	m := messages(s)
	slices.Sort(m)
	return m
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n%s\nwant:\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Poll reads the zero time as "no timeout". Before the first scan (a fresh
// supervisor, as newSupervisor leaves it) nothing has set the scan's due
// time, so deadline() must still bound the wait: otherwise, with both
// outputs on files or /dev/null (sinks epoll cannot watch), the first turn
// blocks until some process writes or ends. Nothing is written out and no
// reparented process is looked at in the meantime (reproduced with the
// binary: `dinit >out 2>err` with a silent service that leaves an orphan
// showed no line and no scan for as long as it ran).
func TestDeadlineIsBoundedBeforeTheFirstScan(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	dir := writeService(t, map[string]string{"web/run": "#!/bin/sh\nexec sleep 1000\n"})
	svcs, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.services = svcs
	startAll(s)
	if svcs[0].run == nil {
		t.Fatalf("not started: %q", messages(s))
	}
	d := s.deadline()
	if !d.Before(loop.Never) {
		t.Fatal("deadline() is loop.Never: the first Poll waits without a timeout")
	}
	if d.After(s.now.Add(s.timing.scan)) {
		t.Fatalf("deadline %v after now: later than the scan period", d.Sub(s.now))
	}
}

// relaySinkHigh is the relay's backpressure threshold (relay/sink.go): above it
// buffered, no source is read.
const relaySinkHigh = 256 << 10

// A source with data: the loop must not wait. Under backpressure (our
// stdout is a pipe nobody reads, full, and the sink holds relaySinkHigh) the
// ready source may not be read: the loop waits for its timers (and the
// sink's EPOLLOUT) instead; once the pipe is read, the source is served.
func TestDeadlineIsNowWithWorkToDo(t *testing.T) {
	t.Parallel()
	outR, outW := testPipe(t)
	s := newUnitSupervisorOut(t, Config{}, outW)
	s.reparent.due = s.now.Add(time.Hour)
	src, w, err := s.out.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(w); src.Close() })
	if err := unix.SetNonblock(w, true); err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 4095) + "\n")
	// fill writes lines into the service's pipe until it is full.
	fill := func() {
		for {
			if _, err := unix.Write(w, line); err != nil {
				return // EAGAIN: full (a line is never cut: 4 KiB is PIPE_BUF)
			}
		}
	}
	if _, err := unix.Write(w, line); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !s.out.HasReady(); {
		if time.Now().After(deadline) {
			t.Fatal("the source never became ready")
		}
		if _, err := s.loop.Poll(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("a source is ready: deadline %v after now", d.Sub(s.now))
	}
	for deadline := time.Now().Add(10 * time.Second); s.out.Pending() < relaySinkHigh; {
		if time.Now().After(deadline) {
			t.Fatalf("no backpressure: %d bytes pending", s.out.Pending())
		}
		fill()
		if _, err := s.loop.Poll(s.now); err != nil {
			t.Fatal(err)
		}
		for s.out.HasReady() {
			s.out.ReadTurn()
		}
		s.out.Flush()
	}
	fill()
	if _, err := s.loop.Poll(s.now); err != nil {
		t.Fatal(err)
	}
	if s.out.HasReady() {
		t.Fatal("backpressured: a source may still be read")
	}
	if d := s.deadline(); !d.Equal(s.reparent.due) {
		t.Fatalf("backpressured: deadline %v after now, want the scan's", d.Sub(s.now))
	}
	s.reapNeeded = true
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("reap needed: deadline %v after now", d.Sub(s.now))
	}
	s.reapNeeded = false
	// Our stdout's reader catches up: the source held back is read again.
	if err := unix.SetNonblock(outR, true); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	for deadline := time.Now().Add(5 * time.Second); !s.out.HasReady(); {
		if time.Now().After(deadline) {
			t.Fatalf("the source was not served once stdout was read: %d bytes pending", s.out.Pending())
		}
		for {
			if n, _ := unix.Read(outR, buf); n <= 0 {
				break
			}
		}
		if _, err := s.loop.Poll(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		s.out.Flush()
	}
	if d := s.deadline(); !d.Equal(s.now) {
		t.Fatalf("stdout drained: deadline %v after now", d.Sub(s.now))
	}
}

// testPipe is a blocking close-on-exec pipe, closed at the end of the test.
func testPipe(t *testing.T) (r, w int) {
	t.Helper()
	r, w, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(r, w) })
	return r, w
}

// The earliest of the scan, the SIGKILLs not yet sent and the log graces.
func TestDeadlineIsTheEarliestTimer(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{})
	now := s.now
	s.reparent.due = now.Add(time.Second)
	s.killing = []*process{
		{stop: termSent, killAt: now.Add(300 * time.Millisecond)},
		{stop: killSent, killAt: now.Add(time.Millisecond)}, // sent: no more timer
	}
	s.logWaits = []*service{{logEndDue: now.Add(500 * time.Millisecond)}, {logEndDue: now.Add(400 * time.Millisecond)}}
	steps := []struct {
		change func()
		want   time.Duration
	}{
		{func() {}, 300 * time.Millisecond},
		{func() { s.killing[0].stop = killSent }, 400 * time.Millisecond},
		{func() { s.logWaits = s.logWaits[:1] }, 500 * time.Millisecond},
		{func() { s.logWaits = nil }, time.Second},
		{func() { s.reparent.due = now.Add(50 * time.Millisecond) }, 50 * time.Millisecond},
		{func() { s.logWaits = []*service{{logEndDue: now.Add(time.Millisecond)}} }, time.Millisecond},
		{func() { s.sweep.stage, s.sweep.killAt = termSent, now.Add(time.Microsecond) }, time.Microsecond},
	}
	for i, st := range steps {
		st.change()
		if d := s.deadline(); !d.Equal(now.Add(st.want)) {
			t.Fatalf("step %d: deadline %v after now, want %v", i, d.Sub(now), st.want)
		}
	}
}

func TestEarliest(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	tests := []struct {
		d    time.Time
		more []time.Time
		want time.Time
	}{
		{at(0), nil, at(0)},
		{loop.Never, nil, loop.Never},
		{at(time.Second), []time.Time{at(2 * time.Second), at(time.Millisecond)}, at(time.Millisecond)},
		{at(time.Second), []time.Time{loop.Never, at(3 * time.Second)}, at(time.Second)},
		{loop.Never, []time.Time{loop.Never, at(-time.Hour), at(time.Hour)}, at(-time.Hour)},
		{at(5), []time.Time{at(5)}, at(5)},
	}
	for i, tt := range tests {
		if got := earliest(tt.d, tt.more...); !got.Equal(tt.want) {
			t.Errorf("case %d: earliest = %v, want %v", i, got, tt.want)
		}
	}
}

// An ended child not yet reaped keeps us from exiting; once reaped, we may.
func TestExitWaitsForAZombie(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	pid := kid(t, -1, "/bin/true")
	waitExited(t, pid)
	s.phase = stopping
	s.reparent.due = s.now.Add(time.Hour)
	s.exitIfAllEnded()
	if s.phase != stopping {
		t.Fatal("exiting with a zombie child")
	}
	if !s.reapNeeded || !s.reparent.due.Equal(s.now) {
		t.Fatalf("no reap or scan asked for: reapNeeded=%v due in %v", s.reapNeeded, s.reparent.due.Sub(s.now))
	}
	s.reap()
	s.exitIfAllEnded()
	n := itoa(pid)
	expectMessages(t, s,
		"TS dinit: warning: true/"+n+": reaping process with PID "+n,
		"TS dinit: info: true/"+n+": PID "+n+" finished with status 0",
		"TS dinit: info: dinit exiting with status 0")
	if s.phase != exiting || !s.done() {
		t.Fatalf("phase %d, done=%v with nothing left", s.phase, s.done())
	}
}

// A whole run through turn(), with pidfds when the kernel has them: a
// service that fails starts the shutdown, another is stopped by its
// terminate program, a log program relays stdout; exit code 3, every byte
// written out, the exit message last.
func TestTurnRunsServicesToTheEnd(t *testing.T) {
	dir := writeService(t, map[string]string{
		"a/run":       "#!/bin/sh\nexec sleep 1000\n",
		"a/terminate": "#!/bin/sh\necho \"stopping $DINIT_PID\"\nkill \"$DINIT_PID\"\n",
		"b/run":       "#!/bin/sh\necho '{\"b\":1}'\necho oops >&2\nexit 7\n",
		"b/log/run":   "#!/bin/sh\nwhile read -r l; do echo \"$l\"; done\n",
	})
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Stdout: StdoutJSON, KillTimeout: time.Second})
	killProcsAtEnd(t, s)
	svcs, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.services = svcs
	startAll(s)
	a, b, bl := svcs[0].run.pid, svcs[1].run.pid, svcs[1].log.pid
	deadline := time.Now().Add(10 * time.Second)
	for !s.done() {
		if time.Now().After(deadline) {
			t.Fatalf("not done after 10 s:\n%s", strings.Join(messages(s), "\n"))
		}
		s.turn()
	}
	if s.code() != ExitService {
		t.Fatalf("exit code %d, want %d", s.code(), ExitService)
	}
	if got := stdoutText(s); got != `{"b":1,"service":"b","stage":"run","logged":"TS"}`+"\n" {
		t.Fatalf("stdout %q", got)
	}
	lines := messages(s)
	m := regexp.MustCompile(`a/term: running with PID (\d+)`).FindStringSubmatch(strings.Join(lines, "\n"))
	if m == nil {
		t.Fatalf("no terminate program started:\n%s", strings.Join(lines, "\n"))
	}
	term := m[1]
	sameLines(t, "start", lines[:6], []string{
		"TS dinit: info: a/run: starting",
		"TS dinit: info: a/run: running with PID " + itoa(a),
		"TS dinit: info: b/log: starting",
		"TS dinit: info: b/log: running with PID " + itoa(bl),
		"TS dinit: info: b/run: starting",
		"TS dinit: info: b/run: running with PID " + itoa(b),
	})
	if last := lines[len(lines)-1]; last != "TS dinit: warning: dinit exiting with status 3" {
		t.Fatalf("last line %q", last)
	}
	rest := slices.Clone(lines[6 : len(lines)-1])
	slices.Sort(rest)
	want := []string{
		"TS b/run: oops",
		"TS dinit: info: a/run: PID " + itoa(a) + " finished with signal 15",
		"TS dinit: info: a/run: terminating",
		"TS dinit: info: a/term: PID " + term + " finished with status 0",
		"TS dinit: info: a/term: relayed 1 line (" + itoa(len("stopping \n")+len(itoa(a))) + " bytes) on stdout, 0 on stderr; 1 not JSON",
		"TS dinit: info: a/term: running with PID " + term,
		"TS dinit: info: a/term: starting",
		"TS dinit: info: b/log: PID " + itoa(bl) + " finished with status 0",
		"TS dinit: info: b/log: relayed 1 line (8 bytes) on stdout, 0 on stderr",
		"TS dinit: info: b/run: PID " + itoa(b) + " finished with status 7",
		"TS dinit: info: b/run: relayed 1 line (5 bytes) on stderr",
		"TS dinit: warning: a/term: not JSON stdout: stopping " + itoa(a),
		"TS dinit: warning: shutting down: b/run: PID " + itoa(b) + " finished with status 7",
	}
	sameLines(t, "after the start (sorted)", rest, want)
	// Causes before effects; the reason right after the end.
	at := func(l string) int { return slices.Index(lines, l) }
	if !(at(want[9])+1 == at(want[12]) && at(want[12]) < at(want[2]) && at(want[2]) < at(want[6]) && at(want[6]) < at(want[5])) {
		t.Fatalf("out of order:\n%s", strings.Join(lines, "\n"))
	}
	if len(s.procs) != 0 || s.out.Open() != 0 || s.loop.Registered() != 0 {
		t.Fatalf("left: %d processes, %d sources, %d registrations", len(s.procs), s.out.Open(), s.loop.Registered())
	}
}

// epoll_wait failing (a programming error) is reported and leads through
// the planned path: exit code 1, shutdown, the exit message.
func TestTurnSurvivesAPollFailure(t *testing.T) {
	// loop.New takes the lowest free descriptor: find it first.
	fd, err := sys.OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	sys.Close(fd)
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	if target, _ := os.Readlink("/proc/self/fd/" + itoa(fd)); target != "anon_inode:[eventpoll]" {
		t.Skipf("the loop did not get fd %d (%s)", fd, target)
	}
	devnull, err := sys.OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	// The loop's epoll fd now names /dev/null: epoll_wait fails with
	// EINVAL. (The loop's Close closes it: no fd is closed twice.)
	if err := unix.Dup3(devnull, fd, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	sys.Close(devnull)
	s.turn()
	expectMessages(t, s,
		"TS dinit: error: waiting for events: epoll_wait: invalid argument",
		"TS dinit: warning: shutting down: waiting for events failed",
		"TS dinit: warning: dinit exiting with status 1")
	if !s.stopping() || s.code() != ExitFailure || !s.done() {
		t.Fatalf("phase=%d code=%d done=%v", s.phase, s.code(), s.done())
	}
}

func TestFinishWritesTheExitMessage(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	s.out.Warnf("no services found, exiting")
	if code := s.finish(ExitOK); code != ExitOK {
		t.Fatalf("finish returned %d", code)
	}
	expectMessages(t, s,
		"TS dinit: warning: no services found, exiting",
		"TS dinit: info: dinit exiting with status 0")
	if s.phase != exiting || !s.done() || s.code() != ExitOK {
		t.Fatalf("phase=%d done=%v code=%d", s.phase, s.done(), s.code())
	}
	// At level error, nothing is said, and finish still returns the code.
	s = newUnitSupervisor(t, Config{Level: LevelError})
	if code := s.finish(ExitFailure); code != ExitFailure || s.code() != ExitFailure {
		t.Fatalf("finish returned %d, code %d", code, s.code())
	}
	expectMessages(t, s)
}

func TestTickSetsTheClockOfEveryLine(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	before := time.Now()
	s.tick()
	if s.now.Before(before) || time.Since(s.now) > time.Minute {
		t.Fatalf("now %v", s.now)
	}
	want := s.now.UTC().Format("2006-01-02T15:04:05.000Z")
	s.out.Infof("x")
	if got := written(s, true); got != want+" dinit: info: x\n" {
		t.Fatalf("line %q, want the time %s", got, want)
	}
}

// PID 1 is a reaper already: nothing to register, nothing said.
func TestBecomeSubreaperAsPID1(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	s.self = 1
	s.becomeSubreaper()
	expectMessages(t, s)
}

// A fresh supervisor has no reason to exit (code 0 if it ended now); the
// first reason recorded is the code, whatever comes after.
func TestRecordExitKeepsTheFirstReason(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{})
	if s.exitCode != noReason || s.code() != ExitOK {
		t.Fatalf("a fresh supervisor: exitCode %d, code %d", s.exitCode, s.code())
	}
	s.recordExit(ExitService)
	s.recordExit(ExitOK)
	s.recordExit(ExitFailure)
	if s.exitCode != ExitService || s.code() != ExitService {
		t.Fatalf("exitCode %d, code %d, want %d", s.exitCode, s.code(), ExitService)
	}
	// ExitOK is a reason too: a later failure does not replace it.
	s = newUnitSupervisor(t, Config{})
	s.recordExit(ExitOK)
	s.recordExit(ExitService)
	if s.code() != ExitOK {
		t.Fatalf("code %d after OK then a failure, want %d", s.code(), ExitOK)
	}
}

// The loop handlers only record: the turn acts on them, in order. (The
// sinks' handler is the relay's, tested there.)
func TestEventHandlersOnlyRecord(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	(&process{sup: s}).Event(unix.EPOLLIN)
	signalHandler{s}.Event(unix.EPOLLIN)
	if !s.reapNeeded || !s.sigSeen || s.out.Pending() != 0 {
		t.Fatalf("reapNeeded=%v sigSeen=%v pending=%d", s.reapNeeded, s.sigSeen, s.out.Pending())
	}
	expectMessages(t, s)
}

// The phase only moves forward, each step once: running (a turn with
// nothing left does not exit), stopping at the first reason (a second
// shutdown does nothing), exiting at the first turn that finds everything
// ended; then done, with every byte out. Nothing moves it back.
func TestPhaseMovesForwardOnce(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	fakeReparented(t, s, nil) // no child: the scans see none, and do not reap
	if s.phase != running || s.stopping() || s.done() {
		t.Fatalf("fresh: phase=%d stopping=%v done=%v", s.phase, s.stopping(), s.done())
	}
	s.turn()
	if s.phase != running {
		t.Fatalf("a turn with nothing running: phase %d, want running", s.phase)
	}
	web := addRun(s, "web", 5000008) // no such process: signals to it are no failure
	s.shutdown()
	s.shutdown()
	expectMessages(t, s,
		"TS dinit: info: web/run: terminating",
		"TS dinit: info: web/run: sending SIGTERM to PID 5000008")
	if s.phase != stopping || !s.stopping() {
		t.Fatalf("after the shutdown: phase %d", s.phase)
	}
	s.turn()
	if s.phase != stopping {
		t.Fatalf("a turn with a process left: phase %d", s.phase)
	}
	s.ended(web.run, sys.ExitStatus{Signal: unix.SIGTERM})
	s.turn()
	expectMessages(t, s,
		"TS dinit: info: web/run: PID 5000008 finished with signal 15",
		"TS dinit: info: dinit exiting with status 0")
	if s.phase != exiting || !s.stopping() || !s.done() || s.code() != ExitOK {
		t.Fatalf("phase=%d done=%v code=%d", s.phase, s.done(), s.code())
	}
	s.shutdown()
	s.handleSignal(unix.SIGTERM)
	expectMessages(t, s, "TS dinit: info: got signal 15, already terminating services")
	if s.phase != exiting || s.code() != ExitOK {
		t.Fatalf("after exiting: phase=%d code=%d", s.phase, s.code())
	}
}
