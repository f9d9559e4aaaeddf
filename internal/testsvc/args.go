package main

import (
	"errors"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// resolveArgs returns the mode and its arguments. Explicit arguments win. Without
// them the binary's own name is tried (a copy named "terminate" is the terminate mode),
// then the mode file of the working directory (specific to one service), then
// TESTSVC_MODE (inherited by every service of one dinit, so it comes last).
func resolveArgs(argv []string, getenv func(string) string, readMode func() (string, error)) ([]string, error) {
	if len(argv) > 1 {
		return argv[1:], nil
	}
	if len(argv) == 1 {
		if base := filepath.Base(argv[0]); base != "run" && modes[base] != nil {
			return []string{base}, nil
		}
	}
	if line, err := readMode(); err == nil {
		if f := strings.Fields(line); len(f) > 0 {
			return f, nil
		}
	}
	if f := strings.Fields(getenv("TESTSVC_MODE")); len(f) > 0 {
		return f, nil
	}
	return nil, errors.New("no mode: give it as arguments, in ./mode or in TESTSVC_MODE")
}

// readModeFile returns the first line of ./mode. It uses unix.Open rather than
// os.Open: on Linux os.Open starts the runtime's poller (an epoll fd and an eventfd
// that stay open), which the fds mode would then report.
func readModeFile() (string, error) {
	fd, err := unix.Open("mode", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := readFull(fd, buf)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	return line, nil
}

// readFull reads until buf is full or EOF.
func readFull(fd int, buf []byte) (int, error) {
	total := 0
	for total < len(buf) {
		n, err := unix.Read(fd, buf[total:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			break
		}
		total += n
	}
	return total, nil
}
