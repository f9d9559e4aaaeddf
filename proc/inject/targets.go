//go:build amd64 || arm64

package inject

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Which descriptors of a process get our pipes: those that refer to the
// adopted process's original stdout or stderr. kcmp(KCMP_FILE) would say it
// exactly but Docker's default seccomp profile refuses it, so the
// /proc/PID/fd link targets are compared: "pipe:[ino]" and "socket:[ino]"
// name one pipe or socket. Both ends of a pipe share the name, so only
// descriptors open for writing count. A path target (a tty, /dev/null, a
// log file) names a file, not an open file description: another process
// may have opened it for itself, so it is followed on fds 1 and 2 only.
// fd 0 is never replaced.

// errNoOutput: the process has no descriptor left to switch.
var errNoOutput = errors.New("it has no stdout or stderr open for writing")

// outputTargets are the link targets of the adopted process's fds 1 and 2
// ("" when closed).
type outputTargets struct{ out, err string }

// readTargets reads pid's stdout and stderr targets, through its thread
// tid. A refusal (another user's process without CAP_SYS_PTRACE) is
// returned as is.
func readTargets(pid, tid int) (outputTargets, error) {
	var ts outputTargets
	var first error
	for fd, dst := range []*string{1: &ts.out, 2: &ts.err} {
		if dst == nil {
			continue
		}
		target, err := os.Readlink(filepath.Join(fdDir(pid, tid, "fd"), strconv.Itoa(fd)))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return ts, err
		}
		if first == nil {
			first = err
		}
		*dst = target
	}
	if ts.out == "" && ts.err == "" {
		return ts, first // both closed: "readlink /proc/N/fd/1: no such file or directory"
	}
	return ts, nil
}

// fdSwitch is one descriptor to replace: with our stderr pipe or our
// stdout pipe, keeping its close-on-exec flag.
type fdSwitch struct {
	fd      int
	stderr  bool
	cloexec bool
}

// switchesOf lists pid's descriptors that refer to the targets, fds 1 and
// 2 first (so that a failure half-way has switched what matters most).
func switchesOf(pid, tid int, ts outputTargets) []fdSwitch {
	dir := fdDir(pid, tid, "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var sw []fdSwitch
	std := 0 // how many of fds 1 and 2 lead sw
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd == 0 {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err != nil || target == "" || (target != ts.out && target != ts.err) {
			continue
		}
		if fd > 2 && !hasIdentity(target) {
			continue
		}
		writable, cloexec, ok := fdFlags(pid, tid, fd)
		if !ok || !writable {
			continue
		}
		// When stdout and stderr were one pipe, fd 2 and only fd 2 goes
		// to our stderr.
		toErr := target == ts.err && (fd == 2 || target != ts.out)
		sw = append(sw, fdSwitch{fd: fd, stderr: toErr, cloexec: cloexec})
		if fd <= 2 { // ReadDir sorts names: "1", "10", "2"; 1 and 2 go first
			copy(sw[std+1:], sw[std:])
			sw[std] = fdSwitch{fd: fd, stderr: toErr, cloexec: cloexec}
			std++
		}
	}
	return sw
}

// hasIdentity: the target names one pipe or socket, not a path.
func hasIdentity(target string) bool {
	return strings.HasPrefix(target, "pipe:[") || strings.HasPrefix(target, "socket:[")
}

// fdFlags reads the open flags of pid's fd from /proc/PID/fdinfo/FD
// ("flags:\t0102001", octal).
func fdFlags(pid, tid, fd int) (writable, cloexec, ok bool) {
	b, err := os.ReadFile(filepath.Join(fdDir(pid, tid, "fdinfo"), strconv.Itoa(fd)))
	if err != nil {
		return false, false, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "flags:"); found {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			if err != nil {
				return false, false, false
			}
			acc := flags & unix.O_ACCMODE
			return acc == unix.O_WRONLY || acc == unix.O_RDWR, flags&unix.O_CLOEXEC != 0, true
		}
	}
	return false, false, false
}

// fdDir is /proc/PID/fd (or fdinfo) as seen by thread tid: an exited main
// thread has no descriptors to show, the process's live threads do.
func fdDir(pid, tid int, name string) string {
	if tid == pid {
		return filepath.Join(procRoot, strconv.Itoa(pid), name)
	}
	return filepath.Join(procRoot, strconv.Itoa(pid), "task", strconv.Itoa(tid), name)
}

// liveThread returns a thread of pid to seize: the main thread, unless it
// has exited while others run on (its stat then reads Z).
func liveThread(pid int) int {
	if st := procState(pid, pid); st != 'Z' && st != 'X' {
		return pid
	}
	ents, err := os.ReadDir(filepath.Join(procRoot, strconv.Itoa(pid), "task"))
	if err != nil {
		return pid
	}
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if st := procState(pid, tid); err == nil && st != 0 && st != 'Z' && st != 'X' {
			return tid
		}
	}
	return pid
}
