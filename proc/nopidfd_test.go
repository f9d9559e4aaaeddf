package proc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	if err := os.WriteFile(filepath.Join(dir, "web", "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, JSON: true})
	s.pidfds = false
	// turn() flushes the sinks: give them files to write to.
	outF, _ := os.Create(filepath.Join(t.TempDir(), "stdout"))
	errF, _ := os.Create(filepath.Join(t.TempDir(), "stderr"))
	defer outF.Close()
	defer errF.Close()
	s.out.stdout.fd, s.out.stderr.fd = int(outF.Fd()), int(errF.Fd())
	svcs, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.services = svcs
	s.startAll()
	deadline := time.Now().Add(10 * time.Second)
	for !s.done() {
		if time.Now().After(deadline) {
			t.Fatal("not done after 10 s")
		}
		s.turn()
	}
	if s.exitCode != ExitService {
		t.Fatalf("exit code %d, want %d", s.exitCode, ExitService)
	}
	outB, _ := os.ReadFile(outF.Name())
	errB, _ := os.ReadFile(errF.Name())
	s.out.stderr.buf = errB
	out := tsRe.ReplaceAllString(string(outB), "TS")
	if out != `{"msg":"hi","service":"web","stage":"run","logged":"TS"}`+"\n" {
		t.Fatalf("stdout %q; said %s", out, errB)
	}
	var got []string
	for _, m := range messages(s) {
		if len(m) > 0 {
			got = append(got, m)
		}
	}
	// The stderr line and the end of run may come in either order.
	want := []string{
		"TS dinit: info: web/run: starting",
		"TS dinit: info: web/run: running with PID",
		"TS dinit: info: web/run: PID",
		"TS web/run: oops",
		"TS dinit: info: dinit exiting with status 3",
	}
	slices.Sort(got[2:4])
	if len(got) != len(want) {
		t.Fatalf("messages %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Fatalf("message %d: %q, want prefix %q", i, got[i], want[i])
		}
	}
}
