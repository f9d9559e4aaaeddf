//go:build amd64 || arm64

package inject

import (
	"errors"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Which descriptors of a process get our pipes, read from /proc.

// The open flags of our own descriptors: access mode and close-on-exec.
func TestFdFlags(t *testing.T) {
	me := os.Getpid()
	r, w := ptPipe(t)
	defer sys.Close(w)
	rw, err := unix.Open("/dev/null", unix.O_RDWR, 0) // not close-on-exec
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(rw)
	wo, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC|unix.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(wo)
	cases := []struct {
		name                  string
		fd                    int
		writable, cloexec, ok bool
	}{
		{"pipe read end", r, false, true, true},
		{"pipe write end", w, true, true, true},
		{"read-write", rw, true, false, true},
		{"write-only", wo, true, true, true},
		{"closed", 1 << 20, false, false, false},
	}
	for _, c := range cases {
		writable, cloexec, ok := fdFlags(me, me, c.fd)
		if writable != c.writable || cloexec != c.cloexec || ok != c.ok {
			t.Errorf("%s (fd %d): writable %v, cloexec %v, ok %v; want %v, %v, %v",
				c.name, c.fd, writable, cloexec, ok, c.writable, c.cloexec, c.ok)
		}
	}
	// Through another thread of ours: the same table.
	if writable, cloexec, ok := fdFlags(me, unix.Gettid(), w); !writable || !cloexec || !ok {
		t.Errorf("through this thread: %v, %v, %v", writable, cloexec, ok)
	}
}

// ptStartFds starts sleep with the given descriptors (-1: closed) and
// waits until it sleeps.
func ptStartFds(t *testing.T, fds ...int) int {
	t.Helper()
	files := make([]uintptr, len(fds))
	for i, fd := range fds {
		files[i] = uintptr(fd) // -1 closes it in the child
	}
	pid, _, err := syscall.StartProcess("/bin/sleep", []string{"/bin/sleep", "1000"},
		&syscall.ProcAttr{Dir: "/", Files: files})
	if err != nil {
		t.Fatal(err)
	}
	ptKillAtEnd(t, pid)
	ptWaitBlocked(t, pid, "sleep")
	return pid
}

// switchesOf lists fds 1 and 2 first, then the other writable copies of
// the targets in the order of their names; read ends, other files, and
// copies of a path target beyond fd 2 are left alone.
func TestSwitchesOf(t *testing.T) {
	aR, aW := ptPipe(t)
	bR, bW := ptPipe(t)
	defer sys.Close(aW, bW)
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(null)
	// fd 0 /dev/null, 1 A, 2 B, 3 A's read end, 4 B, 10 A, 11 /dev/null.
	pid := ptStartFds(t, null, aW, bW, aR, bW, -1, -1, -1, -1, -1, aW, null)
	ts, err := readTargets(pid, pid)
	if err != nil || ts.out != injTarget(t, aW) || ts.err != injTarget(t, bW) {
		t.Fatalf("readTargets = %+v, %v", ts, err)
	}
	want := []fdSwitch{{fd: 1}, {fd: 2, stderr: true}, {fd: 10}, {fd: 4, stderr: true}}
	if got := switchesOf(pid, pid, ts); !slices.Equal(got, want) {
		t.Fatalf("switchesOf = %+v, want %+v", got, want)
	}
	// Both ends of a pipe have one name: B's read end names B; only the
	// writable copies count (fd 3, A's read end, never did).
	want = []fdSwitch{{fd: 2, stderr: true}, {fd: 4, stderr: true}}
	if got := switchesOf(pid, pid, outputTargets{err: injTarget(t, bR)}); !slices.Equal(got, want) {
		t.Fatalf("switchesOf(B only) = %+v, want %+v", got, want)
	}
	if got := switchesOf(noPID, noPID, ts); got != nil {
		t.Fatalf("no process: %+v", got)
	}
}

// A path target (here /dev/null) is followed on fds 1 and 2 only: another
// descriptor naming the same path may be a file the process opened itself.
func TestSwitchesOfAPathTarget(t *testing.T) {
	_, bW := ptPipe(t)
	defer sys.Close(bW)
	null, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(null)
	pid := ptStartFds(t, null, null, bW, -1, -1, null)
	ts, err := readTargets(pid, pid)
	if err != nil || ts != (outputTargets{out: "/dev/null", err: injTarget(t, bW)}) {
		t.Fatalf("readTargets = %+v, %v", ts, err)
	}
	want := []fdSwitch{{fd: 1}, {fd: 2, stderr: true}}
	if got := switchesOf(pid, pid, ts); !slices.Equal(got, want) {
		t.Fatalf("switchesOf = %+v, want %+v", got, want)
	}
}

// When stdout and stderr are one pipe, fd 2 and only fd 2 goes to our
// stderr.
func TestSwitchesOfOnePipe(t *testing.T) {
	_, aW := ptPipe(t)
	defer sys.Close(aW)
	pid := ptStartFds(t, -1, aW, aW, -1, -1, -1, -1, aW)
	ts, err := readTargets(pid, pid)
	if err != nil || ts.out != ts.err || ts.out != injTarget(t, aW) {
		t.Fatalf("readTargets = %+v, %v", ts, err)
	}
	want := []fdSwitch{{fd: 1}, {fd: 2, stderr: true}, {fd: 7}}
	if got := switchesOf(pid, pid, ts); !slices.Equal(got, want) {
		t.Fatalf("switchesOf = %+v, want %+v", got, want)
	}
}

// The targets of a process with stdout or stderr closed; with both closed
// there is nothing to redirect, and New says why.
func TestReadTargetsOfClosedOutput(t *testing.T) {
	ptLock(t)
	_, w := ptPipe(t)
	defer sys.Close(w)
	pid := ptStartFds(t, -1, -1, w)
	if ts, err := readTargets(pid, pid); err != nil || ts != (outputTargets{err: injTarget(t, w)}) {
		t.Fatalf("stdout closed: %+v, %v", ts, err)
	}
	pid = ptStartFds(t, -1, w, -1)
	if ts, err := readTargets(pid, pid); err != nil || ts != (outputTargets{out: injTarget(t, w)}) {
		t.Fatalf("stderr closed: %+v, %v", ts, err)
	}
	pid = ptStartFds(t, -1, -1, -1)
	want := "readlink /proc/" + strconv.Itoa(pid) + "/fd/1: no such file or directory"
	if ts, err := readTargets(pid, pid); err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) || ts != (outputTargets{}) {
		t.Fatalf("both closed: %+v, %v; want %s", ts, err, want)
	}
	if r, err := New(pid, w, w); r != nil || err == nil || err.Error() != want {
		t.Fatalf("New = %v, %v; want %s", r, err, want)
	}
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("traced by %d", tracer)
	}
}

