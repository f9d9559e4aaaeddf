package sys

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// State reads a thread's stat under its process; StartTime the process's
// starttime. Both are 0 when the file is missing or unreadable.
func TestStateAndStartTimeOnAFakeTree(t *testing.T) {
	t.Parallel()
	p := fakeProc(t, map[string]string{
		"40/stat":         "40 (web server) S 1 40 40 0 -1 4194304 94 0 0 0 0 0 0 0 20 0 2 0 987654 2314240 224",
		"40/task/40/stat": "40 (web server) S 1 40",
		"40/task/41/stat": "41 (worker) D 1 40",
		"42/stat":         "42 (short) Z 1",
		"42/task/42/stat": "garbage",
	})
	for _, c := range []struct {
		tgid, tid int
		want      byte
	}{{40, 40, 'S'}, {40, 41, 'D'}, {40, 43, 0}, {42, 42, 0}, {44, 44, 0}} {
		if got := p.State(c.tgid, c.tid); got != c.want {
			t.Errorf("State(%d, %d) = %q, want %q", c.tgid, c.tid, got, c.want)
		}
	}
	for pid, want := range map[int]uint64{40: 987654, 42: 0, 44: 0} {
		if got := p.StartTime(pid); got != want {
			t.Errorf("StartTime(%d) = %d, want %d", pid, got, want)
		}
	}
}

// Children passes over a thread whose list is gone (it ended while we
// looked) once another thread's list was read, and over what is not a
// number; a process that does not exist is an error.
func TestChildrenOfEndedThreadsAndGarbage(t *testing.T) {
	t.Parallel()
	p := fakeProc(t, map[string]string{
		"1/task/1/children": "10 x 11\n",
		"1/task/2/stat":     "2 (gone) X 0",
		"1/task/3/children": "12",
	})
	got, err := p.Children(1)
	if err != nil || !slices.Equal(got, []int{10, 11, 12}) {
		t.Fatalf("Children = %v, %v; want [10 11 12]", got, err)
	}
	if got, err := p.Children(7); !errors.Is(err, fs.ErrNotExist) || got != nil {
		t.Fatalf("Children of a missing process = %v, %v; want not-exist", got, err)
	}
}

// On the real /proc: our own thread, reading its own stat, runs; our
// starttime is field 22 of our stat. Not parallel: it waits on a child.
func TestStateAndStartTimeOnTheRealProc(t *testing.T) {
	self := os.Getpid()
	runtime.LockOSThread() // the thread we name is the one that reads
	defer runtime.UnlockOSThread()
	if got := RealProc.State(self, unix.Gettid()); got != 'R' {
		t.Fatalf("our own thread's state %q, want 'R'", got)
	}
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	want, err := strconv.ParseUint(fields[22-3], 10, 64)
	if err != nil || want == 0 {
		t.Fatalf("starttime %q in %q", fields[22-3], b)
	}
	if got := RealProc.StartTime(self); got != want {
		t.Fatalf("StartTime = %d, want %d", got, want)
	}
	// A child: asleep on its stdin, then a zombie; it started after us.
	pid, _, _ := blockedShell(t, false)
	waitState(t, pid, "S")
	if got := RealProc.StartTime(pid); got < want {
		t.Fatalf("the child started at %d, before us (%d)", got, want)
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExited(t, pid)
	if got := RealProc.State(pid, pid); got != 'Z' {
		t.Fatalf("an ended, unreaped child in state %q, want 'Z'", got)
	}
	if _, ok := Reap(pid); !ok {
		t.Fatal("not reaped")
	}
	if got := RealProc.State(pid, pid); got != 0 {
		t.Fatalf("a reaped child in state %q, want 0", got)
	}
}

// On the real /proc, a child we spawned is among our children (from any
// thread's list, or by stat without them), with its name.
func TestChildrenOnTheRealProc(t *testing.T) {
	pid, _, _ := blockedShell(t, false)
	kids, err := RealProc.Children(os.Getpid())
	if err != nil || !slices.Contains(kids, pid) {
		t.Fatalf("Children = %v, %v; want %d among them", kids, err, pid)
	}
	// Spawn returns once the exec closed our pipe, before the new program's
	// arguments are set up (its cmdline then reads as empty): asleep on its
	// stdin, the shell has them.
	waitState(t, pid, "S")
	if cmdline, name := RealProc.Describe(pid); cmdline != "/bin/sh" || name != "sh" {
		t.Fatalf("Describe = %q, %q; want \"/bin/sh\", \"sh\"", cmdline, name)
	}
}
