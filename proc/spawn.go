package proc

import "syscall"

// spawnSpec describes one program to start.
type spawnSpec struct {
	path   string
	dir    string
	env    []string
	stdin  int
	stdout int
	stderr int
}

// spawn starts a program with exactly three descriptors: everything else we
// hold is close-on-exec. It must run on the loop's locked thread: a child
// attaches to the thread that forked it, and we read that thread's children
// list. withPidfd asks clone for a pidfd (no race with PID reuse); the
// returned pidfd is -1 without it.
func spawn(s spawnSpec, withPidfd bool) (pid, pidfd int, err error) {
	pidfd = -1
	// Setpgid: a group of its own, so that signals a terminal sends to
	// its foreground group (Ctrl-C under `docker run -it`) reach only
	// dinit, which then stops the services through the graceful path.
	sys := &syscall.SysProcAttr{Setpgid: true}
	if withPidfd {
		sys.PidFD = &pidfd
	}
	attr := &syscall.ProcAttr{
		Dir:   s.dir,
		Env:   s.env,
		Files: []uintptr{uintptr(s.stdin), uintptr(s.stdout), uintptr(s.stderr)},
		Sys:   sys,
	}
	pid, _, err = syscall.StartProcess(s.path, []string{s.path}, attr)
	if err != nil {
		return 0, -1, &spawnError{path: s.path, err: err}
	}
	return pid, pidfd, nil
}

// spawnError reads like os/exec's: "fork/exec <path>: <reason>".
type spawnError struct {
	path string
	err  error
}

func (e *spawnError) Error() string { return "fork/exec " + e.path + ": " + e.err.Error() }
func (e *spawnError) Unwrap() error { return e.err }
