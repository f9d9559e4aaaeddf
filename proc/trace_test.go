package proc

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lockThread: ptrace requests must come from the thread that seized, as
// on dinit's locked loop thread.
func lockThread(t *testing.T) {
	runtime.LockOSThread()
	t.Cleanup(runtime.UnlockOSThread)
}

// waitComm waits until pid has exec'd name.
func waitComm(t *testing.T, pid int, name string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); commOf(pid) != name; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never became %s", pid, name)
		}
	}
}

// A tracee blocked in nanosleep runs an injected getpid, is released, and
// still sleeps its full time and exits 0.
func TestInjectIntoSleepingProcess(t *testing.T) {
	lockThread(t)
	start := time.Now()
	pid := child(t, "/bin/sleep", "1")
	waitComm(t, pid, "sleep")
	time.Sleep(100 * time.Millisecond)
	tr, err := seize(pid)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tr.syscall(unix.SYS_GETPID)
	tr.release()
	if err != nil || int(got) != pid {
		t.Fatalf("getpid in the tracee = %d, %v; want %d", got, err, pid)
	}
	if st := waitEnd(t, pid); st.failed() {
		t.Fatalf("sleep ended with %v", st)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("sleep 1 ended after %v", d)
	}
}

// startWithPipes starts argv with stdout and stderr on new pipes whose read
// ends are returned.
func startWithPipes(t *testing.T, argv ...string) (pid, outR, errR int) {
	t.Helper()
	or, ow, _ := plainPipe()
	er, ew, _ := plainPipe()
	devnull, _ := openDevNull()
	defer closeFds(ow, ew, devnull)
	pid, _, err := syscall.StartProcess(argv[0], argv, &syscall.ProcAttr{Dir: "/",
		Files: []uintptr{uintptr(devnull), uintptr(ow), uintptr(ew)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Kill(pid, unix.SIGKILL)
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, 0, nil)
		closeFds(or, er)
	})
	return pid, or, er
}

// readLine reads up to a newline from a blocking fd, bounded by a poll.
func readLine(t *testing.T, fd int) string {
	t.Helper()
	var line []byte
	b := make([]byte, 1)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 5000); n == 0 {
			t.Fatalf("no line within 5 s (got %q)", line)
		}
		if n, _ := unix.Read(fd, b); n <= 0 {
			return string(line)
		}
		if b[0] == '\n' {
			return string(line)
		}
		line = append(line, b[0])
	}
}

// The tracee's stdout and stderr, and its child's copies, switch to our
// pipes; it keeps running and its exit code is unchanged.
func TestRedirectOutput(t *testing.T) {
	lockThread(t)
	script := `sh -c 'sleep 0.3; echo child out; echo child err >&2' & sleep 0.3; echo parent out; echo parent err >&2; wait; exit 7`
	pid, oldOut, _ := startWithPipes(t, "/bin/sh", "-c", script)
	waitComm(t, pid, "sh")
	time.Sleep(50 * time.Millisecond) // the child is forked
	or, ow, _ := plainPipe()
	er, ew, _ := plainPipe()
	defer closeFds(or, er)
	warnings, err := redirectOutput(pid, ow, ew)
	closeFds(ow, ew)
	if err != nil || len(warnings) != 0 {
		t.Fatalf("redirect: %v, warnings %v", err, warnings)
	}
	outs := map[string]bool{readLine(t, or): true, readLine(t, or): true}
	errs := map[string]bool{readLine(t, er): true, readLine(t, er): true}
	if !outs["parent out"] || !outs["child out"] || !errs["parent err"] || !errs["child err"] {
		t.Fatalf("stdout %v, stderr %v", outs, errs)
	}
	if st := waitEnd(t, pid); st.code != 7 {
		t.Fatalf("ended with %v, want status 7", st)
	}
	if n, _ := unix.Read(oldOut, make([]byte, 64)); n != 0 {
		t.Fatalf("the old stdout got %d bytes", n)
	}
}

