package loop

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type recorder struct{ events []uint32 }

func (r *recorder) Event(ev uint32) { r.events = append(r.events, ev) }

func newPipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]); unix.Close(p[1]) })
	return p[0], p[1]
}

func newLoop(t *testing.T) *Loop {
	t.Helper()
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestPipeReadableDispatchesToItsHandler(t *testing.T) {
	l := newLoop(t)
	r1, w1 := newPipe(t)
	r2, _ := newPipe(t)
	var h1, h2 recorder
	if _, err := l.Add(r1, In, &h1); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Add(r2, In, &h2); err != nil {
		t.Fatal(err)
	}
	unix.Write(w1, []byte("x"))
	n, err := l.Poll(time.Now().Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("Poll = %d, %v; want 1, nil", n, err)
	}
	if len(h1.events) != 1 || h1.events[0]&In == 0 || len(h2.events) != 0 {
		t.Fatalf("h1=%v h2=%v", h1.events, h2.events)
	}
}

func TestPollTimesOutAtDeadline(t *testing.T) {
	l := newLoop(t)
	start := time.Now()
	n, err := l.Poll(start.Add(30 * time.Millisecond))
	if err != nil || n != 0 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatalf("woke before the deadline: %v", time.Since(start))
	}
}

func TestPastDeadlineDoesNotBlock(t *testing.T) {
	l := newLoop(t)
	n, err := l.Poll(time.Now().Add(-time.Hour))
	if err != nil || n != 0 {
		t.Fatalf("Poll = %d, %v", n, err)
	}
}

// A handler removes another registration during the same batch: the
// queued event of the removed one must not be delivered.
type remover struct {
	l      *Loop
	victim Token
	calls  int
}

func (r *remover) Event(uint32) { r.calls++; r.l.Remove(r.victim) }

func TestEventOfRegistrationRemovedInSameBatchIsDropped(t *testing.T) {
	l := newLoop(t)
	r1, w1 := newPipe(t)
	r2, w2 := newPipe(t)
	// Each handler removes the other: whichever runs first in the batch
	// makes the other's queued event stale, so exactly one runs.
	a, b := &remover{l: l}, &remover{l: l}
	tokA, _ := l.Add(r1, In, a)
	tokB, _ := l.Add(r2, In, b)
	a.victim, b.victim = tokB, tokA
	unix.Write(w1, []byte("x"))
	unix.Write(w2, []byte("x"))
	time.Sleep(10 * time.Millisecond) // both ready before the one epoll_wait
	n, err := l.Poll(time.Now().Add(time.Second))
	if err != nil || n != 1 || a.calls+b.calls != 1 {
		t.Fatalf("dispatched %d (a=%d b=%d), err %v; want exactly 1", n, a.calls, b.calls, err)
	}
}

func TestReusedSlotGetsNewGeneration(t *testing.T) {
	l := newLoop(t)
	r1, _ := newPipe(t)
	var h recorder
	old, _ := l.Add(r1, In, &h)
	if err := l.Remove(old); err != nil {
		t.Fatal(err)
	}
	r2, w2 := newPipe(t)
	var h2 recorder
	neu, _ := l.Add(r2, In, &h2)
	if neu.slot() != old.slot() || neu.gen() == old.gen() {
		t.Fatalf("old=%x new=%x: want same slot, new generation", old, neu)
	}
	if _, ok := l.lookup(old); ok {
		t.Fatal("stale token still resolves")
	}
	if err := l.Remove(old); err != nil {
		t.Fatalf("Remove with a stale token: %v, want a no-op", err)
	}
	unix.Write(w2, []byte("x"))
	l.Poll(time.Now().Add(time.Second))
	if len(h.events) != 0 || len(h2.events) != 1 {
		t.Fatalf("old handler %v, new handler %v", h.events, h2.events)
	}
}

func TestRemoveAfterCloseIsNotAnError(t *testing.T) {
	l := newLoop(t)
	var p [2]int
	unix.Pipe2(p[:], unix.O_CLOEXEC)
	defer unix.Close(p[1])
	var h recorder
	tok, _ := l.Add(p[0], In, &h)
	unix.Close(p[0])
	if err := l.Remove(tok); err != nil {
		t.Fatalf("Remove after close: %v", err)
	}
	if l.Registered() != 0 {
		t.Fatalf("Registered = %d", l.Registered())
	}
}

func TestEventfdWakesPoll(t *testing.T) {
	l := newLoop(t)
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	var h recorder
	l.Add(efd, In, &h)
	go func() {
		time.Sleep(20 * time.Millisecond)
		unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	}()
	n, err := l.Poll(time.Now().Add(5 * time.Second))
	if err != nil || n != 1 || len(h.events) != 1 {
		t.Fatalf("Poll = %d, %v, events %v", n, err, h.events)
	}
}

func TestEdgeTriggeredFiresOncePerWrite(t *testing.T) {
	l := newLoop(t)
	r, w := newPipe(t)
	var h recorder
	l.Add(r, In|Edge, &h)
	unix.Write(w, []byte("a"))
	l.Poll(time.Now().Add(time.Second))
	// Not read: level-triggered would fire again, edge-triggered must not.
	n, _ := l.Poll(time.Now().Add(20 * time.Millisecond))
	if n != 0 || len(h.events) != 1 {
		t.Fatalf("second poll n=%d events=%v", n, h.events)
	}
	unix.Write(w, []byte("b"))
	l.Poll(time.Now().Add(time.Second))
	if len(h.events) != 2 {
		t.Fatalf("new data raised no edge: %v", h.events)
	}
}

// Never waits without limit; a deadline nobody set (the zero time) is in
// the past and must not block: a forgotten timer spins once, it never
// sleeps forever.
func TestTimeoutOfNeverAndOfTheZeroTime(t *testing.T) {
	cases := []struct {
		name     string
		deadline time.Time
		want     int
	}{
		{"never", Never, -1},
		{"zero time", time.Time{}, 0},
		{"past", time.Now().Add(-time.Second), 0},
		{"far future but not never", time.Now().Add(1000 * time.Hour), 1 << 30},
	}
	for _, c := range cases {
		if got := timeoutMs(c.deadline); got != c.want {
			t.Errorf("%s: timeoutMs = %d, want %d", c.name, got, c.want)
		}
	}
	if got := timeoutMs(time.Now().Add(1500 * time.Microsecond)); got != 2 {
		t.Errorf("1.5 ms ahead: timeoutMs = %d, want 2 (rounded up)", got)
	}
}
