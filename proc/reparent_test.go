package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// fakeReparented lays out a fake /proc in which the supervisor's main
// thread lists pids as its children (a second thread lists none), each
// with the given command line (NUL-separated) and comm. The scan then does
// not reap (as with pidfds): ends are reaped where the test says.
func fakeReparented(t *testing.T, s *Supervisor, procs map[int][2]string, pids ...int) {
	t.Helper()
	s.pidfds = true
	self := itoa(s.self)
	files := map[string]string{self + "/task/" + self + "/children": "", self + "/task/999999/children": ""}
	for pid, cc := range procs {
		files[itoa(pid)+"/cmdline"] = cc[0]
		files[itoa(pid)+"/comm"] = cc[1] + "\n"
	}
	fakeProcfs(t, s, files)
	setChildren(t, s, pids...)
}

// fakeProcfs lays out a fake /proc tree (name: content) and points the
// supervisor's procfs at it. /proc/self names the test process, as in its
// own namespace, unless files give "self" (then the link's target).
func fakeProcfs(t *testing.T, s *Supervisor, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	self := strconv.Itoa(os.Getpid())
	for name, content := range files {
		if name == "self" {
			self = content
			continue
		}
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(self, filepath.Join(root, "self")); err != nil {
		t.Fatal(err)
	}
	s.procfs = sys.Proc{Root: root}
	return root
}

// setChildren rewrites the fake children list of the main thread.
func setChildren(t *testing.T, s *Supervisor, pids ...int) {
	t.Helper()
	var b strings.Builder
	for _, pid := range pids {
		b.WriteString(itoa(pid) + " ")
	}
	self := itoa(s.self)
	if err := os.WriteFile(filepath.Join(s.procfs.Root, self, "task", self, "children"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

var sleepCmd = [2]string{"/bin/sleep\x001000\x00", "sleep"}

// A real child listed by the fake /proc: first sight only notes it; at
// timing.young it is terminated (SIGTERM for real, SIGKILL planned), and its
// end is then reaped like any process of ours.
func TestScanTerminatesAReparentedChild(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelDebug, Policy: PolicyTerminate, KillTimeout: 7 * time.Second})
	pid := kid(t, -1, "/bin/sleep", "1000")
	n := itoa(pid)
	fakeReparented(t, s, map[int][2]string{pid: sleepCmd}, pid)
	start := s.now
	s.scanIfDue() // the zero due time: due at once
	expectMessages(t, s)
	if first, ok := s.reparent.pending[pid]; !ok || !first.Equal(start) || len(s.procs) != 0 {
		t.Fatalf("first sight: pending %v, %d processes", s.reparent.pending, len(s.procs))
	}
	if !s.reparent.due.Equal(start.Add(s.timing.young)) {
		t.Fatalf("next scan in %v, want timing.young", s.reparent.due.Sub(start))
	}
	s.now = start.Add(s.timing.young - time.Nanosecond)
	s.scanIfDue() // not due yet
	expectMessages(t, s)
	if len(s.reparent.pending) != 1 || len(s.procs) != 0 {
		t.Fatal("taken before timing.young")
	}
	s.now = start.Add(s.timing.young)
	s.scanIfDue()
	expectMessages(t, s,
		"TS dinit: warning: sleep/"+n+": terminating reparented child process with PID "+n+": /bin/sleep 1000",
		"TS dinit: info: sleep/"+n+": sending SIGTERM to PID "+n)
	p := s.procs[pid]
	if p == nil || p.role != roleReparented || p.label != "sleep/"+n || p.cmdline != "/bin/sleep 1000" || p.pidfd != -1 {
		t.Fatalf("tracked %+v", p)
	}
	if p.stop != termSent || !p.killAt.Equal(s.now.Add(7*time.Second)) || len(s.killing) != 1 || s.killing[0] != p {
		t.Fatalf("stop=%d kill in %v, %d planned", p.stop, p.killAt.Sub(s.now), len(s.killing))
	}
	if len(s.reparent.pending) != 0 || !s.reparent.due.Equal(s.now.Add(s.timing.scan)) {
		t.Fatalf("pending %v, next scan in %v", s.reparent.pending, s.reparent.due.Sub(s.now))
	}
	// Known now: a later scan leaves it be.
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s)
	waitExited(t, pid)
	s.reap()
	expectMessages(t, s,
		"TS dinit: info: sleep/"+n+": PID "+n+" finished with signal 15",
		"TS dinit: debug: reaped 1 process in D")
	s.fireKills()
	if len(s.procs) != 0 || len(s.killing) != 0 || s.stopping() || s.exitCode != noReason {
		t.Fatalf("procs=%d killing=%d phase=%d exitCode=%d", len(s.procs), len(s.killing), s.phase, s.exitCode)
	}
}

// An empty command line (a kernel thread, or memory already gone): the
// name and the command line are the comm.
func TestScanNamesByCommWithoutCmdline(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	pid := kid(t, -1, "/bin/sleep", "1000")
	n := itoa(pid)
	fakeReparented(t, s, map[int][2]string{pid: {"", "worker thing"}}, pid)
	s.scanIfDue()
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s,
		"TS dinit: warning: worker thing/"+n+": terminating reparented child process with PID "+n,
		"TS dinit: info: worker thing/"+n+": sending SIGTERM to PID "+n)
}

