package linebuf

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// rec is one emitted line, copied out of the emitter call.
type rec struct {
	s string
	k Kind
}

func (r rec) String() string { return fmt.Sprintf("%v%q", r.k, r.s) }

// recorder is an Emitter that copies every line and checks the Splitter's
// bound while the line is being emitted. It asks the Splitter to stop on the
// calls whose bit is set in stops (call n uses bit n%64), and checks that
// nothing but pieces of the same line comes after it asked.
type recorder struct {
	t       testing.TB
	s       *Splitter
	limit   int
	got     []rec
	stops   uint64
	calls   int
	stopped bool // a Line call of the current Write returned false
}

func (r *recorder) Line(b []byte, k Kind) bool {
	r.t.Helper()
	if len(b) == 0 {
		r.t.Errorf("empty line emitted (kind %v)", k)
	}
	if len(b) > r.limit {
		r.t.Errorf("line of %d bytes emitted, limit %d", len(b), r.limit)
	}
	if n := buffered(r.s); n > r.limit {
		r.t.Errorf("buffered %d bytes during emit, limit %d", n, r.limit)
	}
	if r.stopped && k != Piece {
		r.t.Errorf("%v %q emitted after the emitter asked to stop", k, b)
	}
	r.got = append(r.got, rec{string(b), k})
	more := r.stops&(1<<(r.calls%64)) == 0
	r.calls++
	r.stopped = r.stopped || !more
	return more
}

// write feeds p to the Splitter as a caller does: the rest that Write hands
// back goes in again until all of p is consumed.
func (r *recorder) write(p []byte) {
	r.t.Helper()
	for {
		r.stopped = false
		rest := r.s.Write(p, r)
		if len(rest) == 0 {
			return
		}
		if !r.stopped || len(rest) >= len(p) {
			r.t.Fatalf("Write handed back %d of %d bytes (asked to stop: %v)", len(rest), len(p), r.stopped)
		}
		p = rest
	}
}

// buffered is the length of the partial line held.
func buffered(s *Splitter) int {
	if s.part == nil {
		return 0
	}
	return len(s.part.B)
}

// reference computes the lines of a whole stream by the rules of the package,
// from bytes.Split: the model that every chunking must match.
func reference(stream []byte, limit int) []rec {
	var out []rec
	for _, line := range bytes.Split(stream, []byte("\n")) {
		out = appendRef(out, line, limit)
	}
	return out
}

// appendRef appends the records of one complete line.
func appendRef(out []rec, line []byte, limit int) []rec {
	if len(line) <= limit {
		if line = bytes.TrimSuffix(line, []byte("\r")); len(line) > 0 {
			out = append(out, rec{string(line), Whole})
		}
		return out
	}
	k := FirstPiece
	for len(line) > limit {
		out = append(out, rec{string(line[:limit]), k})
		line, k = line[limit:], Piece
	}
	if line = bytes.TrimSuffix(line, []byte("\r")); len(line) > 0 {
		out = append(out, rec{string(line), Piece})
	}
	return out
}

// split feeds stream to a fresh Splitter in writes of the given sizes (the
// last write takes the rest), closes it, and returns the lines. It checks
// the storage bound after every write and that nothing is held after Close.
func split(t testing.TB, stream []byte, limit int, sizes ...int) []rec {
	t.Helper()
	return splitStopping(t, stream, limit, 0, sizes...)
}

// splitStopping is split with an emitter that asks to stop on the calls
// given by stops (see recorder).
func splitStopping(t testing.TB, stream []byte, limit int, stops uint64, sizes ...int) []rec {
	t.Helper()
	s := &Splitter{}
	s.Init(limit)
	eff := s.lim()
	r := &recorder{t: t, s: s, limit: eff, stops: stops}
	for _, n := range sizes {
		n = min(n, len(stream))
		r.write(stream[:n])
		stream = stream[n:]
		checkHeld(t, s, eff)
	}
	r.write(stream)
	checkHeld(t, s, eff)
	s.Close(r)
	if s.part != nil || buffered(s) != 0 || s.long {
		t.Errorf("after Close: part=%v Buffered=%d long=%v", s.part != nil, buffered(s), s.long)
	}
	return r.got
}

// checkHeld checks the invariants between writes: storage within the limit,
// and a pooled buffer held only while a partial line is pending.
func checkHeld(t testing.TB, s *Splitter, limit int) {
	t.Helper()
	if n := buffered(s); n > limit {
		t.Errorf("buffered %d bytes, limit %d", n, limit)
	}
	if s.part != nil && len(s.part.B) == 0 {
		t.Errorf("an empty pooled buffer is held")
	}
	if s.long && s.part == nil {
		t.Errorf("inside an overlong line with no partial storage")
	}
}

// same reports whether two record lists are equal, with a readable diff.
func same(got, want []rec) (bool, string) {
	if len(got) == len(want) {
		eq := true
		for i := range got {
			eq = eq && got[i] == want[i]
		}
		if eq {
			return true, ""
		}
	}
	return false, fmt.Sprintf("got  %v\nwant %v", got, want)
}

// sample is real-world output used by the tests, benchmarks and fuzz seeds:
// an nginx access log, JSON application logs, a Go panic, CRLF output.
var sample = strings.Join([]string{
	`172.17.0.1 - - [28/Nov/2026:13:57:31 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 5123 "-" "curl/8.5.0"`,
	`172.17.0.1 - - [28/Nov/2026:13:57:32 +0000] "POST /login HTTP/1.1" 302 0 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"`,
	`{"level":"info","msg":"request handled","path":"/api/v1/items","status":200,"ms":12}`,
	`{"time":"2026-11-28T13:57:31.420Z","level":"ERROR","msg":"db: connection refused","attempt":3}`,
	``,
	`panic: runtime error: index out of range [5] with length 3`,
	``,
	`goroutine 1 [running]:`,
	`main.main()`,
	"\t/src/main.go:12 +0x1d",
	`exit status 2`,
	"windows line\r",
	"\r",
	"unicode: żółw 🐢",
}, "\n") + "\n"
