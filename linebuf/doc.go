// Package linebuf turns the bytes of successive nonblocking reads from one
// pipe into lines, without copying the lines that arrive whole.
//
// A [Splitter] is embedded once per pipe (thousands of them in a busy
// container), so it is small (16 bytes) and holds no buffer while its source
// is idle: only the unterminated tail of a read is copied, into a buffer taken
// from [bytebufferpool], and that buffer goes back to the pool as soon as the
// line is complete.
//
// Rules (SPEC.md section 6): lines are split on '\n'; one trailing '\r' is
// removed; empty lines are dropped; a final line without '\n' is emitted by
// [Splitter.Close].
//
// A line may hold at most the limit (default [DefaultLimit], 1 MiB) bytes,
// counting a trailing '\r' but not the '\n'. A longer line is not an error: it
// is emitted in pieces of exactly limit bytes (the last one may be shorter),
// the first marked [FirstPiece] so that the caller can warn once per line, the
// rest [Piece]. This keeps memory per pipe bounded by the limit and never
// stalls the writer, while the rest of the stream still flows. A line of
// exactly limit bytes is always [Whole], however the reads cut it: the piece is
// cut only once the byte after the limit is seen and is not '\n'.
//
// Backpressure inside a read: the [Emitter] may ask to stop (its output is
// full); [Splitter.Write] then stops at the end of the current line and
// hands back the bytes it has not split, so one read never produces more
// than one line past the caller's bound, however short its lines are.
//
// A caller that serves many pipes bounds what all their partial lines pin
// together by adding up [Splitter.Held] and, past its budget, calling
// [Splitter.Cut]: the partial line is emitted at once as a piece, and the
// rest of that line follows as pieces.
package linebuf
