package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func numberedText(n int, format string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format+"\n", i)
	}
	return b.String()
}

func TestLineModes(t *testing.T) {
	tests := []struct {
		args            []string
		stdout, stderr  string
		code            int
		minimumDuration time.Duration
	}{
		{[]string{"json", "3"}, numberedText(3, `{"n":%d,"msg":"hello"}`), "", 0, 0},
		{[]string{"json", "3", "30ms"}, numberedText(3, `{"n":%d,"msg":"hello"}`), "", 0, 60 * time.Millisecond},
		{[]string{"json", "0"}, "", "", 0, 0},
		{[]string{"plain", "2"}, "line 1\nline 2\n", "", 0, 0},
		{[]string{"stderr", "2"}, "", "err 1\nerr 2\n", 0, 0},
		{[]string{"exit", "7"}, "", "", 7, 0},
		{[]string{"exit", "115"}, "", "", 115, 0},
	}
	for _, tt := range tests {
		begin := time.Now()
		stdout, stderr, code := result(t, command(tt.args...))
		if stdout != tt.stdout || stderr != tt.stderr || code != tt.code {
			t.Errorf("%q: got stdout %q stderr %q code %d; want %q %q %d",
				tt.args, stdout, stderr, code, tt.stdout, tt.stderr, tt.code)
		}
		if d := time.Since(begin); d < tt.minimumDuration {
			t.Errorf("%q took %v, want at least %v", tt.args, d, tt.minimumDuration)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"nosuchmode"}, {"json"}, {"json", "x"}, {"json", "1", "soon"},
		{"exit", "256"}, {"sleep", "1"}, {"orphan", "1s", "x"}, {"zombies"}} {
		stdout, stderr, code := result(t, command(args...))
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "testsvc: ") {
			t.Errorf("%q: got code %d stdout %q stderr %q; want a usage error", args, code, stdout, stderr)
		}
	}
}

// TestModeFromDirectory runs testsvc the way dinit runs a service: as <dir>/run,
// without arguments, in <dir>.
func TestModeFromDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"run", "terminate"} {
		if err := os.Symlink(os.Args[0], filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	runIn := func(name string, env ...string) (string, string, int) {
		cmd := command()
		cmd.Path, cmd.Args, cmd.Dir = filepath.Join(dir, name), []string{filepath.Join(dir, name)}, dir
		cmd.Env = append(cmd.Env, env...)
		return result(t, cmd)
	}
	if _, stderr, code := runIn("run"); code != 2 || !strings.Contains(stderr, "no mode") {
		t.Errorf("no mode anywhere: code %d stderr %q, want 2 and a usage message", code, stderr)
	}
	if stdout, _, code := runIn("run", "TESTSVC_MODE=plain 1"); code != 0 || stdout != "line 1\n" {
		t.Errorf("TESTSVC_MODE: got %q code %d", stdout, code)
	}
	if err := os.WriteFile(filepath.Join(dir, "mode"), []byte("exit 9\nignored\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, code := runIn("run", "TESTSVC_MODE=plain 1"); code != 9 {
		t.Errorf("mode file: got code %d, want 9", code)
	}
	stdout, stderr, code := runIn("terminate", "DINIT_PID=bad")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "DINIT_PID") {
		t.Errorf("copy named terminate: got code %d stdout %q stderr %q", code, stdout, stderr)
	}
}

func TestTrap(t *testing.T) {
	for _, last := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		s := start(t, "trap")
		s.expect(`{"msg":"ready"}`)
		for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGHUP} {
			s.signal(sig)
			s.expect(fmt.Sprintf(`{"signal":"%s"}`, signalName(sig)))
		}
		s.signal(last)
		s.expect(fmt.Sprintf(`{"signal":"%s"}`, signalName(last)))
		s.expect(`{"msg":"bye"}`)
		if ws := s.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("trap after %v: %v, want exit 0", last, ws)
		}
	}
}

