package main

import (
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// startSelf starts this binary again with the given arguments, sharing stdin, stdout,
// stderr and the environment, and does not wait for it (Go never reaps a child on its
// own). argv[0] is kept, so the child has its parent's name in /proc/N/cmdline.
func startSelf(args ...string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	argv := append([]string{os.Args[0]}, args...)
	return syscall.ForkExec(exe, argv, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
}

// modeOrphan leaves a child behind for init to inherit. The optional exit code lets a
// dinit test keep its service from ending everything (115: disabled itself).
func modeOrphan(args []string) int {
	if len(args) > 2 {
		return usage("want orphan [delay] [code]")
	}
	delay, err := optDuration(args, 0, 500*time.Millisecond)
	if err != nil {
		return usage(err.Error())
	}
	code := 0
	if len(args) == 2 {
		if code, err = parseExitCode(args[1]); err != nil {
			return usage(err.Error())
		}
	}
	if _, err := startSelf("orphanchild", delay.String()); err != nil {
		errLine("testsvc: orphan: " + err.Error())
		return 1
	}
	return code
}

func modeOrphanChild(args []string) int {
	if len(args) > 1 {
		return usage("want orphanchild [delay]")
	}
	delay, err := optDuration(args, 0, 500*time.Millisecond)
	if err != nil {
		return usage(err.Error())
	}
	for _, s := range defaultSignals {
		setDefault(s)
	}
	time.Sleep(delay)
	outLine([]byte(`{"msg":"orphan says hi","pid":` + strconv.Itoa(os.Getpid()) + `}`))
	errLine("orphan err")
	blockForever()
	return 0
}

// modeZombies leaves n zombies for init to reap: it waits for each child with
// WNOWAIT, which returns once the child has exited but leaves it unreaped.
func modeZombies(args []string) int {
	if len(args) != 1 {
		return usage("want zombies N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return usage("bad count " + strconv.Quote(args[0]))
	}
	for i := 0; i < n; i++ {
		pid, err := startSelf("exit", "0")
		if err != nil {
			errLine("testsvc: zombies: " + err.Error())
			return 1
		}
		if err := waitExitedNoReap(pid); err != nil {
			errLine("testsvc: zombies: waitid: " + err.Error())
			return 1
		}
	}
	outLine([]byte(`{"msg":"spawned","n":` + strconv.Itoa(n) + `}`))
	return 0
}

func waitExitedNoReap(pid int) error {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}
