package status

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

const nobody = 65534

// dialAs connects to name with the effective uid set to uid on this thread
// only. The kernel records the connecting thread's credentials for
// SO_PEERCRED, and credentials are per thread under Linux, so changing
// them around one connect on a locked thread is a client of another uid
// without exec'ing a child (which, as nobody, could not run the test
// binary under go test's 0700 build directory). The thread is never
// unlocked: should it fail to get root back, it ends with the goroutine.
func dialAs(t *testing.T, name string, uid int) int {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to connect as another uid")
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = connectAs(fd, name, uid)
		}
		done <- result{fd, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { _ = unix.Close(r.fd) })
	return r.fd
}

// connectAs connects fd with the thread's euid set to uid, then back to 0.
func connectAs(fd int, name string, uid int) error {
	const keep = ^uintptr(0) // -1: leave this id as it is
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, keep, uintptr(uid), keep); e != 0 {
		return os.NewSyscallError("setresuid", e)
	}
	err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name})
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, keep, 0, keep); e != 0 {
		return os.NewSyscallError("setresuid back", e)
	}
	return err
}

// A peer of another uid is closed at once, unanswered, with a warning.
func TestServeRefusesOtherUid(t *testing.T) {
	ts := newTestServer(t)
	c := dialAs(t, ts.name, nobody)
	send(t, c, "status\n")
	ts.driveUntil(t, "refused", func() bool { return len(ts.log.lines) > 0 })
	if ts.Clients() != 0 || len(ts.ans.requests) != 0 {
		t.Fatalf("%d clients open, %q answered", ts.Clients(), ts.ans.requests)
	}
	if got := readReply(t, c); got != "" {
		t.Fatalf("read %q, want EOF", got)
	}
	ts.logged(t, "warn status: refused a client of uid 65534 (PID "+strconv.Itoa(os.Getpid())+")")
}

// A peer of the server's own uid may ask (here the server is made to run
// as nobody, since the tests run as root).
func TestServeAnswersOwnUid(t *testing.T) {
	ts := newTestServer(t)
	ts.uid = nobody
	c := dialAs(t, ts.name, nobody)
	send(t, c, "status\n")
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "reply to status\n" {
		t.Fatalf("reply %q", got)
	}
	ts.logged(t)
}