// ignore: a debug line, and the process is left running and unsignalled,
// until the shutdown, which terminates it.
func TestScanIgnoreLeavesItRunningUntilShutdown(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug, Policy: PolicyIgnore, KillTimeout: time.Second})
	pid := blockedKid(t, "/bin/sleep", "1000") // signals sent to it stay pending
	n := itoa(pid)
	fakeReparented(t, s, map[int][2]string{pid: sleepCmd}, pid)
	s.scanIfDue()
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s, "TS dinit: debug: sleep/"+n+": ignoring reparented child process with PID "+n)
	p := s.procs[pid]
	if p == nil || p.role != roleReparented || p.stop != notStopped || len(s.killing) != 0 {
		t.Fatalf("tracked %+v, %d planned kills", p, len(s.killing))
	}
	if got := pendingSignals(t, pid); got != 0 {
		t.Fatalf("pending signals %#x: an ignored process was signalled", got)
	}
	s.shutdown()
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": sending SIGTERM to PID "+n)
	if got := pendingSignals(t, pid); got != sigBit(unix.SIGTERM) {
		t.Fatalf("pending signals %#x, want SIGTERM", got)
	}
	if p.stop != termSent || len(s.killing) != 1 || !p.killAt.Equal(s.now.Add(time.Second)) {
		t.Fatalf("stop=%d planned=%d kill in %v", p.stop, len(s.killing), p.killAt.Sub(s.now))
	}
}

// adopt: a warning, the role adopted, no signal, its output redirection
// queued; its end starts the shutdown with the exit code its status
// decides. (The redirection is a fake that fails: its warning.)
func TestScanAdoptsAndItsEndStartsShutdown(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt})
	fakeRedirects(s, func(int) (*fakeRedirector, error) { return nil, errNoRedirection })
	pid, w := gate(t, "/bin/sh", "-c", "read x; exit 4")
	n := itoa(pid)
	fakeReparented(t, s, map[int][2]string{pid: {"/bin/sh\x00-c\x00read x; exit 4\x00", "sh"}}, pid)
	s.scanIfDue()
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": adopting reparented child process with PID "+n+": /bin/sh -c read x; exit 4")
	p := s.procs[pid]
	if p == nil || p.role != roleAdopted || p.label != "sh/"+n || p.stop != notStopped || len(s.killing) != 0 {
		t.Fatalf("tracked %+v, %d planned kills", p, len(s.killing))
	}
	if len(s.adoptions) != 1 || s.adoptions[0].p != p || s.adoptions[0].name != "sh" {
		t.Fatalf("%d redirections queued", len(s.adoptions))
	}
	adoptAll(t, s)
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": cannot redirect output of PID "+n+": fake: no redirection")
	sys.Close(w)
	waitExited(t, pid)
	s.reap()
	expectMessages(t, s,
		"TS dinit: info: sh/"+n+": PID "+n+" finished with status 4",
		"TS dinit: warning: shutting down: sh/"+n+": adopted process PID "+n+" finished with status 4")
	if !s.stopping() || s.exitCode != ExitService {
		t.Fatalf("phase=%d code=%d", s.phase, s.exitCode)
	}
	runToEnd(t, s) // the sources made for the redirection reach EOF
}

