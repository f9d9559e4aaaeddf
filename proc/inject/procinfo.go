//go:build amd64 || arm64

package inject

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// What /proc tells about a tracee before and while we work on it.

// ptCheckTarget refuses what must not be touched: a zombie, a process in
// seccomp strict mode (any injected call would kill it), a process under a
// seccomp filter of its own (it may kill or trap on our calls; the filters
// we run under ourselves, like Docker's, are inherited by everyone and
// return errors).
func ptCheckTarget(tgid, tid int) error {
	switch procState(tgid, tid) {
	case 0:
		return errPtGone
	case 'Z', 'X':
		return errPtZombie
	}
	theirs, err := ptReadProc(tgid, filepath.Join("task", strconv.Itoa(tid), "status"))
	if err != nil {
		return errPtGone
	}
	mode, filters := seccompOf(theirs)
	if mode == "1" {
		return errPtStrict
	}
	if mode == "2" && filters > ownFilters() {
		return errPtSandbox
	}
	return nil
}

// ownFilters is the number of seccomp filters we run under (they only
// ever grow, and we add none).
var ownFilters = sync.OnceValue(func() int {
	ours, _ := os.ReadFile("/proc/thread-self/status")
	_, n := seccompOf(string(ours))
	return n
})

// seccompOf reads the Seccomp mode and the number of filters
// (Seccomp_filters, Linux 5.9; 0 when absent) from a status file.
func seccompOf(status string) (mode string, filters int) {
	for _, line := range strings.Split(status, "\n") {
		k, v, _ := strings.Cut(line, ":")
		switch k {
		case "Seccomp":
			mode = strings.TrimSpace(v)
		case "Seccomp_filters":
			filters, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return mode, filters
}

// statusField reads one field of a thread's status file ("" if absent).
func statusField(tgid, tid int, name string) string {
	status, _ := ptReadProc(tgid, filepath.Join("task", strconv.Itoa(tid), "status"))
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// procRoot is the procfs injection reads: always the real one, as its
// tracees are real processes (no fake tree would do).
const procRoot = "/proc"

// procfs reads it for the helpers that sys provides.
var procfs = sys.Proc{Root: procRoot}

// procState is a thread's state letter from its stat, 0 when it is gone.
func procState(tgid, tid int) byte { return procfs.State(tgid, tid) }

func ptReadProc(pid int, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), name))
	return string(b), err
}

// pipeBuf is PIPE_BUF: a write to a pipe of at most this many bytes is
// atomic, so it is never split between the old pipe and ours.
const pipeBuf = 4096

// writingOutput reports that thread tid is blocked in a write to one of the
// descriptors we would switch, of more than pipeBuf bytes: some of it may
// already be in the old pipe, and the rest would land in ours, tearing the
// line. /proc/PID/task/TID/syscall shows the call a blocked thread is in:
// "nr arg1 arg2 arg3 ...", arguments in hex.
func writingOutput(pid, tid int, ts outputTargets) bool {
	b, err := os.ReadFile(taskPath(pid, tid, "syscall"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) < 4 {
		return false // "running", or blocked outside a system call
	}
	nr, err1 := strconv.ParseInt(f[0], 10, 64)
	fd, err2 := strconv.ParseUint(strings.TrimPrefix(f[1], "0x"), 16, 64)
	count, err3 := strconv.ParseUint(strings.TrimPrefix(f[3], "0x"), 16, 64)
	if err1 != nil || err2 != nil || err3 != nil || !isOutputWrite(nr, count) {
		return false
	}
	return switchesFd(switchesOf(pid, tid, ts), fd)
}

// isOutputWrite: system call nr writing count bytes (or an iovec) may be
// split. The calls that write a stream: write, writev, sendto, sendmsg.
func isOutputWrite(nr int64, count uint64) bool {
	switch nr {
	case unix.SYS_WRITE, unix.SYS_SENDTO:
		return count > pipeBuf
	case unix.SYS_WRITEV, unix.SYS_SENDMSG:
		return true // the size is in memory; say yes, a retry is cheap
	}
	return false
}

func switchesFd(sw []fdSwitch, fd uint64) bool {
	for _, s := range sw {
		if uint64(s.fd) == fd {
			return true
		}
	}
	return false
}
