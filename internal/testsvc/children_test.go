package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// subreaper makes the test process inherit the orphans of its children, as dinit
// does. No other test runs in parallel, so reaping with wait4(-1) takes only those.
func subreaper(t *testing.T) {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// reapAll reaps every child that is already a zombie.
func reapAll(t *testing.T) []unix.WaitStatus {
	var all []unix.WaitStatus
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD || pid == 0 {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ws)
	}
}

func TestZombies(t *testing.T) {
	subreaper(t)
	stdout, stderr, code := result(t, command("zombies", "5"))
	if want := `{"msg":"spawned","n":5}` + "\n"; stdout != want || stderr != "" || code != 0 {
		t.Fatalf("got %q %q %d, want %q", stdout, stderr, code, want)
	}
	// The children were zombies before their parent ended, so they are ours now.
	reaped := reapAll(t)
	if len(reaped) != 5 {
		t.Fatalf("reaped %d zombies, want 5", len(reaped))
	}
	for _, ws := range reaped {
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("zombie ended with %v, want exit 0", ws)
		}
	}
}

func TestOrphan(t *testing.T) {
	subreaper(t)
	cmd := command("orphan", "50ms", "115")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	if !out.Scan() {
		t.Fatalf("no line from the orphan: %v", out.Err())
	}
	var hi struct {
		Msg string `json:"msg"`
		PID int    `json:"pid"`
	}
	if err := json.Unmarshal(out.Bytes(), &hi); err != nil || hi.Msg != "orphan says hi" || hi.PID <= 0 {
		t.Fatalf("got %q (%v), want the orphan's greeting", out.Text(), err)
	}
	errs := bufio.NewScanner(stderr)
	if !errs.Scan() || errs.Text() != "orphan err" {
		t.Errorf("stderr: got %q, want %q", errs.Text(), "orphan err")
	}
	if err := cmd.Wait(); cmd.ProcessState.ExitCode() != 115 {
		t.Errorf("parent: %v, want exit 115", err)
	}
	// The parent has exited: the orphan is ours, and sleeps until signalled.
	if err := unix.Kill(hi.PID, unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(hi.PID, &ws, 0, nil); err != nil {
		t.Fatal(fmt.Errorf("wait4 orphan: %w", err))
	}
	if !ws.Signaled() || ws.Signal() != unix.SIGTERM {
		t.Errorf("orphan: %v, want killed by SIGTERM", ws)
	}
}
