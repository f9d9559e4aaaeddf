package relay

// Counts is what one source relayed: the accounting of a program's stream.
type Counts struct {
	Lines   int64 // lines relayed, an overlong line once however many pieces it took
	Bytes   int64 // bytes read from the pipe, newlines included
	NotJSON int64 // stdout lines that were not one JSON object (JSON modes)
	Split   int64 // lines emitted in pieces: longer than the limit, or cut for the partial-line budget
}

// Counts reports what the source relayed so far.
func (s *Source) Counts() Counts { return s.counts }

// Stdout reports whether the source reads a stdout (else a stderr).
func (s *Source) Stdout() bool { return s.stdout }

// Closed reports that the source reached EOF (or failed) and relays no more.
func (s *Source) Closed() bool { return s.closed }
