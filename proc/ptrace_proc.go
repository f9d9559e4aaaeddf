//go:build amd64 || arm64

package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// procState is a thread's state letter from its stat, 0 when it is gone.
func procState(tgid, tid int) byte {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(tgid), "task", strconv.Itoa(tid), "stat"))
	if err != nil {
		return 0
	}
	st, ok := parseStat(b)
	if !ok {
		return 0
	}
	return st.state
}

func ptReadProc(pid int, name string) (string, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), name))
	return string(b), err
}
