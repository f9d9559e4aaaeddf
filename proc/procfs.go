package proc

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// procRoot is where procfs is mounted; tests point it at a fake tree.
var procRoot = "/proc"

// errForeignProc: the procfs at /proc is not of our PID namespace (a
// service unmounted ours and uncovered the one below, or mounted another):
// its PIDs are not ours, and acting on them would hit unrelated processes.
var errForeignProc = errors.New("/proc is not of dinit's PID namespace (/proc/self is not dinit)")

// ownProc checks that procfs shows our own PID namespace: /proc/self must
// name us (self is our PID as we see it).
func ownProc(self int) error {
	link, err := os.Readlink(filepath.Join(procRoot, "self"))
	if err != nil {
		return err
	}
	if link != strconv.Itoa(self) {
		return errForeignProc
	}
	return nil
}

// children lists the PIDs whose parent is process pid. A child attaches to
// the thread that forked it and reparented processes attach to the thread
// the kernel picks as reaper, so every thread's list is read. Kernels built
// without CONFIG_PROC_CHILDREN lack the file: then every process's stat is
// scanned for its parent PID.
func children(pid int) ([]int, error) {
	taskDir := filepath.Join(procRoot, strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(taskDir)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(taskDir, t.Name(), "children"))
		if errors.Is(err, fs.ErrNotExist) && len(pids) == 0 {
			return childrenByStat(pid)
		}
		if err != nil {
			continue // the thread ended while we looked
		}
		pids = appendInts(pids, b)
	}
	return pids, nil
}

func appendInts(dst []int, b []byte) []int {
	for _, f := range bytes.Fields(b) {
		if n, err := strconv.Atoi(string(f)); err == nil {
			dst = append(dst, n)
		}
	}
	return dst
}

// childrenByStat is the slow path: walk /proc and keep processes whose
// parent is pid.
func childrenByStat(pid int) ([]int, error) {
	ents, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if st, ok := parseStat(b); ok && st.ppid == pid {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// stat holds the fields of /proc/PID/stat we use.
type stat struct {
	comm  string
	state byte
	ppid  int
	start uint64 // start time, clock ticks after boot (0 when not read)
}

// parseStat parses "pid (comm) state ppid ...". comm may itself contain
// spaces and ')' characters, so it ends at the LAST ')' of the line.
func parseStat(b []byte) (stat, bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return stat{}, false
	}
	rest := bytes.Fields(b[end+1:])
	if len(rest) < 2 || len(rest[0]) != 1 {
		return stat{}, false
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return stat{}, false
	}
	st := stat{comm: string(b[open+1 : end]), state: rest[0][0], ppid: ppid}
	if len(rest) > statStart {
		st.start, _ = strconv.ParseUint(string(rest[statStart]), 10, 64)
	}
	return st, true
}

// statStart is the index of starttime (field 22 of stat) among the fields
// after comm (the first of which, state, is field 3).
const statStart = 22 - 3

// startTime is process pid's start time (0 when it cannot be read): with
// the PID, it names one process, as a PID alone does not once it may have
// been reused.
func startTime(pid int) uint64 {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	st, _ := parseStat(b)
	return st.start
}

// maxNameLen bounds the name of a reparented process: it is repeated in
// the label of every line the process writes, and argv[0] is whatever the
// process made it (kilobytes, for one).
const maxNameLen = 64

// describe returns a process's command line (NULs as spaces; "" when it
// cannot be read: a zombie's memory is gone) and its short name, by the
// reference's rule: the part after the last "/" of the first word, or comm
// when that is empty; cut to maxNameLen bytes. Without a /proc of our own,
// nothing can be read: "", "unknown".
func describe(pid int) (cmdline, name string) {
	if ownProc(os.Getpid()) != nil {
		return "", "unknown"
	}
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	raw, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
	cmdline, first := splitCmdline(raw)
	name = first[strings.LastIndexByte(first, '/')+1:]
	if name == "" {
		name = commOf(pid)
	}
	return cmdline, cutName(name)
}

// cutName cuts name to maxNameLen bytes, not inside a UTF-8 sequence.
func cutName(name string) string {
	if len(name) <= maxNameLen {
		return name
	}
	end := maxNameLen
	for end > 0 && !utf8.RuneStart(name[end]) {
		end--
	}
	return name[:end]
}

// commOf reads /proc/PID/comm. A zombie's command line is always empty (its
// memory is gone), so for zombies this is the one read worth making.
func commOf(pid int) string {
	comm, _ := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "comm"))
	if name := string(bytes.TrimRight(comm, "\n")); name != "" {
		return name
	}
	return "unknown"
}

// splitCmdline turns the NUL-separated argv into one line and returns its
// first word.
func splitCmdline(raw []byte) (line, first string) {
	raw = bytes.TrimRight(raw, "\x00")
	if len(raw) == 0 {
		return "", ""
	}
	line = string(bytes.ReplaceAll(raw, []byte{0}, []byte{' '}))
	if f := bytes.Fields([]byte(line)); len(f) > 0 {
		first = string(f[0])
	}
	return line, first
}
