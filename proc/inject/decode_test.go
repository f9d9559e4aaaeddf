//go:build amd64 || arm64

package inject

import (
	"errors"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The pure decisions of injection: stops, calls, targets and errors.

// A ptrace stop's si_status: PTRACE_EVENT_STOP above the signal is our
// interrupt or a group-stop; SIGTRAP|0x80 a system-call stop
// (PTRACE_O_TRACESYSGOOD); anything else a signal-delivery stop.
func TestDecodeStop(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		wantStop ptStop
		wantSig  syscall.Signal
	}{
		{"interrupt", unix.PTRACE_EVENT_STOP<<8 | int(unix.SIGTRAP), ptInterrupt, 0},
		{"group-stop", unix.PTRACE_EVENT_STOP<<8 | int(unix.SIGSTOP), ptInterrupt, 0},
		{"group-stop by SIGTSTP", unix.PTRACE_EVENT_STOP<<8 | int(unix.SIGTSTP), ptInterrupt, 0},
		{"system call", int(unix.SIGTRAP) | 0x80, ptSyscall, 0},
		{"SIGSTOP delivery", int(unix.SIGSTOP), ptSignal, unix.SIGSTOP},
		{"SIGTRAP delivery", int(unix.SIGTRAP), ptSignal, unix.SIGTRAP},
		{"SIGUSR1 delivery", int(unix.SIGUSR1), ptSignal, unix.SIGUSR1},
		{"SIGKILL", int(unix.SIGKILL), ptSignal, unix.SIGKILL},
	}
	for _, c := range cases {
		if stop, sig := ptDecodeStop(c.status); stop != c.wantStop || sig != c.wantSig {
			t.Errorf("%s (%#x): %d, %v; want %d, %v", c.name, c.status, stop, sig, c.wantStop, c.wantSig)
		}
	}
}

// Only a write that may be split is waited for: write and sendto of more
// than PIPE_BUF bytes (a pipe takes up to PIPE_BUF at once), writev and
// sendmsg always (their size is in memory).
func TestIsOutputWrite(t *testing.T) {
	cases := []struct {
		nr    int64
		count uint64
		want  bool
	}{
		{unix.SYS_WRITE, pipeBuf + 1, true},
		{unix.SYS_WRITE, 200 << 10, true},
		{unix.SYS_WRITE, pipeBuf, false},
		{unix.SYS_WRITE, 1, false},
		{unix.SYS_SENDTO, pipeBuf + 1, true},
		{unix.SYS_SENDTO, 100, false},
		{unix.SYS_WRITEV, 1, true},
		{unix.SYS_SENDMSG, 0, true},
		{unix.SYS_READ, 1 << 20, false},
		{unix.SYS_PWRITE64, 1 << 20, false},
		{-1, 1 << 20, false},
	}
	for _, c := range cases {
		if got := isOutputWrite(c.nr, c.count); got != c.want {
			t.Errorf("isOutputWrite(%d, %d) = %v, want %v", c.nr, c.count, got, c.want)
		}
	}
}

// switchesFd: is fd one of the descriptors to switch.
func TestSwitchesFd(t *testing.T) {
	sw := []fdSwitch{{fd: 1}, {fd: 2, stderr: true}, {fd: 10, cloexec: true}}
	for fd, want := range map[uint64]bool{0: false, 1: true, 2: true, 3: false, 10: true, 1 << 32: false} {
		if got := switchesFd(sw, fd); got != want {
			t.Errorf("fd %d: %v, want %v", fd, got, want)
		}
	}
	if switchesFd(nil, 1) {
		t.Error("nothing to switch, yet fd 1 is")
	}
}

// Only pipes and sockets have an identity in their link target; a path
// names a file, not the open file description.
func TestHasIdentity(t *testing.T) {
	for target, want := range map[string]bool{
		"pipe:[12345]":         true,
		"socket:[6789]":        true,
		"/dev/null":            false,
		"/dev/pts/0":           false,
		"/var/log/app.log":     false,
		"anon_inode:[eventfd]": false,
		"pipe:12":              false,
		"":                     false,
	} {
		if got := hasIdentity(target); got != want {
			t.Errorf("hasIdentity(%q) = %v, want %v", target, got, want)
		}
	}
}

// A failed injected call is named with its errno; our own failures pass
// as they are.
func TestInErr(t *testing.T) {
	err := inErr("connect", ptCallError{unix.ECONNREFUSED})
	if err.Error() != "connect in the process: connection refused" {
		t.Fatalf("inErr = %q", err)
	}
	for _, own := range []error{errPtTimeout, errPtGone, unix.ESRCH} {
		if got := inErr("recvmsg", own); got != own {
			t.Fatalf("inErr(%v) = %v, want it as it is", own, got)
		}
	}
	var e error = ptCallError{unix.EMFILE}
	if e.Error() != "too many open files" || !errors.Is(e, unix.EMFILE) || errors.Is(e, unix.ENFILE) {
		t.Fatalf("ptCallError: %q, unwraps to EMFILE %v", e, errors.Is(e, unix.EMFILE))
	}
}

// The instruction we run must not be the one the tracee stopped at or
// right after (8 bytes either side).
func TestAwayFrom(t *testing.T) {
	const pc = 0x7000
	for addr, want := range map[uintptr]bool{
		pc - 9: true, pc - 8: true, pc - 7: false, pc - 2: false, pc: false,
		pc + 7: false, pc + 8: true, pc + 100: true, 0: true,
	} {
		if got := ptAwayFrom(addr, pc); got != want {
			t.Errorf("ptAwayFrom(%#x, %#x) = %v, want %v", addr, uintptr(pc), got, want)
		}
	}
}

// The /proc paths of a process as seen through one of its threads.
func TestProcPaths(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fdDir(12, 12, "fd"), "/proc/12/fd"},
		{fdDir(12, 12, "fdinfo"), "/proc/12/fdinfo"},
		{fdDir(12, 15, "fd"), "/proc/12/task/15/fd"},
		{taskPath(12, 15, "syscall"), "/proc/12/task/15/syscall"},
		{taskPath(12, 12, "auxv"), "/proc/12/task/12/auxv"},
	} {
		if c.got != c.want {
			t.Errorf("%s, want %s", c.got, c.want)
		}
	}
}
