package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary is testsvc too: with beMain set it runs the modes instead of the
// tests, so the tests exercise real processes, signals and descriptors. The variable
// is inherited, so the children testsvc starts itself (orphan, zombies) are testsvc too.
const beMain = "TESTSVC_TEST_BE_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(beMain) == "1" {
		os.Exit(run(os.Args))
	}
	os.Exit(m.Run())
}

// command returns testsvc (this test binary) with args. Under -race a binary sleeps
// one second at exit unless told otherwise (atexit_sleep_ms): here that adds up.
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	cmd.Env = append(os.Environ(), beMain+"=1", "GORACE="+gorace)
	return cmd
}

// result runs testsvc to its end and returns stdout, stderr and the exit code.
func result(t *testing.T, cmd *exec.Cmd) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// started is a running testsvc whose stdout is read line by line.
type started struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
}

func start(t *testing.T, args ...string) *started {
	t.Helper()
	return startWith(t, nil, args...)
}

func readLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
	close(lines)
}

// expect waits for the next stdout line and checks it.
func (s *started) expect(want string) {
	s.t.Helper()
	select {
	case got, ok := <-s.lines:
		if !ok {
			s.t.Fatalf("stdout closed, want %s", want)
		}
		if got != want {
			s.t.Fatalf("got line %s, want %s", got, want)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatalf("timed out waiting for %s", want)
	}
}

func (s *started) signal(sig syscall.Signal) {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
}

// wait returns the wait status once the process has ended.
func (s *started) wait() syscall.WaitStatus {
	s.t.Helper()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.t.Fatal("timed out waiting for the process to end")
	}
	return s.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// waitDefault waits until pid has the default disposition for sig again (the
// modes that block reset it right after start; until then a signal is lost).
func waitDefault(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if caught, ok := sigCaught(pid); ok && caught&(1<<(sig-1)) == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("PID %d still catches %v", pid, sig)
}

// sigCaught returns the SigCgt mask of /proc/<pid>/status.
func sigCaught(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return mask, err == nil
		}
	}
	return 0, false
}
