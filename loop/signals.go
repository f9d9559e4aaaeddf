package loop

import (
	"os"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// queueCap bounds the signal queue. Past it, a signal already waiting in the
// queue is not queued again: the kernel coalesces pending standard signals
// in the same way, so nothing that the kernel would have kept is lost.
const queueCap = 1024

// Signals is a lossless signal source for the loop: os/signal.Notify feeds a
// goroutine that appends each signal, in arrival order, to a queue and
// increments an eventfd that the loop polls for readability.
type Signals struct {
	efd  int
	ch   chan os.Signal
	mu   sync.Mutex
	q    []unix.Signal
	done chan struct{}
}

// NewSignals starts catching sigs, then ignores every signal left with a
// default action that would end or stop us (see sigaction.go). Call it
// before starting any child, so that no signal sent once children exist
// can hit a default disposition.
func NewSignals(sigs ...os.Signal) (*Signals, error) {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("eventfd", err)
	}
	// The buffer only has to absorb a burst while the forwarding goroutine
	// is descheduled; os/signal drops a signal when the channel is full.
	s := &Signals{efd: efd, ch: make(chan os.Signal, 256), done: make(chan struct{})}
	signal.Notify(s.ch, sigs...)
	go s.forward()
	// Only after Notify: a signal it installs a handler for is no longer
	// at SIG_DFL, and stays catchable.
	if _, err := ignoreDeadlyDefaults(); err != nil {
		return nil, err
	}
	return s, nil
}

// Fd is the eventfd to register with the loop (readable when signals wait).
func (s *Signals) Fd() int { return s.efd }

func (s *Signals) forward() {
	defer close(s.done)
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	for sig := range s.ch {
		s.push(unix.Signal(sig.(syscall.Signal)))
		// EAGAIN only when the counter is at its maximum: the loop is
		// already woken, the queue holds the signal.
		_, _ = unix.Write(s.efd, one)
	}
}

func (s *Signals) push(sig unix.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.q) >= queueCap {
		for _, q := range s.q {
			if q == sig {
				return
			}
		}
	}
	s.q = append(s.q, sig)
}

// Take resets the eventfd and returns the queued signals in arrival order,
// appended to buf.
func (s *Signals) Take(buf []unix.Signal) []unix.Signal {
	var cnt [8]byte
	_, _ = unix.Read(s.efd, cnt[:])
	s.mu.Lock()
	buf = append(buf, s.q...)
	s.q = s.q[:0]
	s.mu.Unlock()
	return buf
}

// Stop stops catching signals and closes the eventfd. dinit never calls it:
// after signal.Stop the runtime's default action is back (SIGTERM ends the
// process with 143), so a signal arriving between Stop and exit would kill
// us instead of the exit code we chose. The handlers stay until exit_group.
// Stop is for tests, which must give the test binary its signals back.
func (s *Signals) Stop() {
	signal.Stop(s.ch)
	close(s.ch)
	<-s.done
	_ = unix.Close(s.efd)
}
