package sys

import (
	"errors"
	"syscall"
)

// Spec describes one program to start: its path, arguments (argv; nil:
// the path alone), working directory ("": ours), environment and its three
// descriptors.
type Spec struct {
	Path   string
	Args   []string
	Dir    string
	Env    []string
	Stdin  int
	Stdout int
	Stderr int
	// Foreground makes the program's process group the foreground group
	// of the terminal on its stdin (which must be our controlling
	// terminal), so that the terminal's signals (Ctrl-C) and job control
	// reach it and not us.
	Foreground bool
	// Extra, when ExtraAt >= 3, is given to the program as its fd ExtraAt
	// (a readiness pipe at the fd its notification-fd file names); the
	// fds between 2 and ExtraAt are closed in the child.
	Extra   int
	ExtraAt int
}

// files lists the fds the program gets, by their number in the program.
func (s Spec) files() []uintptr {
	files := []uintptr{uintptr(s.Stdin), uintptr(s.Stdout), uintptr(s.Stderr)}
	if s.ExtraAt < 3 {
		return files
	}
	for len(files) < s.ExtraAt {
		files = append(files, ^uintptr(0)) // -1: closed in the child
	}
	return append(files, uintptr(s.Extra))
}

// Spawn starts a program with exactly three descriptors (four with Extra):
// everything else we hold is close-on-exec. It must run on the loop's locked thread: a child
// attaches to the thread that forked it, and we read that thread's children
// list. withPidfd asks clone for a pidfd (no race with PID reuse); the
// returned pidfd is -1 without it.
func Spawn(s Spec, withPidfd bool) (pid, pidfd int, err error) {
	pidfd = -1
	// Setpgid: a group of its own, so that signals a terminal sends to
	// its foreground group (Ctrl-C under `docker run -it`) reach only
	// dinit, which then stops the services through the graceful path.
	sys := &syscall.SysProcAttr{Setpgid: true, Foreground: s.Foreground, Ctty: s.Stdin}
	if withPidfd {
		sys.PidFD = &pidfd
	}
	attr := &syscall.ProcAttr{
		Dir:   s.Dir,
		Env:   s.Env,
		Files: s.files(),
		Sys:   sys,
	}
	argv := s.Args
	if argv == nil {
		argv = []string{s.Path}
	}
	pid, _, err = syscall.StartProcess(s.Path, argv, attr)
	if err != nil {
		return 0, -1, spawnError(s, err)
	}
	return pid, pidfd, nil
}

// SpawnError reads like os/exec's: "fork/exec <path>: <reason>", then the
// hint in parentheses when there is one.
type SpawnError struct {
	Path string
	Err  error
	Hint string // what to check, when the reason misleads (see shebangHint)
}

func spawnError(s Spec, err error) *SpawnError {
	e := &SpawnError{Path: s.Path, Err: err}
	if errors.Is(err, syscall.ENOENT) {
		e.Hint = shebangHint(s.Path, s.Dir)
	}
	return e
}

func (e *SpawnError) Error() string {
	msg := "fork/exec " + e.Path + ": " + e.Err.Error()
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *SpawnError) Unwrap() error { return e.Err }
