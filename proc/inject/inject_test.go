//go:build amd64 || arm64

package inject

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// injPipe is a pipe whose both ends are closed at the end of the test.
func injPipe(t testing.TB) (r, w int) {
	t.Helper()
	r, w, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(r, w) })
	return r, w
}

// injLine reads one line from fd, within 5 s.
func injLine(t *testing.T, fd int) string {
	t.Helper()
	var line []byte
	b := make([]byte, 1)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 5000); n == 0 {
			t.Fatalf("no line within 5 s (got %q)", line)
		}
		if n, _ := unix.Read(fd, b); n <= 0 || b[0] == '\n' {
			return string(line)
		}
		line = append(line, b[0])
	}
}

// injNothing checks that nothing more arrives on fd (every writer gone).
func injNothing(t *testing.T, fd int) {
	t.Helper()
	if n, _ := unix.Read(fd, make([]byte, 256)); n != 0 {
		t.Fatalf("fd %d got %d more bytes", fd, n)
	}
}

// injNothingYet checks that nothing can be read from fd now.
func injNothingYet(t *testing.T, fd int) {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		t.Fatalf("fd %d has something to read already", fd)
	}
}

// injRedirect redirects pid to two new pipes whose read ends it returns;
// our write ends are closed, as the supervisor does once the job ends.
func injRedirect(t *testing.T, pid int) (outR, errR int) {
	t.Helper()
	outR, outW, _ := sys.PlainPipe()
	errR, errW, _ := sys.PlainPipe()
	t.Cleanup(func() { sys.Close(outR, errR) })
	warnings, err := redirectAdopted(pid, outW, errW)
	sys.Close(outW, errW)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("redirect: %v, warnings %v", err, warnings)
	}
	return outR, errR
}

func injExpectExit(t *testing.T, pid, code int) {
	t.Helper()
	if ws := ptWaitEnd(t, pid); !ws.Exited() || ws.ExitStatus() != code {
		t.Fatalf("ended with %#x, want status %d", ws, code)
	}
}

// A tracee blocked in read(2) has its read restarted: it still receives
// what is written later, and says so through our pipe, with its code.
func TestRedirectReadBlocked(t *testing.T) {
	ptLock(t)
	inR, inW := injPipe(t)
	oldR, oldW := injPipe(t)
	pid := ptStart(t, inR, oldW, -1, "/bin/sh", "-c", `read x; echo "got $x"; echo "err $x" >&2; exit 3`)
	sys.Close(oldW)
	ptWaitBlocked(t, pid, "sh")
	outR, errR := injRedirect(t, pid)
	_, _ = unix.Write(inW, []byte("hello\n"))
	if got := injLine(t, outR); got != "got hello" {
		t.Fatalf("stdout %q", got)
	}
	if got := injLine(t, errR); got != "err hello" {
		t.Fatalf("stderr %q", got)
	}
	injExpectExit(t, pid, 3)
	injNothing(t, oldR)
}

// A tracee blocked in clock_nanosleep (sleep 1, as the descendant of a
// shell blocked in wait4) keeps its end time; both are redirected.
func TestRedirectSleepBlocked(t *testing.T) {
	ptLock(t)
	oldR, oldW := injPipe(t)
	start := time.Now()
	pid := ptStart(t, -1, oldW, oldW, "/bin/sh", "-c", `sleep 1; echo "slept"; exit 5`)
	sys.Close(oldW)
	ptWaitBlocked(t, pid, "sh")
	kids, _ := procfs.Children(pid)
	if len(kids) != 1 {
		t.Fatalf("children %v", kids)
	}
	ptWaitBlocked(t, kids[0], "sleep")
	time.Sleep(300 * time.Millisecond)
	outR, _ := injRedirect(t, pid)
	for _, p := range []int{pid, kids[0]} {
		if got, _ := os.Readlink(filepath.Join("/proc", strconv.Itoa(p), "fd", "1")); got != injTarget(t, outR) {
			t.Fatalf("PID %d stdout %s", p, got)
		}
	}
	if got := injLine(t, outR); got != "slept" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 5)
	if d := time.Since(start); d < time.Second || d > 1300*time.Millisecond {
		t.Fatalf("sleep 1 took %v", d)
	}
	injNothing(t, oldR)
}

