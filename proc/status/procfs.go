package status

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

var errBadStat = errors.New("no parent PID in /proc/<pid>/stat")

// parentOf is the parent PID of pid, from /proc/<pid>/stat.
func parentOf(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseParent(b)
}

// parseParent reads the fourth field of a stat line. The second, the
// command name in parentheses, may hold spaces and parentheses itself, so
// the fields are counted from the last ')'.
func parseParent(stat []byte) (int, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errBadStat
	}
	f := bytes.Fields(stat[i+1:]) // state, ppid, ...
	if len(f) < 2 {
		return 0, errBadStat
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, errBadStat
	}
	return ppid, nil
}

// readNetUnix reads the unix sockets of our network namespace, where
// abstract names are bound.
func readNetUnix() ([]byte, error) { return os.ReadFile("/proc/net/unix") }

// soAcceptCon is __SO_ACCEPTCON in the Flags column: a listening socket.
// The sockets accepted from it show the same name and lack the flag.
const soAcceptCon = 1 << 16

// listening returns the sorted, distinct names (without their '@') of the
// listening abstract sockets in table, a /proc/net/unix, that are prefix
// followed by a PID. The columns: Num RefCount Protocol Flags Type St Inode
// Path; names with spaces span more columns and are not ours.
func listening(table []byte, prefix string) []string {
	var names []string
	for line := range bytes.Lines(table) {
		f := bytes.Fields(line)
		if len(f) != 8 || !isListening(f[3]) {
			continue
		}
		if name, ok := strings.CutPrefix(string(f[7]), "@"); ok && isPIDName(name, prefix) {
			names = append(names, name)
		}
	}
	return sortedUnique(names)
}

func isListening(flags []byte) bool {
	v, err := strconv.ParseUint(string(flags), 16, 32)
	return err == nil && v&soAcceptCon != 0
}

func isPIDName(name, prefix string) bool {
	pid, ok := strings.CutPrefix(name, prefix)
	if !ok || pid == "" {
		return false
	}
	_, err := strconv.ParseUint(pid, 10, 31)
	return err == nil
}

// sortedUnique sorts a handful of names by insertion and drops repeats;
// not slices.Sort, whose generic sort adds kilobytes to the binary for a
// list that is one name long in practice.
func sortedUnique(names []string) []string {
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}
