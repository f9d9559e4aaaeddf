package proc

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
)

// /proc is ours when /proc/self names us; a procfs of another PID
// namespace (uncovered by an unmount) is refused, and so is one without
// /proc/self; nothing is described from it.
func TestOwnProc(t *testing.T) {
	fakeProc(t, map[string]string{"7/cmdline": "/bin/other\x00"})
	if err := ownProc(os.Getpid()); err != nil {
		t.Fatalf("our own: %v", err)
	}
	if err := ownProc(1); !errors.Is(err, errForeignProc) {
		t.Fatalf("another namespace's: %v", err)
	}
	if c, n := describe(7); c != "/bin/other" || n != "other" {
		t.Fatalf("describe(7) = %q, %q", c, n)
	}
	if err := os.Remove(filepath.Join(procRoot, "self")); err != nil {
		t.Fatal(err)
	}
	if err := ownProc(os.Getpid()); err == nil {
		t.Fatal("no /proc/self: accepted")
	}
	if c, n := describe(7); c != "" || n != "unknown" {
		t.Fatalf("describe(7) without our /proc = %q, %q", c, n)
	}
}

// The blind sweep runs only as PID 1, shutting down, with the listing
// failed, nothing of ours left running and pipes still open; its SIGKILL
// is a timer of the loop. (Its signals reach real processes: the sending
// is exercised by integration's TestProcUnmounted, as PID 1 of a namespace.)
func TestBlindSweepConditions(t *testing.T) {
	s := newUnitSupervisor(t, Config{KillTimeout: 3 * time.Second})
	s.self, s.shutting, s.reparent.listErr, s.out.open = 1, true, errForeignProc, 1
	if !s.blind() {
		t.Fatal("not blind with every condition")
	}
	for name, undo := range map[string]func(){
		"not PID 1":         func() { s.self = 2 },
		"not shutting down": func() { s.shutting = false },
		"listing works":     func() { s.reparent.listErr = nil },
		"a process of ours": func() { s.procs[5000007] = &process{pid: 5000007} },
		"no pipe open":      func() { s.out.open = 0 },
	} {
		if name == "no pipe open" && hasChildren() {
			continue // a child of the test process would be one we cannot see
		}
		save := *s
		procs := map[int]*process{}
		s.procs = procs
		undo()
		if s.blind() {
			t.Errorf("%s: blind", name)
		}
		*s = save
	}
	if d := s.sweepDeadline(); !d.Equal(loop.Never) {
		t.Fatalf("sweep deadline before the SIGTERM: %v", d)
	}
	s.sweep.termed, s.sweep.killAt = true, s.now.Add(3*time.Second)
	s.reparent.due = s.now.Add(time.Hour)
	if d := s.deadline(); !d.Equal(s.sweep.killAt) {
		t.Fatalf("deadline %v after now, want the sweep's SIGKILL", d.Sub(s.now))
	}
}
