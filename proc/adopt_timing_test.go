//go:build amd64 || arm64

package proc

import (
	"slices"
	"testing"
	"time"
)

// TestAdoptTimingPtrace measures, over 100 adoptions each, how long one
// adoption stops a tracee (PTRACE_SEIZE to PTRACE_DETACH) and how long it
// blocks dinit's loop (the whole redirectAdopted: /proc reads, the
// listening socket, every tracee). Figures, not assertions:
//
//	go test -run TestAdoptTiming -v ./proc
func TestAdoptTimingPtrace(t *testing.T) {
	for _, c := range []struct{ what, script string }{
		{"sleep (one process)", "exec sleep 1000"},
		{"sh waiting for its sleep (a process and a descendant)", "sleep 1000; exit 0"},
	} {
		t.Run(c.what, func(t *testing.T) {
			ptLock(t)
			_, oldW := injPipe(t)
			pid := ptStart(t, -1, oldW, oldW, "/bin/sh", "-c", c.script)
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
				if kids, _ := children(pid); commOf(pid) == "sleep" || len(kids) == 1 && commOf(kids[0]) == "sleep" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("not started")
				}
			}
			time.Sleep(20 * time.Millisecond)
			var stops, totals []time.Duration
			for range 100 {
				outR, outW, _ := plainPipe()
				errR, errW, _ := plainPipe()
				var st adoptStats
				warnings, err := redirectAdoptedStats(pid, outW, errW, &st)
				if err != nil || len(warnings) > 0 {
					t.Fatalf("redirect: %v %v", err, warnings)
				}
				stops = append(stops, st.stopped...)
				totals = append(totals, st.total)
				closeFds(outR, outW, errR, errW)
			}
			slices.Sort(stops)
			slices.Sort(totals)
			t.Logf("tracee stopped (SEIZE..DETACH, %d stops): median %v, worst %v",
				len(stops), stops[len(stops)/2], stops[len(stops)-1])
			t.Logf("loop blocked (one adoption, 100 adoptions): median %v, worst %v",
				totals[len(totals)/2], totals[len(totals)-1])
		})
	}
}
