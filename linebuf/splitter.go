package linebuf

import (
	"bytes"
	"math"

	"github.com/valyala/bytebufferpool"
)

// DefaultLimit is the longest line, in bytes, emitted in one piece when
// [Splitter.Init] is given no limit. It is documented for users: 1 MiB holds
// any sane log line (a Go panic's lines, a big JSON record) while bounding the
// memory one misbehaving service can pin per pipe.
const DefaultLimit = 1 << 20

// Kind tells an [Emitter] whether it got a whole line or a piece of one
// longer than the limit.
type Kind uint8

const (
	// Whole is a complete line (without '\n' and trailing '\r').
	Whole Kind = iota
	// FirstPiece is the first limit bytes of a line longer than the limit;
	// the caller warns once per line on seeing it.
	FirstPiece
	// Piece is a later piece of that overlong line. The last piece has its
	// trailing '\r' removed and is not emitted when that leaves it empty.
	Piece
)

// String returns the name of the constant, for test failures and logs.
func (k Kind) String() string {
	switch k {
	case Whole:
		return "Whole"
	case FirstPiece:
		return "FirstPiece"
	case Piece:
		return "Piece"
	}
	return "Kind(?)"
}

// Emitter receives lines. b is only valid during the call: it may point into
// the caller's read buffer or into pooled storage that is reused afterwards.
//
// Line reports whether the Splitter may go on. false (the caller's output is
// full: backpressure) makes [Splitter.Write] stop at the end of the current
// line and hand back the bytes it has not split yet.
type Emitter interface {
	Line(b []byte, k Kind) (more bool)
}

// Splitter splits one byte stream into lines. The zero value splits with
// [DefaultLimit]; call [Splitter.Init] for another limit. A Splitter is not
// safe for concurrent use (one pipe has one reader).
type Splitter struct {
	// part holds the unterminated tail of the reads so far; nil when there is
	// none, so that an idle pipe pins no memory. Invariant: when part is not
	// nil it holds 1..limit bytes.
	part *bytebufferpool.ByteBuffer
	// limit is the line limit; 0 means DefaultLimit. int32 keeps the struct
	// at 16 bytes: it is embedded once per pipe.
	limit int32
	// long is set while inside a line emitted in pieces, after its
	// FirstPiece: a line longer than the limit, or one cut by [Splitter.Cut]
	// (then part may be nil).
	long bool
}

// Init sets the line limit (limit <= 0 means [DefaultLimit]; limits above
// math.MaxInt32 are clamped to it) and discards any partial line.
func (s *Splitter) Init(limit int) {
	s.release()
	s.long = false
	s.limit = int32(min(max(limit, 0), math.MaxInt32))
}

// Held returns the memory, in bytes, that the Splitter pins for an
// unterminated line: the capacity of its storage (a pooled buffer may be
// larger than the line it holds), 0 when it holds none. Callers that serve
// many pipes add it up to bound what all partial lines pin together.
func (s *Splitter) Held() int {
	if s.part == nil {
		return 0
	}
	return cap(s.part.B)
}

// lim returns the effective line limit.
func (s *Splitter) lim() int {
	if s.limit <= 0 {
		return DefaultLimit
	}
	return int(s.limit)
}

// Write splits p, the bytes just read, and hands every line it completes to
// e. Lines lying wholly inside p are passed as sub-slices of p (no copy); an
// unterminated tail is copied, so the caller may reuse p after Write returns.
//
// Write returns the bytes of p it has not consumed: none, unless e.Line
// returned false; then Write stopped at the end of that line, and the caller
// passes the rest to a later Write, before any newer bytes of the stream. So
// the output one Write produces past the caller's limit is at most one line
// (or one limit-sized piece).
func (s *Splitter) Write(p []byte, e Emitter) (rest []byte) {
	more := true
	if s.part != nil || s.long {
		p, more = s.extend(p, e)
	}
	lim := s.lim()
	for more && len(p) > 0 {
		n := bytes.IndexByte(p, '\n')
		if n < 0 {
			s.hold(p, e)
			return nil
		}
		if n <= lim {
			more = emitWhole(p[:n], e) // the hot path: a line inside p
		} else {
			more = s.finish(p[:n], e)
		}
		p = p[n+1:]
	}
	return p
}

// Cut emits the unterminated line held so far as a piece, now, and returns
// its storage to the pool: the caller's budget for partial lines is spent.
// The piece is a FirstPiece unless the line was already being emitted in
// pieces; the rest of the line follows as pieces. Cut does nothing when no
// partial line is held.
func (s *Splitter) Cut(e Emitter) {
	if s.part == nil {
		return
	}
	s.piece(s.part.B, e)
	s.release()
}

// Close handles EOF: the final line, if it has no '\n', is emitted, and the
// storage is released. The Splitter can then be used for a new stream.
func (s *Splitter) Close(e Emitter) {
	if s.part != nil {
		_ = s.last(s.part.B, e)
		s.release()
	}
	s.long = false
}

// emitWhole emits a complete line that fits the limit, and reports whether
// the emitter wants more.
func emitWhole(b []byte, e Emitter) bool {
	if b = trimCR(b); len(b) > 0 {
		return e.Line(b, Whole)
	}
	return true
}

// trimCR removes one trailing '\r' (CRLF line ends from Windows-born tools).
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
