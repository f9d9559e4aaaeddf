//go:build !race

package sys

import (
	"os"
	"slices"
	"testing"
)

// Once a lister knows the threads, the check of /proc/self and a listing
// of the real /proc allocate nothing. Not parallel: it starts children.
func TestChildListerDoesNotAllocate(t *testing.T) {
	a, b := kid(t, -1, "/bin/sleep", "1000"), kid(t, -1, "/bin/sleep", "1000")
	var l ChildLister
	defer l.Close()
	var pids []int
	var err error
	scan := func() {
		if err = l.Own(RealProc, os.Getpid()); err == nil {
			pids, err = l.List(RealProc, os.Getpid())
		}
	}
	allocs := testing.AllocsPerRun(100, scan)
	if err != nil || !slices.Contains(pids, a) || !slices.Contains(pids, b) {
		t.Fatalf("List = %v, %v; want %d and %d among them", pids, err, a, b)
	}
	if allocs != 0 {
		t.Fatalf("a listing allocates %v times", allocs)
	}
}

// What a listing costs, for the figures of ChildLister's doc: a lister
// kept (Own and List), and Proc.Children, which opens everything anew.
//
//	go test -run '^$' -bench 'ChildLister|Children' -benchmem ./proc/internal/sys/
func BenchmarkChildLister(b *testing.B) {
	var l ChildLister
	defer l.Close()
	for b.Loop() {
		if err := l.Own(RealProc, os.Getpid()); err != nil {
			b.Fatal(err)
		}
		if _, err := l.List(RealProc, os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChildren(b *testing.B) {
	for b.Loop() {
		if _, err := RealProc.Children(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}