// injTarget is the /proc link target of our own fd.
func injTarget(t *testing.T, fd int) string {
	t.Helper()
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		t.Fatal(err)
	}
	return target
}

// A tracee blocked in pause: redirected, it goes on waiting; a signal
// then ends the pause with EINTR as usual, and it says so through us.
func TestRedirectPauseBlocked(t *testing.T) {
	ptLock(t)
	pid, _ := ptHelperReady(t, "pause")
	ptWaitBlocked(t, pid, "")
	outR, _ := injRedirect(t, pid)
	ptWaitState(t, pid, 'S') // back in pause
	injNothingYet(t, outR)
	_ = unix.Tgkill(pid, pid, unix.SIGUSR1)
	if got := injLine(t, outR); got != "after pause: interrupted system call" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 0)
}

// A signal that arrives while we work on a tracee in pause is kept queued
// (every signal is blocked meanwhile) and delivered after the detach: its
// handler runs and the pause returns EINTR, as it would have without us.
// (arm64 restarts the pause instead: see ptRestore there.)
func TestPauseSignalDuringInjection(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("amd64 only")
	}
	ptLock(t)
	pid, oldR := ptHelperReady(t, "pause")
	ptWaitBlocked(t, pid, "") // in pause
	tr, err := ptSeize(pid, pid, true, time.Now().Add(ptStepBudget))
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.Tgkill(pid, pid, unix.SIGUSR1)
	if got, err := tr.call(unix.SYS_GETPID); err != nil || int(got) != pid {
		t.Fatalf("getpid = %d, %v", got, err)
	}
	tr.release()
	if got := injLine(t, oldR); got != "after pause: interrupted system call" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 0)
}

func injDevNull(t *testing.T) int {
	t.Helper()
	fd, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(fd) })
	return fd
}

// A daemon's child that inherited stdout and stderr (the daemon is adopted,
// its child is not our child) writes through us too, and so does the
// grandchild it starts after the redirection.
func TestRedirectDaemonChild(t *testing.T) {
	ptLock(t)
	dir := t.TempDir()
	oldR, oldW := injPipe(t)
	oldErrR, oldErrW := injPipe(t)
	script := `(while [ ! -e go ]; do sleep 0.01; done; echo child out; echo child err >&2; sh -c 'echo grandchild out') &
while [ ! -e go ]; do sleep 0.01; done; echo daemon out; wait; exit 7`
	pid := ptStartAttr(t, &syscall.SysProcAttr{}, -1, oldW, oldErrW, "/bin/sh", "-c", "cd "+dir+" || exit 1\n"+script)
	sys.Close(oldW, oldErrW)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if kids, _ := procfs.Children(pid); len(kids) > 0 && commOf(pid) == "sh" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no child")
		}
	}
	outR, errR := injRedirect(t, pid)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	outs := map[string]bool{}
	for range 3 {
		outs[injLine(t, outR)] = true
	}
	if !outs["child out"] || !outs["daemon out"] || !outs["grandchild out"] {
		t.Fatalf("stdout %v", outs)
	}
	if got := injLine(t, errR); got != "child err" {
		t.Fatalf("stderr %q", got)
	}
	injExpectExit(t, pid, 7)
	injNothing(t, oldR)
	injNothing(t, oldErrR)
}

