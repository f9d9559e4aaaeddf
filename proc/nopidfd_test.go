package proc

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Without pidfds (old kernels, seccomp profiles that refuse pidfd_open),
// ends are found by waiting by PID on the periodic scan: a whole run of the
// supervisor still ends with the right exit code and output.
func TestRunWithoutPidfds(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := "#!/bin/sh\necho '{\"msg\":\"hi\"}'\necho oops >&2\nexit 3\n"
	if err := writeProgram(filepath.Join(dir, "web", "run"), run, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Stdout: StdoutJSON})
	s.pidfds = false
	// Ends are found by the periodic scan: a short one, not to wait 1 s.
	s.timing.scan, s.timing.scanStopping = 5*time.Millisecond, 5*time.Millisecond
	svcs, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.services = svcs
	startAll(s)
	pid := itoa(svcs[0].run.pid)
	deadline := time.Now().Add(10 * time.Second)
	for !s.done() {
		if time.Now().After(deadline) {
			t.Fatal("not done after 10 s")
		}
		s.turn()
	}
	if s.code() != ExitService {
		t.Fatalf("exit code %d, want %d", s.code(), ExitService)
	}
	if out := stdoutText(s); out != `{"msg":"hi","service":"web","stage":"run","logged":"TS"}`+"\n" {
		t.Fatalf("stdout %q; said %q", out, messages(s))
	}
	got := messages(s)
	// The stderr line and the end of run (with the shutdown line right
	// after it) may come in either order.
	if i := slices.Index(got, "TS web/run: oops"); i == 2 || i == 4 {
		got = slices.Delete(got, i, i+1)
	} else {
		t.Fatalf("stderr line at %d: %q", i, got)
	}
	got = takeLine(t, got, "TS dinit: info: web/run: relayed 1 line (13 bytes) on stdout, 1 on stderr",
		"TS dinit: warning: shutting down: web/run: PID "+pid+" finished with status 3")
	sameLines(t, "messages (stderr line taken out)", got, []string{
		"TS dinit: info: web/run: starting",
		"TS dinit: info: web/run: running with PID " + pid,
		"TS dinit: info: web/run: PID " + pid + " finished with status 3",
		"TS dinit: warning: shutting down: web/run: PID " + pid + " finished with status 3",
		"TS dinit: warning: dinit exiting with status 3",
	})
}