func signalName(sig syscall.Signal) string {
	return map[syscall.Signal]string{
		syscall.SIGHUP: "SIGHUP", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2",
		syscall.SIGWINCH: "SIGWINCH", syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT",
		syscall.SIGQUIT: "SIGQUIT",
	}[sig]
}

// TestSleepDefaultDispositions checks that sleep ends as a C program would:
// killed by HUP, USR1, QUIT (no Go stack dump), and not by WINCH.
func TestSleepDefaultDispositions(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT} {
		s := start(t, "sleep")
		waitDefault(t, s.cmd.Process.Pid, sig)
		s.signal(syscall.SIGWINCH) // default: ignored
		s.signal(sig)
		if ws := s.wait(); !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("sleep got %v: %v, want killed by it", sig, ws)
		}
	}
}

func TestIgnoreTerm(t *testing.T) {
	s := start(t, "ignoreterm")
	s.expect(`{"msg":"ready"}`)
	s.signal(syscall.SIGTERM)
	time.Sleep(100 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("ignoreterm died of SIGTERM: %v", err)
	}
	s.signal(syscall.SIGKILL)
	if ws := s.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("got %v, want killed by SIGKILL", ws)
	}
}

func TestStopLines(t *testing.T) {
	const n = 2000
	s := start(t, "stoplines", fmt.Sprint(n))
	s.expect(`{"msg":"ready"}`)
	s.signal(syscall.SIGTERM)
	for i := 1; i <= n; i++ {
		s.expect(fmt.Sprintf(`{"n":%d,"msg":"stopping"}`, i))
	}
	if ws := s.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("stoplines: %v, want exit 0", ws)
	}
}

// TestFDs passes one extra descriptor (fd 3) and holds one open close-on-exec.
// Descriptors that this test process inherited without close-on-exec (a shell or CI
// harness may leak some) reach the child too, so they are expected as well.
func TestFDs(t *testing.T) {
	extra, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	held, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	cmd := command("fds")
	cmd.ExtraFiles = []*os.File{extra}
	stdout, stderr, code := result(t, cmd)
	want := []int{0, 1, 2, 3}
	own, err := openFDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range own {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); fd > 3 && err == nil && flags&unix.FD_CLOEXEC == 0 {
			want = append(want, fd)
		}
	}
	wantLine := strings.ReplaceAll(fmt.Sprintf(`{"fds":%v}`, want), " ", ",") + "\n"
	if stdout != wantLine || stderr != "" || code != 0 {
		t.Errorf("got %q %q %d, want %q", stdout, stderr, code, wantLine)
	}
}

func TestTerminate(t *testing.T) {
	s := start(t, "sleep")
	pid := s.cmd.Process.Pid
	waitDefault(t, pid, syscall.SIGTERM)
	cmd := command("terminate")
	cmd.Env = append(cmd.Env, fmt.Sprintf("DINIT_PID=%d", pid))
	stdout, stderr, code := result(t, cmd)
	if want := fmt.Sprintf(`{"msg":"terminating","pid":%d}`+"\n", pid); stdout != want || stderr != "" || code != 0 {
		t.Errorf("got %q %q %d, want %q", stdout, stderr, code, want)
	}
	if ws := s.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("target: %v, want killed by SIGTERM", ws)
	}
}

func TestLog(t *testing.T) {
	cmd := command("log")
	cmd.Stdin = strings.NewReader("a\n\nb \"q\"\nlast")
	stdout, _, code := result(t, cmd)
	want := `{"via":"log","line":"a"}` + "\n" + `{"via":"log","line":"b \"q\""}` + "\n" + `{"via":"log","line":"last"}` + "\n"
	if stdout != want || code != 0 {
		t.Errorf("got %q code %d, want %q", stdout, code, want)
	}
}

func TestTickMode(t *testing.T) {
	if code := run([]string{"testsvc", "tick"}); code != 2 {
		t.Fatalf("tick without a period: exit %d, want 2", code)
	}
	if code := run([]string{"testsvc", "tick", "0s"}); code != 2 {
		t.Fatalf("tick 0s: exit %d, want 2", code)
	}
}