// Copies of stdout keep their close-on-exec flag; the read end of the
// same pipe (same link target) and stdin are left alone.
func TestRedirectKeepsReadEndsAndCloexec(t *testing.T) {
	ptLock(t)
	inR, inW := injPipe(t)
	oldR, oldW := injPipe(t)
	pid := ptHelperStart(t, "dups", inR, oldW, oldW, oldR)
	sys.Close(oldW)
	if got := injLine(t, oldR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	oldTarget := injTarget(t, oldR)
	outR, errR := injRedirect(t, pid)
	links := map[int]string{}
	for _, fd := range []int{0, 1, 2, 3, 4, 5} {
		links[fd], _ = os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "fd", strconv.Itoa(fd)))
	}
	if links[3] != oldTarget || links[0] != injTarget(t, inR) {
		t.Fatalf("read end or stdin replaced: %v", links)
	}
	for _, fd := range []int{1, 4, 5} {
		if links[fd] != injTarget(t, outR) {
			t.Fatalf("fd %d -> %s, want our stdout pipe: %v", fd, links[fd], links)
		}
	}
	if links[2] != injTarget(t, errR) {
		t.Fatalf("fd 2 -> %s: %v", links[2], links)
	}
	for fd, want := range map[int]bool{1: false, 2: false, 4: true, 5: false} {
		if _, cloexec, _ := fdFlags(pid, pid, fd); cloexec != want {
			t.Fatalf("fd %d close-on-exec %v, want %v", fd, cloexec, want)
		}
	}
	_, _ = unix.Write(inW, []byte("x"))
	for range 3 {
		if got := injLine(t, outR); got != "out" {
			t.Fatalf("stdout %q", got)
		}
	}
	if got := injLine(t, errR); got != "err" {
		t.Fatalf("stderr %q", got)
	}
	injExpectExit(t, pid, 0)
}

// A zombie cannot be redirected, says so, and is left for the reaper.
func TestRedirectZombie(t *testing.T) {
	ptLock(t)
	pid := ptStart(t, -1, -1, -1, "/bin/true")
	ptWaitState(t, pid, 'Z')
	_, ow := injPipe(t)
	_, ew := injPipe(t)
	if _, err := redirectAdopted(pid, ow, ew); !errors.Is(err, errPtZombie) {
		t.Fatalf("err = %v, want %v", err, errPtZombie)
	}
	if got, err := sys.PeekExited(Claim); got != pid || err != nil {
		t.Fatalf("PeekExited = %d, %v", got, err)
	}
	injExpectExit(t, pid, 0)
}

// A tracee in uninterruptible sleep (here a vfork parent) does not stop:
// the redirection gives up within the bound, the tracee is left adrift, and
// its stop, when it comes, reaches the reaper (sys.PeekExited), which detaches
// it. It then carries on, never stopped, with its old output.
func TestRedirectUninterruptible(t *testing.T) {
	ptLock(t)
	pid, oldR := ptHelperReady(t, "vfork")
	ptWaitState(t, pid, 'D')
	_, ow := injPipe(t)
	_, ew := injPipe(t)
	start := time.Now()
	_, err := redirectAdopted(pid, ow, ew)
	d := time.Since(start)
	if !errors.Is(err, errPtTimeout) {
		t.Fatalf("err = %v, want %v", err, errPtTimeout)
	}
	t.Logf("gave up after %v", d)
	if d > ptStepBudget+100*time.Millisecond {
		t.Fatalf("the loop was blocked %v", d)
	}
	if ptAdrift[pid] == nil {
		t.Fatal("not adrift")
	}
	ptDrainAdrift(t)
	if got := injLine(t, oldR); got != "vfork done" {
		t.Fatalf("stdout %q", got)
	}
	ptWaitState(t, pid, 'S')
	if st, tracer := procState(pid, pid), ptTracerOf(pid); st != 'S' || tracer != 0 {
		t.Fatalf("state %c, tracer %d", st, tracer)
	}
}

// ptDropPtraceCap drops CAP_SYS_PTRACE from this thread's effective set
// (capabilities are per thread) until the end of the test: as dinit under
// Docker's default capabilities.
func ptDropPtraceCap(t *testing.T) {
	t.Helper()
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	saved := data
	data[0].Effective &^= 1 << unix.CAP_SYS_PTRACE
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Capset(&hdr, &saved[0]) })
}

// Another user's process, without CAP_SYS_PTRACE: its descriptors cannot
// even be listed, nor can it be seized; the error says why.
func TestRedirectAnotherUserWithoutCapability(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	pid := ptStartAttr(t, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}},
		-1, -1, -1, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	ptDropPtraceCap(t)
	_, ow := injPipe(t)
	_, ew := injPipe(t)
	_, err := redirectAdopted(pid, ow, ew)
	want := "readlink /proc/" + strconv.Itoa(pid) + "/fd/1: permission denied"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if _, err := ptSeize(pid, pid, true, time.Now().Add(ptStepBudget)); !errors.Is(err, unix.EPERM) {
		t.Fatalf("seize: %v, want EPERM", err)
	}
	if tracer := ptTracerOf(pid); tracer != 0 {
		t.Fatalf("traced by %d", tracer)
	}
}

