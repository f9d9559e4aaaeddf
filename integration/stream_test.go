package integration

import (
	"bytes"
	"os"
	"regexp"
	"sync"
	"time"
)

// stream collects one output of dinit (its stdout or its stderr) from a
// pipe. Waiters poll it by line; reading can be paused to play a stalled
// consumer (a container runtime that stops reading).
type stream struct {
	name string

	mu      sync.Mutex
	buf     []byte
	eof     bool
	changed chan struct{} // closed and replaced whenever buf grows or eof is reached
	paused  bool
	resumed chan struct{} // closed by resume
}

func newStream(name string, paused bool) *stream {
	return &stream{name: name, changed: make(chan struct{}), paused: paused, resumed: make(chan struct{})}
}

// copyFrom reads r until EOF, honouring pauses. Run it in a goroutine.
func (s *stream) copyFrom(r *os.File) {
	defer r.Close()
	b := make([]byte, 64<<10)
	for {
		s.waitUnpaused()
		n, err := r.Read(b)
		s.mu.Lock()
		s.buf = append(s.buf, b[:n]...)
		if err != nil {
			s.eof = true
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// followFile reads a regular file as it grows, until done is closed and
// everything written before that has been read.
func (s *stream) followFile(r *os.File, done <-chan struct{}) {
	defer r.Close()
	b := make([]byte, 64<<10)
	for {
		exited := false
		select {
		case <-done:
			exited = true // what it wrote is all there: read to the end
		default:
		}
		n, _ := r.Read(b)
		s.mu.Lock()
		s.buf = append(s.buf, b[:n]...)
		s.eof = n == 0 && exited
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
		if s.eof {
			return
		}
		if n == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func (s *stream) waitUnpaused() {
	s.mu.Lock()
	paused, ch := s.paused, s.resumed
	s.mu.Unlock()
	if paused {
		<-ch
	}
}

func (s *stream) resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused {
		s.paused = false
		close(s.resumed)
	}
}

// snapshot returns the bytes so far, whether EOF was seen, and a channel
// closed at the next change.
func (s *stream) snapshot() ([]byte, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf, s.eof, s.changed
}

func (s *stream) bytes() []byte {
	b, _, _ := s.snapshot()
	return b
}

func (s *stream) String() string { return string(s.bytes()) }

// waitEOF waits until the writer side is closed by every holder.
func (s *stream) waitEOF(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		_, eof, ch := s.snapshot()
		if eof {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// waitLines waits until n complete lines (timestamps normalised to TS)
// match re, and returns the submatches of the n-th one. ok is false on
// timeout or when the stream ended first (reason says which).
func (s *stream) waitLines(re *regexp.Regexp, n int, timeout time.Duration) (match []string, reason string) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	off, seen := 0, 0
	for {
		b, eof, ch := s.snapshot()
		for {
			i := bytes.IndexByte(b[off:], '\n')
			if i < 0 {
				break
			}
			line := normalizeLine(b[off : off+i])
			off += i + 1
			if m := re.FindStringSubmatch(line); m != nil {
				seen++
				if seen == n {
					return m, ""
				}
			}
		}
		if eof {
			return nil, "the stream ended"
		}
		select {
		case <-ch:
		case <-deadline.C:
			return nil, "timed out after " + timeout.String()
		}
	}
}
