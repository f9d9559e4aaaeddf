package main

import (
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// modeFDs lists /proc/self/fd. The directory is read with raw syscalls: os.Open would
// start the runtime's poller, whose epoll fd and eventfd would then be listed too.
// (For the same reason the list shows two extra fds when testsvc is started with a
// nonblocking stdin, stdout or stderr: os puts those in the poller at startup.)
func modeFDs(args []string) int {
	if len(args) != 0 {
		return usage("fds takes no arguments")
	}
	fds, err := openFDs()
	if err != nil {
		errLine("testsvc: fds: " + err.Error())
		return 1
	}
	b := []byte(`{"fds":[`)
	for i, fd := range fds {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(fd), 10)
	}
	outLine(append(b, "]}"...))
	return 0
}

// openFDs returns the open descriptors in ascending order, without its own.
func openFDs() ([]int, error) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(dir, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
	var fds []int
	for _, name := range names {
		if fd, err := strconv.Atoi(name); err == nil && fd != dir {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	return fds, nil
}

// modeTerminate is a service's terminate program: dinit gives it the PID of run.
func modeTerminate(args []string) int {
	if len(args) != 0 {
		return usage("terminate takes no arguments")
	}
	s := os.Getenv("DINIT_PID")
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		errLine("testsvc: terminate: bad DINIT_PID " + strconv.Quote(s))
		return 1
	}
	outLine([]byte(`{"msg":"terminating","pid":` + strconv.Itoa(pid) + `}`))
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		errLine("testsvc: terminate: kill " + s + ": " + err.Error())
		return 1
	}
	return 0
}
