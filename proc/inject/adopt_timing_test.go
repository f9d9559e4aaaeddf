//go:build amd64 || arm64

package inject

import (
	"slices"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// BenchmarkAdopt measures one redirection of a sleeping process's output:
// ns/op is how long it keeps dinit's loop busy (/proc reads, the listening
// socket, the tracee), stopped-median and stopped-worst how long the
// tracee is stopped (PTRACE_SEIZE to PTRACE_DETACH).
//
//	go test -run '^$' -bench Adopt -benchtime 100x ./proc/inject
func BenchmarkAdopt(b *testing.B) {
	for _, c := range []struct{ name, script string }{
		{"one-process", "exec sleep 1000"},
		{"with-a-descendant", "sleep 1000; exit 0"},
	} {
		b.Run(c.name, func(b *testing.B) {
			ptLock(b)
			_, oldW := injPipe(b)
			pid := ptStart(b, -1, oldW, oldW, "/bin/sh", "-c", c.script)
			waitAsleep(b, pid)
			var stats adoptStats
			b.ResetTimer()
			for range b.N {
				outR, outW, _ := sys.PlainPipe()
				errR, errW, _ := sys.PlainPipe()
				warnings, err := redirectOnce(pid, outW, errW, &stats)
				if err != nil || len(warnings) > 0 {
					b.Fatalf("redirect: %v %v", err, warnings)
				}
				sys.Close(outR, outW, errR, errW)
			}
			b.StopTimer()
			slices.Sort(stats.stopped)
			b.ReportMetric(float64(stats.stopped[len(stats.stopped)/2].Microseconds()), "µs-stopped-median")
			b.ReportMetric(float64(stats.stopped[len(stats.stopped)-1].Microseconds()), "µs-stopped-worst")
		})
	}
}

// waitAsleep waits until sleep runs (pid itself or its one child) and is
// blocked in its system call.
func waitAsleep(tb testing.TB, pid int) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		target := pid
		if kids, _ := procfs.Children(pid); len(kids) == 1 {
			target = kids[0]
		}
		if commOf(target) == "sleep" && procState(target, target) == 'S' && inSyscall(target) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal("sleep not started")
		}
	}
}
