//go:build !race

package proc

import (
	"runtime"
	"slices"
	"testing"
	"time"
)

// The loop's steady state allocates nothing (issue 14): services running
// and silent (the relay idle), the status socket open with no client, and
// the reparent scan listing our children in the real /proc.

// idleSupervisor is a unit supervisor running n services (`sleep 1000`)
// and answering on its status socket, every start-up line written out and
// the first scans made: from here on its turns are its steady state.
// Policy ignore: a stray child of the test process (not ours) is left be.
func idleSupervisor(t testing.TB, n int) *Supervisor {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		files["svc"+itoa(i)+"/run"] = "#!/bin/sh\nexec sleep 1000\n"
	}
	dir := writeService(t, files)
	s := newUnitSupervisor(t, Config{Dir: dir, Level: LevelInfo, Policy: PolicyIgnore, Status: true})
	killProcsAtEnd(t, s)
	svcs, err := discover(dir)
	if err != nil || len(svcs) != n {
		t.Fatalf("discover: %d services, %v", len(svcs), err)
	}
	s.services = svcs
	startAll(s)
	s.openStatus()
	if s.status == nil {
		t.Fatalf("no status socket: %q", messages(s))
	}
	t.Cleanup(s.closeStatus)
	settle(t, s)
	var want []string
	for _, svc := range svcs {
		want = append(want, "TS dinit: info: "+svc.name+"/run: starting",
			"TS dinit: info: "+svc.name+"/run: running with PID "+itoa(svc.run.pid))
	}
	expectMessages(t, s, want...)
	return s
}

// settle runs turns for twice timing.young (a child seen once is looked at
// again then), scanning every millisecond, and checks that the scan lists
// every service's process.
func settle(t testing.TB, s *Supervisor) {
	t.Helper()
	s.timing.scan = time.Millisecond
	for end := time.Now().Add(2 * s.timing.young); time.Now().Before(end); {
		s.turn()
	}
	s.timing.scan = defaultTiming.scan
	pids, err := s.listChildren()
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range s.services {
		if !slices.Contains(pids, svc.run.pid) {
			t.Fatalf("%s/run (PID %d) not among our children %v", svc.name, svc.run.pid, pids)
		}
	}
	if len(s.reparent.pending) != 0 || s.out.HasReady() || s.stopping() {
		t.Fatalf("not idle: pending %v, relay ready %v, phase %d", s.reparent.pending, s.out.HasReady(), s.phase)
	}
}

// A whole turn (poll, status, scan, flush) with the scan due at every
// turn: not one allocation. The scan covers the /proc/self check, the
// listing of every thread's children and their classification.
func TestIdleTurnDoesNotAllocate(t *testing.T) {
	s := idleSupervisor(t, 3)
	s.timing.scan = 0 // due at every turn: the next turn's clock is past it
	scans := 0
	allocs := testing.AllocsPerRun(100, func() {
		s.turn()
		if s.reparent.due.Equal(s.now) { // set by this turn's scan
			scans++
		}
	})
	if scans != 101 { // AllocsPerRun's warm-up run, then 100
		t.Fatalf("%d scans in 101 turns", scans)
	}
	if allocs != 0 {
		t.Fatalf("an idle turn allocates %v times", allocs)
	}
	expectMessages(t, s)
}

// A scan while many unknown children are still young (pending, not yet
// taken) allocates nothing either: the set of those listed is reused.
// (A map made per scan stays on the stack for 8 entries or fewer.)
func TestScanWithPendingChildrenDoesNotAllocate(t *testing.T) {
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	var pids []int
	for pid := 5000001; pid <= 5000020; pid++ { // above any pid_max: never real
		pids = append(pids, pid)
	}
	fakeReparented(t, s, nil, pids...)
	scan := func() {
		s.reparent.due = s.now // a SIGCHLD, say
		s.scanIfDue()
	}
	allocs := testing.AllocsPerRun(100, scan)
	if len(s.reparent.pending) != len(pids) || len(s.procs) != 0 {
		t.Fatalf("pending %v, %d processes", s.reparent.pending, len(s.procs))
	}
	if allocs != 0 {
		t.Fatalf("a scan with %d young children allocates %v times", len(pids), allocs)
	}
	expectMessages(t, s)
}

// idleFor is how long BenchmarkIdleMallocs lets the supervisor idle.
const idleFor = 5 * time.Second

// BenchmarkIdleMallocs is the figure of issue 14: heap allocations per
// second of an idle supervisor with 10 services, its turns run with the
// default timing (a reparent scan every second) for idleFor:
//
//	go test -run '^$' -bench IdleMallocs -benchtime 1x ./proc/
func BenchmarkIdleMallocs(b *testing.B) {
	s := idleSupervisor(b, 10)
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.ReadMemStats(&before)
		start := time.Now()
		for time.Since(start) < idleFor {
			s.turn()
		}
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/elapsed.Seconds(), "mallocs/s")
	}
}
