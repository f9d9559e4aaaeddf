package linebuf

import "github.com/valyala/bytebufferpool"

// This file is the one owner of pooled storage: every Get and Put of the
// package is here, so that a buffer can neither leak nor be returned twice.

// storage returns the partial-line buffer, taking one from the pool when the
// Splitter holds none.
func (s *Splitter) storage() *bytebufferpool.ByteBuffer {
	if s.part == nil {
		s.part = bytebufferpool.Get()
	}
	return s.part
}

// release returns the partial-line buffer to the pool, so that an idle pipe
// pins no memory. Put sizes its statistics by len(B), so the buffer is handed
// back before being emptied: the pool learns the line sizes it must serve.
func (s *Splitter) release() {
	if s.part != nil {
		bytebufferpool.Put(s.part)
		s.part = nil
	}
}
