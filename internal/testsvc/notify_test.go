package main

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotify: notify writes one newline to the fd it is given after the delay,
// closes it, says so on stdout and blocks until a signal ends it.
func TestNotify(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := startWith(t, []*os.File{w}, "notify", "3", "50ms")
	w.Close()
	begin := time.Now()
	s.expect(`{"msg":"notified"}`)
	if d := time.Since(begin); d < 40*time.Millisecond {
		t.Errorf("notified after %v, want the delay of 50ms first", d)
	}
	got := make([]byte, 16)
	n, _ := r.Read(got)
	if string(got[:n]) != "\n" {
		t.Errorf("fd 3 got %q, want one newline", got[:n])
	}
	if n, err := r.Read(got); n != 0 || err == nil {
		t.Errorf("fd 3 after the newline: %q, %v; want EOF (closed)", got[:n], err)
	}
	s.signal(syscall.SIGTERM)
	if ws := s.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("notify got SIGTERM: %v, want killed by it", ws)
	}
}

// startWith is start with extra descriptors (fd 3 on).
func startWith(t *testing.T, extra []*os.File, args ...string) *started {
	t.Helper()
	cmd := command(args...)
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = extra
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &started{t: t, cmd: cmd, lines: make(chan string, 1000)}
	go readLines(out, s.lines)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return s
}

func TestNotifyErrors(t *testing.T) {
	for _, args := range [][]string{{"notify"}, {"notify", "x"}, {"notify", "3", "soon"}, {"notify", "3", "1s", "x"}} {
		stdout, stderr, code := result(t, command(args...))
		if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "testsvc: ") {
			t.Errorf("%q: got code %d stdout %q stderr %q; want a usage error", args, code, stdout, stderr)
		}
	}
	// An fd that is not open: exit 1, saying why.
	stdout, stderr, code := result(t, command("notify", "9"))
	if code != 1 || stdout != "" || !strings.HasPrefix(stderr, "notify: writing to fd 9: ") {
		t.Errorf("notify 9 without fd 9: got code %d stdout %q stderr %q", code, stdout, stderr)
	}
}
