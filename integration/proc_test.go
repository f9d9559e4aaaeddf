package integration

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// proc is what the tests need to know about a process, read from /proc.
type proc struct {
	pid     int
	ppid    int
	pgrp    int
	session int
	state   string // R, S, Z, ...
	cmdline string // NULs as spaces
}

// readProc reads /proc/<pid>/stat and cmdline; ok is false when the
// process is gone.
func readProc(pid int) (p proc, ok bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, false
	}
	// The command name may contain anything, spaces and ")" included: the
	// fields start after the last ")".
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return p, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 {
		return p, false
	}
	p.pid = pid
	p.state = f[0]
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgrp, _ = strconv.Atoi(f[2])
	p.session, _ = strconv.Atoi(f[3])
	cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
	return p, true
}

// processesInSession lists the processes of a session. dinit is started
// in a session of its own; its programs each get a process group of their
// own, inside that session.
func processesInSession(sid int) []proc {
	var out []proc
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && p.session == sid {
			out = append(out, p)
		}
	}
	return out
}

// killSession SIGKILLs every process of a session.
func killSession(sid int) {
	for _, p := range processesInSession(sid) {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// children lists the children of every thread of pid.
func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, task := range tasks {
		data, _ := os.ReadFile(task)
		for _, f := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// zombieChildren counts the children of pid that are zombies.
func zombieChildren(pid int) int {
	n := 0
	for _, c := range children(pid) {
		if p, ok := readProc(c); ok && p.state == "Z" {
			n++
		}
	}
	return n
}

// statusKB returns a "kB" field of /proc/<pid>/status, such as VmHWM.
func statusKB(pid int, field string) (int, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n, err == nil
		}
	}
	return 0, false
}

// fdTargets lists the open descriptors of a process as "fd:target", with
// pipes and sockets shown as "pipe" and "socket".
func fdTargets(pid int) ([]string, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		out = append(out, e.Name()+":"+fdKind(target))
	}
	sortFDs(out)
	return out, nil
}

func fdKind(target string) string {
	switch {
	case strings.HasPrefix(target, "pipe:"):
		return "pipe"
	case strings.HasPrefix(target, "socket:"):
		return "socket"
	}
	return target
}

// sortFDs sorts "fd:target" entries by fd number.
func sortFDs(s []string) {
	num := func(e string) int {
		n, _ := strconv.Atoi(e[:strings.IndexByte(e, ':')])
		return n
	}
	slices.SortFunc(s, func(a, b string) int { return cmp.Compare(num(a), num(b)) })
}
