package integration

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// helperEnv selects a helper program: when set, the test binary runs it
// instead of the tests. Services call it as
//
//	export DINIT_TEST_HELPER=<name>; exec "$DINIT_TEST_BIN" <args>
const helperEnv = "DINIT_TEST_HELPER"

// helper returns the shell lines that exec the named helper.
func helper(name string, args ...string) string {
	// containermaxprocs=0: the Go runtime would otherwise keep the cgroup
	// CPU limit files open, and the fds helper would list them.
	return fmt.Sprintf("export %s=%s GODEBUG=containermaxprocs=0\nexec \"$DINIT_TEST_BIN\" %s\n", helperEnv, name, strings.Join(args, " "))
}

func runHelper(name string, args []string) int {
	switch name {
	case "fds":
		return helperFDs(args)
	case "zombies":
		return helperZombies(args)
	case "count":
		return helperCount()
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", name)
	return 2
}

// helperFDs prints {"role":<role>,"fds":"0:/dev/null 1:pipe 2:pipe"}: the
// descriptors it inherited, read with raw system calls so that nothing of
// its own is counted. Then, by role:
//   - run: waits for SIGTERM, exits 0;
//   - log: copies stdin to stdout until EOF, exits 0;
//   - term: sends SIGTERM to $DINIT_PID, exits 0.
func helperFDs(args []string) int {
	role := "run"
	if len(args) > 0 {
		role = args[0]
	}
	fds, err := ownFDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fds:", err)
		return 1
	}
	fmt.Printf("{\"role\":%q,\"fds\":%q}\n", role, strings.Join(fds, " "))
	switch role {
	case "run":
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		<-c
	case "log":
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "log:", err)
			return 1
		}
	case "term":
		pid, err := strconv.Atoi(os.Getenv("DINIT_PID"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "term: DINIT_PID:", err)
			return 1
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			fmt.Fprintln(os.Stderr, "term:", err)
			return 1
		}
	}
	return 0
}

// ownFDs lists /proc/self/fd without the descriptor used to read it.
func ownFDs() ([]string, error) {
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(dfd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
	var out []string
	for _, name := range names {
		if name == strconv.Itoa(dfd) {
			continue
		}
		target, _ := os.Readlink("/proc/self/fd/" + name)
		out = append(out, name+":"+fdKind(target))
	}
	sortFDs(out)
	return out, nil
}

// helperZombies starts N children that exit at once, waits until all of
// them are zombies (without reaping them), prints {"zombies":N} and exits:
// the zombies are then reparented to dinit.
func helperZombies(args []string) int {
	n := 200
	if len(args) > 0 {
		n, _ = strconv.Atoi(args[0])
	}
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}}
	pids := make([]int, 0, n)
	for range n {
		pid, err := syscall.ForkExec("/bin/true", []string{"true"}, attr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "zombies:", err)
			return 1
		}
		pids = append(pids, pid)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range pids {
		for {
			if p, ok := readProc(pid); ok && p.state == "Z" {
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintf(os.Stderr, "zombies: PID %d did not become a zombie\n", pid)
				return 1
			}
			time.Sleep(time.Millisecond)
		}
	}
	fmt.Printf("{\"zombies\":%d}\n", n)
	return 0
}

// countLimit bounds helperCount's output in case dinit buffers without
// bound (the stalled-stdout test then fails on memory, not on the disk).
const countLimit = 20_000_000

// helperCount writes {"i":1}, {"i":2}, ... to stdout as fast as it can
// until SIGTERM, then {"done":N} (N: the last i written) and exits 0.
func helperCount() int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	w := bufio.NewWriterSize(os.Stdout, 32<<10)
	var num []byte
	n := 0
	for {
		select {
		case <-sig:
			fmt.Fprintf(w, "{\"done\":%d}\n", n)
			if err := w.Flush(); err != nil {
				fmt.Fprintln(os.Stderr, "count:", err)
				return 1
			}
			return 0
		default:
		}
		if n == countLimit {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		n++
		num = strconv.AppendInt(num[:0], int64(n), 10)
		w.WriteString(`{"i":`)
		w.Write(num)
		w.WriteString("}\n")
	}
}