// The same process, with CAP_SYS_PTRACE (root in a container started with
// --cap-add SYS_PTRACE): redirected.
func TestRedirectAnotherUserWithCapability(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	dir, err := os.MkdirTemp("", "dinit-adopt-") // t.TempDir's parent is closed to others
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, oldW := injPipe(t)
	pid := ptStartAttr(t, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}},
		-1, oldW, oldW, "/bin/sh", "-c", "cd "+dir+" || exit 1; while [ ! -e go ]; do sleep 0.01; done; echo nobody says hi")
	ptWaitComm(t, pid, "sh")
	outR, _ := injRedirect(t, pid)
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := injLine(t, outR); got != "nobody says hi" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 0)
}

// A process under a seccomp filter of its own is left alone (its filter
// could kill it for our calls): how the filters are counted.
func TestSeccompOf(t *testing.T) {
	mode, n := seccompOf("Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t3\nSpeculation_Store_Bypass:\tthread vulnerable\n")
	if mode != "2" || n != 3 {
		t.Fatalf("seccompOf = %q, %d", mode, n)
	}
	if mode, n := seccompOf("Seccomp:\t0\n"); mode != "0" || n != 0 {
		t.Fatalf("seccompOf = %q, %d", mode, n)
	}
}

// No descriptor leaks into the tracee: after many redirections it holds
// what it held before.
func TestRedirectLeavesNothingBehind(t *testing.T) {
	ptLock(t)
	_, oldW := injPipe(t)
	pid := ptStart(t, -1, oldW, oldW, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	before := injFdCount(t, pid)
	maps, _ := ptReadProc(pid, "maps")
	for range 20 {
		injRedirect(t, pid)
	}
	if after := injFdCount(t, pid); after != before {
		t.Fatalf("%d fds before, %d after", before, after)
	}
	if after, _ := ptReadProc(pid, "maps"); strings.Count(after, "\n") != strings.Count(maps, "\n") {
		t.Fatalf("mappings changed:\n%s\n---\n%s", maps, after)
	}
}

func injFdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// A stopped process (SIGSTOP) is redirected and stays stopped; SIGCONT
// lets it go on, writing through us.
func TestRedirectStoppedProcess(t *testing.T) {
	ptLock(t)
	_, oldW := injPipe(t)
	inR, inW := injPipe(t)
	pid := ptStart(t, inR, oldW, oldW, "/bin/sh", "-c", `read x; echo "got $x"`)
	ptWaitBlocked(t, pid, "sh")
	_ = unix.Kill(pid, unix.SIGSTOP)
	ptWaitState(t, pid, 'T')
	outR, _ := injRedirect(t, pid)
	ptWaitState(t, pid, 'T') // back in its group stop once detached
	_, _ = unix.Write(inW, []byte("cont\n"))
	_ = unix.Kill(pid, unix.SIGCONT)
	if got := injLine(t, outR); got != "got cont" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 0)
}

// A process whose main thread has exited while another runs on: another
// thread is seized, and the process's descriptors (shared by its threads)
// are switched.
func TestRedirectZombieLeader(t *testing.T) {
	ptLock(t)
	inR, inW := injPipe(t)
	oldR, oldW := injPipe(t)
	pid := ptHelperStart(t, "zleader", inR, oldW, oldW)
	sys.Close(oldW)
	if got := injLine(t, oldR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	ptWaitState(t, pid, 'Z')
	if tid := liveThread(pid); tid == pid {
		t.Fatalf("no live thread found: %d", tid)
	}
	outR, _ := injRedirect(t, pid)
	_, _ = unix.Write(inW, []byte("x"))
	if got := injLine(t, outR); got != "out" {
		t.Fatalf("stdout %q", got)
	}
	injExpectExit(t, pid, 0)
}