// A live process's main thread is the one to seize; a process that is
// gone has nothing better.
func TestLiveThread(t *testing.T) {
	if got := liveThread(os.Getpid()); got != os.Getpid() {
		t.Fatalf("liveThread(us) = %d", got)
	}
	if got := liveThread(noPID); got != noPID {
		t.Fatalf("liveThread(gone) = %d", got)
	}
}

// New refuses a zombie before anything is opened.
func TestNewOfAZombie(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/true")
	ptWaitState(t, pid, 'Z')
	if r, err := New(pid, -1, -1); r != nil || err != errPtZombie {
		t.Fatalf("New = %v, %v; want %v", r, err, errPtZombie)
	}
	if st, ok := sys.Reap(pid); !ok || st.Failed() {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
}

// What /proc says before a seize: gone, zombie, seccomp strict mode, or
// fine.
func TestCheckTarget(t *testing.T) {
	ptLock(t)
	if err := ptCheckTarget(noPID, noPID); err != errPtGone {
		t.Fatalf("gone: %v", err)
	}
	zombie := ptStart(t, -1, -1, -1, "/bin/true")
	ptWaitState(t, zombie, 'Z')
	if err := ptCheckTarget(zombie, zombie); err != errPtZombie {
		t.Fatalf("zombie: %v", err)
	}
	sleeper := ptStart(t, -1, -1, -1, "/bin/sleep", "1000")
	ptWaitBlocked(t, sleeper, "sleep")
	if err := ptCheckTarget(sleeper, sleeper); err != nil {
		t.Fatalf("sleeping: %v", err)
	}
	if err := ptCheckTarget(os.Getpid(), unix.Gettid()); err != nil {
		t.Fatalf("this thread: %v", err)
	}
}

// A process in seccomp strict mode (any injected call would kill it) is
// refused before it is seized, and goes on untouched.
func TestRedirectStrictSeccomp(t *testing.T) {
	ptLock(t)
	inR, _ := injPipe(t) // the helper blocks reading it
	oldR, oldW := ptPipe(t)
	pid := ptHelperStart(t, "strict", inR, oldW, oldW)
	sys.Close(oldW)
	if got := injLine(t, oldR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	for deadline := time.Now().Add(5 * time.Second); statusField(pid, pid, "Seccomp") != "1"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not in strict mode")
		}
	}
	if err := ptCheckTarget(pid, pid); err != errPtStrict {
		t.Fatalf("ptCheckTarget = %v, want %v", err, errPtStrict)
	}
	_, ow := injPipe(t)
	_, ew := injPipe(t)
	if _, err := redirectAdopted(pid, ow, ew); err != errPtStrict {
		t.Fatalf("redirect: %v, want %v", err, errPtStrict)
	}
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("traced by %d", tracer)
	}
	ptWaitBlocked(t, pid, "") // still in its read
	injNothingYet(t, oldR)
}

