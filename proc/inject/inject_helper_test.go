//go:build amd64 || arm64

package inject

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// The test binary doubles as the tracee for what a shell cannot do: with
// DINIT_PTRACE_TEST_HELPER=<mode> it runs ptHelper on its main thread (the
// thread a seize of its PID stops) instead of the tests.
const ptHelperEnv = "DINIT_PTRACE_TEST_HELPER"

func init() {
	if mode := os.Getenv(ptHelperEnv); mode != "" {
		runtime.LockOSThread() // init runs on the main thread: stay there
		os.Exit(ptHelper(mode))
	}
}

func ptSay(fd int, s string) { _, _ = unix.Write(fd, []byte(s+"\n")) }

func ptHelper(mode string) int {
	switch mode {
	case "pause":
		// Blocks in pause (arm64: ppoll with nothing to wait for), which
		// returns EINTR once a signal's handler (the Go runtime's) ran.
		ptSay(1, "ready")
		_, _, e := unix.Syscall6(ptPauseNr, 0, 0, 0, 0, 0, 0)
		ptSay(1, "after pause: "+e.Error())
	case "dups":
		// Copies of stdout: fd 4 close-on-exec, fd 5 not; fd 3 is the
		// read end of its own stdout pipe (given by the test).
		if unix.Dup3(1, 4, unix.O_CLOEXEC) != nil || unix.Dup3(1, 5, 0) != nil {
			return 2
		}
		ptSay(1, "ready")
		_, _ = unix.Read(0, make([]byte, 1))
		for _, fd := range []int{1, 4, 5} {
			ptSay(fd, "out")
		}
		ptSay(2, "err")
	case "vfork":
		// The main thread waits for a vfork child, in uninterruptible
		// (killable) sleep: a ptrace interrupt does not stop it then.
		ptSay(1, "ready")
		ptVfork(400 * time.Millisecond)
		ptSay(1, "vfork done")
		_, _, _ = unix.Syscall6(ptPauseNr, 0, 0, 0, 0, 0, 0)
	case "seccomp":
		// Runs under a seccomp filter of its own (allow everything).
		prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
		if _, _, e := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
			unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog))); e != 0 {
			return 2
		}
		_, _ = unix.Read(0, make([]byte, 1))
	case "strict":
		// Seccomp strict mode on the main thread (read, write, _exit and
		// sigreturn only: anything else kills it), blocked in a read of
		// stdin. The call does not return to the runtime before exiting.
		ptSay(1, "ready")
		if _, _, e := unix.RawSyscall(unix.SYS_PRCTL, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_STRICT, 0); e != 0 {
			return 2
		}
		var b [1]byte
		_, _, _ = unix.Syscall(unix.SYS_READ, 0, uintptr(unsafe.Pointer(&b[0])), 1)
		_, _, _ = unix.RawSyscall(unix.SYS_EXIT, 0, 0, 0)
	case "zleader":
		// The main thread exits, another goes on (the leader is then a
		// zombie thread of a live process): on input, it writes "out".
		go func() {
			_, _ = unix.Read(0, make([]byte, 1))
			ptSay(1, "out")
			unix.Exit(0)
		}()
		time.Sleep(50 * time.Millisecond)
		ptSay(1, "ready")
		_, _, _ = unix.RawSyscall(unix.SYS_EXIT, 0, 0, 0)
	case "bigline":
		// For each byte on stdin, one JSON line of bigLineLen bytes in
		// one write(2) (more than PIPE_BUF: a pipe takes it in parts).
		ptSay(2, "ready")
		for b := make([]byte, 1); ; {
			if n, _ := unix.Read(0, b); n <= 0 {
				return 0
			}
			if _, err := os.Stdout.Write(bigLine(b[0])); err != nil {
				return 3
			}
		}
	default:
		return 2
	}
	return 0
}

// bigLineLen is the length of the helper's big lines, newline included.
const bigLineLen = 200 << 10

// bigLine is {"n":"<c>","pad":"xx...x"} and a newline, bigLineLen bytes.
func bigLine(c byte) []byte {
	head := `{"n":"` + string(c) + `","pad":"`
	line := make([]byte, bigLineLen)
	copy(line, head)
	for i := len(head); i < bigLineLen-3; i++ {
		line[i] = 'x'
	}
	copy(line[bigLineLen-3:], "\"}\n")
	return line
}

// ptVfork makes a child that shares our memory and stack (vfork
// semantics: we wait until it exits) and sleeps for d. The child makes
// raw system calls only.
func ptVfork(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	pid, _, _ := unix.RawSyscall6(unix.SYS_CLONE, unix.CLONE_VM|unix.CLONE_VFORK|uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if pid == 0 {
		_, _, _ = unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
		_, _, _ = unix.RawSyscall(unix.SYS_EXIT, 0, 0, 0)
	}
}

// ptHelperStart starts the test binary as helper mode with the given
// stdin, stdout, stderr and extra fds.
func ptHelperStart(t *testing.T, mode string, files ...int) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	fds := make([]uintptr, len(files))
	for i, fd := range files {
		fds[i] = uintptr(fd)
	}
	argv := []string{exe, "-test.run=^$"}
	pid, _, err := syscall.StartProcess(exe, argv, &syscall.ProcAttr{Dir: "/", Files: fds,
		Env: append(os.Environ(), ptHelperEnv+"="+mode)})
	if err != nil {
		t.Fatal(err)
	}
	ptKillAtEnd(t, pid)
	return pid
}

// ptHelperReady starts the helper in mode with stdout and stderr on a new
// pipe, waits for its "ready" line and returns the pipe's read end.
func ptHelperReady(t *testing.T, mode string) (pid, oldR int) {
	t.Helper()
	oldR, oldW, err := sys.PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(oldR) })
	pid = ptHelperStart(t, mode, injDevNull(t), oldW, oldW)
	sys.Close(oldW) // the helper holds the only write end: EOF when it ends
	if got := injLine(t, oldR); got != "ready" {
		t.Fatalf("helper said %q", got)
	}
	return pid, oldR
}

// ptNeedRoot: tests that run processes as another user or install a
// seccomp filter without no_new_privs need root. Without it they are
// skipped, except under CI=true (CI runs them as root), where a skip would
// hide missing coverage: there they fail.
func ptNeedRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("needs root (CI=true: not skipping)")
	}
	t.Skip("needs root")
}

// commOf is the name pid runs under (/proc/PID/comm; "" when gone).
func commOf(pid int) string {
	comm, _ := ptReadProc(pid, "comm")
	return strings.TrimSuffix(comm, "\n")
}

// redirectAdopted runs a whole redirection at once, each process tried
// once (no retries): the error of pid itself, and the other failures as
// warnings ("PID N: reason").
func redirectAdopted(pid, outW, errW int) (warnings []error, err error) {
	return redirectOnce(pid, outW, errW, nil)
}

func redirectOnce(pid, outW, errW int, stats *adoptStats) (warnings []error, err error) {
	r, err := New(pid, outW, errW)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	r.maxTries, r.stats, r.parking = 1, stats, false
	for r.Pending() {
		failed, ferr := r.Step(time.Now())
		switch {
		case ferr == nil:
		case failed == pid:
			err = ferr
		default:
			warnings = append(warnings, fmt.Errorf("PID %d: %w", failed, ferr))
		}
	}
	return warnings, err
}
