package proc

import (
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// The blind sweep runs only as PID 1, stopping, with the listing failed,
// nothing of ours left running and pipes still open; its SIGKILL is a
// timer of the loop. (Its signals reach real processes: the sending is
// exercised by integration's TestProcUnmounted, as PID 1 of a namespace.)
// Not parallel: without a pipe open, any child of the test process would
// be one we cannot see.
func TestBlindSweepConditions(t *testing.T) {
	for _, tt := range []struct {
		name string
		undo func(s *Supervisor, closePipe func())
	}{
		{"every condition", nil},
		{"not PID 1", func(s *Supervisor, _ func()) { s.self = 2 }},
		{"not stopping", func(s *Supervisor, _ func()) { s.phase = running }},
		{"listing works", func(s *Supervisor, _ func()) { s.reparent.listErr = nil }},
		{"a process of ours", func(s *Supervisor, _ func()) { s.procs[5000007] = &process{pid: 5000007} }},
		{"no pipe open", func(_ *Supervisor, closePipe func()) { closePipe() }},
	} {
		if tt.name == "no pipe open" && sys.HasChildren() {
			continue // a child of the test process would be one we cannot see
		}
		s := newUnitSupervisor(t, Config{KillTimeout: 3 * time.Second})
		s.self, s.phase, s.reparent.listErr = 1, stopping, sys.ErrForeignProc
		src, w, err := s.out.NewSource("web", "run", true)
		if err != nil {
			t.Fatal(err)
		}
		closePipe := func() {
			if w >= 0 {
				sys.Close(w)
				w = -1
				drainSources(t, s)
			}
		}
		t.Cleanup(func() { closePipe(); src.Close() })
		if tt.undo != nil {
			tt.undo(s, closePipe)
		}
		if got := s.blind(); got != (tt.undo == nil) {
			t.Errorf("%s: blind=%v", tt.name, got)
		}
	}
	s := newUnitSupervisor(t, Config{KillTimeout: 3 * time.Second})
	if d := s.sweepDeadline(); !d.Equal(loop.Never) {
		t.Fatalf("sweep deadline before the SIGTERM: %v", d)
	}
	s.sweep.stage, s.sweep.killAt = termSent, s.now.Add(3*time.Second)
	s.reparent.due = s.now.Add(time.Hour)
	if d := s.deadline(); !d.Equal(s.sweep.killAt) {
		t.Fatalf("deadline %v after now, want the sweep's SIGKILL", d.Sub(s.now))
	}
	s.sweep.stage = killSent
	if d := s.sweepDeadline(); !d.Equal(loop.Never) {
		t.Fatalf("sweep deadline after the SIGKILL: %v", d)
	}
}
