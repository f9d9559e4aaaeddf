package sys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Proc is a procfs mount: Root is where it is ("/proc"; tests give a fake
// tree). A value, so that every reader names the tree it reads.
type Proc struct{ Root string }

// RealProc is the procfs of our own mount namespace.
var RealProc = Proc{Root: "/proc"}

func (p Proc) path(pid int, names ...string) string {
	return filepath.Join(append([]string{p.Root, strconv.Itoa(pid)}, names...)...)
}

// ErrForeignProc: the procfs at /proc is not of our PID namespace (a
// service unmounted ours and uncovered the one below, or mounted another):
// its PIDs are not ours, and acting on them would hit unrelated processes.
var ErrForeignProc = errors.New("/proc is not of dinit's PID namespace (/proc/self is not dinit)")

// Own checks that the procfs shows our own PID namespace: /proc/self must
// name us (self is our PID as we see it).
func (p Proc) Own(self int) error {
	var l ChildLister // one check, the scan's (childlist.go)
	return l.Own(p, self)
}

// Children lists the PIDs whose parent is process pid. A child attaches to
// the thread that forked it and reparented processes attach to the thread
// the kernel picks as reaper, so every thread's list is read. Kernels built
// without CONFIG_PROC_CHILDREN lack the file: then every process's stat is
// scanned for its parent PID. A caller that lists often keeps a
// ChildLister instead, which reuses its buffers.
func (p Proc) Children(pid int) ([]int, error) {
	var l ChildLister
	defer l.Close()
	return l.List(p, pid)
}

// childrenByStat is the slow path: walk /proc and keep processes whose
// parent is pid. It allocates (a string per entry, a buffer per stat), so
// on a kernel built without CONFIG_PROC_CHILDREN (the option that gives
// the children files, Linux 3.5) every reparent scan allocates. This
// kernel has the option (6.18 here: /proc/config.gz), as the allocation
// tests need.
func (p Proc) childrenByStat(pid int) ([]int, error) {
	ents, err := os.ReadDir(p.Root)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.Root, e.Name(), "stat"))
		if err != nil {
			continue
		}
		if st, ok := ParseStat(b); ok && st.PPID == pid {
			pids = append(pids, n)
		}
	}
	return pids, nil
}

// Stat holds the fields of /proc/PID/stat we use.
type Stat struct {
	Comm  string
	State byte
	PPID  int
	Start uint64 // start time, clock ticks after boot (0 when not read)
}

// ParseStat parses "pid (comm) state ppid ...". comm may itself contain
// spaces and ')' characters, so it ends at the LAST ')' of the line.
func ParseStat(b []byte) (Stat, bool) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, false
	}
	rest := bytes.Fields(b[end+1:])
	if len(rest) < 2 || len(rest[0]) != 1 {
		return Stat{}, false
	}
	ppid, err := strconv.Atoi(string(rest[1]))
	if err != nil {
		return Stat{}, false
	}
	st := Stat{Comm: string(b[open+1 : end]), State: rest[0][0], PPID: ppid}
	if len(rest) > statStart {
		st.Start, _ = strconv.ParseUint(string(rest[statStart]), 10, 64)
	}
	return st, true
}

// statStart is the index of starttime (field 22 of stat) among the fields
// after comm (the first of which, state, is field 3).
const statStart = 22 - 3

// StartTime is process pid's start time (0 when it cannot be read): with
// the PID, it names one process, as a PID alone does not once it may have
// been reused.
func (p Proc) StartTime(pid int) uint64 {
	b, err := os.ReadFile(p.path(pid, "stat"))
	if err != nil {
		return 0
	}
	st, _ := ParseStat(b)
	return st.Start
}

// State is thread tid's state letter from its stat (R, S, D, Z, T, ...),
// 0 when it is gone.
func (p Proc) State(tgid, tid int) byte {
	b, err := os.ReadFile(p.path(tgid, "task", strconv.Itoa(tid), "stat"))
	if err != nil {
		return 0
	}
	st, ok := ParseStat(b)
	if !ok {
		return 0
	}
	return st.State
}

// maxNameLen bounds the name of a reparented process: it is repeated in
// the label of every line the process writes, and argv[0] is whatever the
// process made it (kilobytes, for one).
const maxNameLen = 64

// Describe returns a process's command line (NULs as spaces; "" when it
// cannot be read: a zombie's memory is gone) and its short name, by the
// reference's rule: the part after the last "/" of the first word, or comm
// when that is empty; cut to maxNameLen bytes. Without a /proc of our own,
// nothing can be read: "", "unknown".
func (p Proc) Describe(pid int) (cmdline, name string) {
	if p.Own(os.Getpid()) != nil {
		return "", "unknown"
	}
	raw, _ := os.ReadFile(p.path(pid, "cmdline"))
	cmdline, first := splitCmdline(raw)
	name = first[strings.LastIndexByte(first, '/')+1:]
	if name == "" {
		name = p.commOf(pid)
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
func (p Proc) commOf(pid int) string {
	comm, _ := os.ReadFile(p.path(pid, "comm"))
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
