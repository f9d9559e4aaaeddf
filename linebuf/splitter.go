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
type Emitter interface{ Line(b []byte, k Kind) }

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
	// long is set while inside a line longer than the limit, after its
	// FirstPiece was emitted.
	long bool
}

// Init sets the line limit (limit <= 0 means [DefaultLimit]; limits above
// math.MaxInt32 are clamped to it) and discards any partial line.
func (s *Splitter) Init(limit int) {
	s.release()
	s.long = false
	s.limit = int32(min(max(limit, 0), math.MaxInt32))
}

// Buffered returns how many bytes of an unterminated line are held, at most
// the limit.
func (s *Splitter) Buffered() int {
	if s.part == nil {
		return 0
	}
	return len(s.part.B)
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
func (s *Splitter) Write(p []byte, e Emitter) {
	if s.part != nil {
		p = s.extend(p, e)
	}
	lim := s.lim()
	for len(p) > 0 {
		n := bytes.IndexByte(p, '\n')
		if n < 0 {
			s.hold(p, e)
			return
		}
		if n <= lim {
			emitWhole(p[:n], e) // the hot path: a line inside p
		} else {
			s.finish(p[:n], e)
		}
		p = p[n+1:]
	}
}

// Close handles EOF: the final line, if it has no '\n', is emitted, and the
// storage is released. The Splitter can then be used for a new stream.
func (s *Splitter) Close(e Emitter) {
	if s.part != nil {
		s.last(s.part.B, e)
		s.release()
	}
	s.long = false
}

// emitWhole emits a complete line that fits the limit.
func emitWhole(b []byte, e Emitter) {
	if b = trimCR(b); len(b) > 0 {
		e.Line(b, Whole)
	}
}

// trimCR removes one trailing '\r' (CRLF line ends from Windows-born tools).
func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}
