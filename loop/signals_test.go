package loop

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type flag struct{ set bool }

func (f *flag) Event(uint32) { f.set = true }

// Signals arrive in order through the eventfd, and none is lost when many
// different ones are sent in a burst.
func TestSignalsArriveInOrderThroughEventfd(t *testing.T) {
	s, err := NewSignals(syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	l := newLoop(t)
	var f flag
	if _, err := l.Add(s.Fd(), In, &f); err != nil {
		t.Fatal(err)
	}
	want := []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH}
	var got []unix.Signal
	for _, sig := range want {
		unix.Kill(unix.Getpid(), sig)
		deadline := time.Now().Add(5 * time.Second)
		// Wait for each before sending the next: the kernel coalesces
		// a standard signal that is already pending, and so do we.
		for len(got) < len(want) && time.Now().Before(deadline) {
			f.set = false
			l.Poll(deadline)
			if f.set {
				got = s.Take(got)
				break
			}
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestQueueCoalescesOnlyPastCapacity(t *testing.T) {
	s := &Signals{}
	for i := 0; i < queueCap; i++ {
		s.push(unix.SIGHUP)
	}
	s.push(unix.SIGHUP) // already queued and full: coalesced
	s.push(unix.SIGTERM)
	if len(s.q) != queueCap+1 || s.q[queueCap] != unix.SIGTERM {
		t.Fatalf("len %d, last %v", len(s.q), s.q[len(s.q)-1])
	}
}
