package linebuf

import "bytes"

// This file holds the paths that involve the partial-line storage or lines
// emitted in pieces; the common case (a short line inside one read) never
// reaches them. Each emitting function reports whether every Line call it
// made asked for more, so that Write stops at the end of the line.

// extend continues the partial line with p: the one in storage, or one that
// Cut emitted and released. It consumes p up to and including the first
// '\n' (completing the line and releasing the storage) and returns the rest,
// or consumes all of p when it has no '\n'.
func (s *Splitter) extend(p []byte, e Emitter) ([]byte, bool) {
	n := bytes.IndexByte(p, '\n')
	if n < 0 {
		over, _ := s.fill(p, e)
		s.hold(over, e)
		return nil, true
	}
	if s.part == nil { // cut: the rest of the line lies in p
		return p[n+1:], s.finish(p[:n], e)
	}
	over, more := s.fill(p[:n], e)
	if len(over) > 0 {
		// The storage overflowed and was emitted as a piece: the rest of the
		// line is in p, so the storage is no longer needed.
		s.release()
		more = s.finish(over, e) && more
	} else {
		more = s.last(s.part.B, e)
		s.release()
	}
	return p[n+1:], more
}

// fill appends b to the partial line. When b does not fit in the limit, the
// storage is filled to exactly the limit, emitted as a piece and emptied, and
// the bytes of b that did not fit are returned. Cutting only when a byte
// beyond the limit is present keeps a line of exactly limit bytes Whole
// however the reads split it. Without storage (after Cut) all of b is
// returned.
func (s *Splitter) fill(b []byte, e Emitter) ([]byte, bool) {
	if s.part == nil {
		return b, true
	}
	room := s.lim() - len(s.part.B)
	if len(b) <= room {
		s.part.B = append(s.part.B, b...)
		return nil, true
	}
	s.part.B = append(s.part.B, b[:room]...)
	more := s.piece(s.part.B, e)
	s.part.B = s.part.B[:0]
	return b[room:], more
}

// hold keeps b, an unterminated tail, for the next read. Whole pieces of it
// beyond the limit are emitted straight from b; at most limit bytes are
// copied into the storage. It consumes b whatever the emitter says: the
// pieces come from one read, which is bounded.
func (s *Splitter) hold(b []byte, e Emitter) {
	if len(b) == 0 {
		return
	}
	b, _ = s.pieces(b, e)
	buf := s.storage()
	buf.B = append(buf.B, b...)
}

// finish emits a complete line (without its '\n') that lies in the caller's
// bytes, in pieces when it is longer than the limit.
func (s *Splitter) finish(b []byte, e Emitter) bool {
	b, more := s.pieces(b, e)
	return s.last(b, e) && more
}

// pieces emits limit-sized pieces from the front of b while more than the
// limit remains, and returns the remaining 1..limit bytes (b must not be
// empty).
func (s *Splitter) pieces(b []byte, e Emitter) ([]byte, bool) {
	lim := s.lim()
	more := true
	for len(b) > lim {
		more = s.piece(b[:lim], e) && more
		b = b[lim:]
	}
	return b, more
}

// piece emits one piece of a line emitted in pieces.
func (s *Splitter) piece(b []byte, e Emitter) bool {
	k := Piece
	if !s.long {
		k, s.long = FirstPiece, true
	}
	return e.Line(b, k)
}

// last emits the end of a line: the whole line, or the final piece of an
// overlong one. A trailing '\r' is removed and an empty result is dropped, so
// an overlong line that ends in "\r\n" right after a cut emits no empty piece.
func (s *Splitter) last(b []byte, e Emitter) bool {
	k := Whole
	if s.long {
		k, s.long = Piece, false
	}
	if b = trimCR(b); len(b) > 0 {
		return e.Line(b, k)
	}
	return true
}