// A process under a seccomp filter of its own is refused (its filter may
// kill or trap on our calls); the filters we run under ourselves do not
// count.
func TestCheckTargetSandboxed(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	inR, _ := injPipe(t) // the helper blocks reading it
	null := injDevNull(t)
	pid := ptHelperStart(t, "seccomp", inR, null, null)
	for deadline := time.Now().Add(5 * time.Second); statusField(pid, pid, "Seccomp") != "2"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the helper's seccomp filter is not in place")
		}
	}
	if err := ptCheckTarget(pid, pid); err != errPtSandbox {
		t.Fatalf("ptCheckTarget = %v, want %v", err, errPtSandbox)
	}
	if n, _ := strconv.Atoi(statusField(pid, pid, "Seccomp_filters")); n != ownFilters()+1 {
		t.Fatalf("%d filters, we run under %d", n, ownFilters())
	}
}

// Status fields and the seccomp mode, from status files.
func TestStatusFields(t *testing.T) {
	me := os.Getpid()
	if got := statusField(me, unix.Gettid(), "Tgid"); got != strconv.Itoa(me) {
		t.Fatalf("Tgid = %q, want %d", got, me)
	}
	if got := statusField(me, me, "TracerPid"); got != "0" {
		t.Fatalf("TracerPid = %q", got)
	}
	if got := statusField(me, me, "NoSuchField"); got != "" {
		t.Fatalf("a field that is not there: %q", got)
	}
	if got := statusField(noPID, noPID, "Tgid"); got != "" {
		t.Fatalf("a process that is not there: %q", got)
	}
	for status, want := range map[string]struct {
		mode string
		n    int
	}{
		"Name:\tsleep\nSeccomp:\t0\nSeccomp_filters:\t0\n": {"0", 0},
		"Seccomp:\t1\n":                      {"1", 0},
		"Seccomp_filters:\t2\nSeccomp:\t2\n": {"2", 2}, // any order
		"Name:\told kernel\n":                {"", 0},
		"Seccomp:\t2\nSeccomp_filters:\tx\n": {"2", 0},
		"":                                   {"", 0},
	} {
		if mode, n := seccompOf(status); mode != want.mode || n != want.n {
			t.Errorf("seccompOf(%q) = %q, %d; want %q, %d", status, mode, n, want.mode, want.n)
		}
	}
}