// A process that cannot be redirected (here a zombie: its descriptors are
// gone) gives an error and is left as it is.
func TestRedirectZombieFails(t *testing.T) {
	lockThread(t)
	pid, _, _ := startWithPipes(t, "/bin/true")
	for {
		if got, _ := peekExited(); got == pid {
			break
		}
		time.Sleep(time.Millisecond)
	}
	_, ow, _ := plainPipe()
	_, ew, _ := plainPipe()
	defer closeFds(ow, ew)
	if _, err := redirectOutput(pid, ow, ew); err == nil {
		t.Fatal("redirecting a zombie succeeded")
	}
	if _, ok := reapPID(pid); !ok {
		t.Fatal("the zombie was reaped or lost by the attempt")
	}
}

// TestAdoptTiming measures how long one redirection stops the tracee (the
// whole seize-to-detach of redirectOutput, which is also how long it blocks
// dinit's loop) over 100 adoptions of a sleeping shell. A figure, not an
// assertion: go test -run TestAdoptTiming -v ./proc
func TestAdoptTiming(t *testing.T) {
	lockThread(t)
	pid, _, _ := startWithPipes(t, "/bin/sh", "-c", "while :; do sleep 1; done")
	waitComm(t, pid, "sh")
	var ds []time.Duration
	for i := 0; i < 100; i++ {
		_, ow, _ := plainPipe()
		_, ew, _ := plainPipe()
		start := time.Now()
		_, err := redirectOutput(pid, ow, ew)
		ds = append(ds, time.Since(start))
		closeFds(ow, ew)
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(ds)
	t.Logf("redirect (tracee stopped, loop blocked), 100 runs: median %v, worst %v", ds[50], ds[99])
}

// A tracee blocked in read(2) on its stdin gets its read restarted: it
// still receives what is written later, and says so through our pipe.
func TestRedirectReadBlockedProcess(t *testing.T) {
	lockThread(t)
	inR, inW, _ := plainPipe()
	oldR, oldW, _ := plainPipe()
	devnull, _ := openDevNull()
	argv := []string{"/bin/sh", "-c", `read x; echo "got $x"; exit 3`}
	pid, _, err := syscall.StartProcess(argv[0], argv, &syscall.ProcAttr{Dir: "/",
		Files: []uintptr{uintptr(inR), uintptr(oldW), uintptr(devnull)}})
	closeFds(inR, oldW, devnull)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFds(inW, oldR)
	waitComm(t, pid, "sh")
	time.Sleep(50 * time.Millisecond) // in read(2)
	or, ow, _ := plainPipe()
	er, ew, _ := plainPipe()
	defer closeFds(or, er)
	if _, err := redirectOutput(pid, ow, ew); err != nil {
		t.Fatal(err)
	}
	closeFds(ow, ew)
	unix.Write(inW, []byte("hello\n"))
	if got := readLine(t, or); got != "got hello" {
		t.Fatalf("got %q", got)
	}
	if st := waitEnd(t, pid); st.code != 3 {
		t.Fatalf("ended with %v, want status 3", st)
	}
}

// stdin is never replaced, even when it is the same file as stdout
// (/dev/null); a path target is followed on fds 1 and 2 only.
func TestPlanSkipsStdinAndPathCopies(t *testing.T) {
	fakeProc(t, nil)
	dir := filepath.Join(procRoot, "7", "fd")
	os.MkdirAll(dir, 0o755)
	for fd, target := range map[string]string{"0": "/dev/null", "1": "/dev/null", "2": "pipe:[9]", "5": "/dev/null", "6": "pipe:[9]"} {
		os.Symlink(target, filepath.Join(dir, fd))
	}
	got := planFor(7, "/dev/null", "pipe:[9]")
	want := plan{1: false, 2: true, 6: true}
	if len(got) != len(want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	for fd, toErr := range want {
		if v, ok := got[fd]; !ok || v != toErr {
			t.Fatalf("plan %v, want %v", got, want)
		}
	}
}