// During the shutdown every newcomer is terminated, whatever the policy,
// and the scan runs every timing.scanStopping.
func TestScanDuringShutdownTerminatesWhateverThePolicy(t *testing.T) {
	for _, policy := range []Policy{PolicyTerminate, PolicyAdopt, PolicyIgnore} {
		t.Run(itoa(int(policy)), func(t *testing.T) {
			s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: policy, KillTimeout: time.Second})
			s.shutdown()
			pid := kid(t, -1, "/bin/sleep", "1000")
			n := itoa(pid)
			fakeReparented(t, s, map[int][2]string{pid: sleepCmd}, pid)
			s.scanIfDue()
			s.now = s.reparent.due
			s.scanIfDue()
			expectMessages(t, s,
				"TS dinit: warning: sleep/"+n+": terminating reparented child process with PID "+n+": /bin/sleep 1000",
				"TS dinit: info: sleep/"+n+": sending SIGTERM to PID "+n)
			if p := s.procs[pid]; p == nil || p.role != roleReparented || p.stop != termSent {
				t.Fatalf("tracked %+v", p)
			}
			if !s.reparent.due.Equal(s.now.Add(s.timing.scanStopping)) {
				t.Fatalf("next scan in %v", s.reparent.due.Sub(s.now))
			}
			waitExited(t, pid)
			s.reap()
			expectMessages(t, s, "TS dinit: info: sleep/"+n+": PID "+n+" finished with signal 15")
		})
	}
}

// Pending PIDs that are no longer listed are dropped; the young ones
// still listed keep their first-seen time.
func TestScanDropsVanishedPending(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	const a, b = 5000001, 5000002 // above any pid_max: never real
	fakeReparented(t, s, nil, a, b)
	start := s.now
	s.scanIfDue()
	if len(s.reparent.pending) != 2 {
		t.Fatalf("pending %v", s.reparent.pending)
	}
	setChildren(t, s, a)
	s.now = start.Add(s.timing.young / 2)
	s.reparent.due = s.now // a SIGCHLD, say
	s.scanIfDue()
	if len(s.reparent.pending) != 1 || !s.reparent.pending[a].Equal(start) {
		t.Fatalf("pending %v, want only %d seen at the start", s.reparent.pending, a)
	}
	if !s.reparent.due.Equal(start.Add(s.timing.young)) {
		t.Fatalf("next scan in %v after the start, want timing.young", s.reparent.due.Sub(start))
	}
	setChildren(t, s)
	s.now = s.reparent.due
	s.scanIfDue()
	if len(s.reparent.pending) != 0 || len(s.procs) != 0 {
		t.Fatalf("pending %v, %d processes", s.reparent.pending, len(s.procs))
	}
	expectMessages(t, s)
}

// Our own processes are in the children list too: never taken for
// reparented ones.
func TestScanSkipsOurOwnProcesses(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelDebug})
	const own = 5000003
	addRun(s, "web", own)
	fakeReparented(t, s, nil, own)
	s.scanIfDue()
	s.now = s.now.Add(time.Hour)
	s.reparent.due = s.now
	s.scanIfDue()
	if len(s.reparent.pending) != 0 || s.procs[own].role != roleRun {
		t.Fatalf("pending %v", s.reparent.pending)
	}
	expectMessages(t, s)
}

// A listing that fails (/proc unmounted) is said once, not at every scan;
// its return is said at info.
func TestScanReportsAListingErrorOnce(t *testing.T) {
	t.Parallel()
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	s.pidfds = true // the scan does not reap
	root := fakeProcfs(t, s, nil)
	s.scanIfDue()
	expectMessages(t, s, "TS dinit: error: listing child processes: open "+
		filepath.Join(root, itoa(s.self), "task")+": no such file or directory"+
		"; reparented processes are not detected until /proc can be read")
	if !s.reparent.due.Equal(s.now.Add(s.timing.scan)) {
		t.Fatalf("next scan in %v", s.reparent.due.Sub(s.now))
	}
	for range 3 {
		s.now = s.reparent.due
		s.scanIfDue()
	}
	expectMessages(t, s)
	fakeProcfs(t, s, map[string]string{itoa(s.self) + "/task/" + itoa(s.self) + "/children": ""})
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s, "TS dinit: info: listing child processes works again")
}

// Without pidfds nothing wakes us when a process ends: the periodic scan
// reaps. With pidfds it does not (the pidfd or SIGCHLD asks for a reap).
func TestScanReapsOnlyWithoutPidfds(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	pid := kid(t, -1, "/bin/true")
	n := itoa(pid)
	waitExited(t, pid)
	fakeReparented(t, s, map[int][2]string{pid: {"", "zombie name"}})
	s.pidfds = true
	s.scanIfDue()
	expectMessages(t, s)
	waitExited(t, pid) // still there, unreaped
	s.pidfds = false
	s.now = s.reparent.due
	s.scanIfDue()
	expectMessages(t, s,
		"TS dinit: warning: zombie name/"+n+": reaping process with PID "+n,
		"TS dinit: info: zombie name/"+n+": PID "+n+" finished with status 0")
}
