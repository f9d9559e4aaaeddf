package proc

import (
	"strconv"

	"github.com/dinit-dev/dinit/proc/relay"
)

// Accounting: what each program's output amounted to, said at info once
// the program ended and its pipes reached EOF (so the figures are final):
// `web/run: relayed 1200 lines (98304 bytes) on stdout, 3 on stderr`.

// reportOrWait reports p's accounting now, or once its pipes are closed
// (a process it started may hold them).
func (s *Supervisor) reportOrWait(p *process) {
	if len(p.srcs) == 0 {
		return
	}
	if !allClosed(p.srcs) {
		s.unreported = append(s.unreported, p)
		return
	}
	s.reportRelayed(p)
}

// relayTurn reads what the pipes hold, and reports the ended programs whose
// pipes it closed.
func (s *Supervisor) relayTurn() {
	s.out.ReadTurn()
	if len(s.unreported) > 0 {
		s.reportClosed()
	}
}

// reportClosed reports the ended programs whose pipes are now all closed.
func (s *Supervisor) reportClosed() {
	kept := s.unreported[:0]
	for _, p := range s.unreported {
		if allClosed(p.srcs) {
			s.reportRelayed(p)
		} else {
			kept = append(kept, p)
		}
	}
	clear(s.unreported[len(kept):])
	s.unreported = kept
}

func allClosed(srcs []*relay.Source) bool {
	for _, src := range srcs {
		if !src.Closed() {
			return false
		}
	}
	return true
}

// relayed sums a program's counts per stream.
type relayed struct {
	out, err       relay.Counts
	hasOut, hasErr bool
}

func (r relayed) notJSON() int64 { return r.out.NotJSON + r.err.NotJSON }
func (r relayed) split() int64   { return r.out.Split + r.err.Split }

func relayedOf(srcs []*relay.Source) relayed {
	var r relayed
	for _, src := range srcs {
		c := src.Counts()
		if src.Stdout() {
			r.out, r.hasOut = c, true
		} else {
			r.err, r.hasErr = c, true
		}
	}
	return r
}

// reportRelayed says what p relayed; nothing for a program that wrote
// nothing.
func (s *Supervisor) reportRelayed(p *process) {
	r := relayedOf(p.srcs)
	if r.out.Bytes == 0 && r.err.Bytes == 0 {
		return
	}
	e := s.out.At(LevelInfo, relay.EventNone).For(p.label)
	if r.hasOut {
		e.Int64("stdout_lines", r.out.Lines).Int64("stdout_bytes", r.out.Bytes)
	}
	if r.hasErr {
		e.Int64("stderr_lines", r.err.Lines).Int64("stderr_bytes", r.err.Bytes)
	}
	e.Int64("not_json", r.notJSON()).Int64("split", r.split())
	e.Logf("%s: relayed %s", p.label, r.text())
}

// text: "1200 lines (98304 bytes) on stdout, 3 on stderr", then the lines
// not JSON and split, when there are any.
func (r relayed) text() string {
	var b []byte
	if r.hasOut {
		b = appendLines(b, r.out)
		b = append(b, " on stdout"...)
	}
	switch {
	case r.hasOut && r.hasErr:
		b = strconv.AppendInt(append(b, ", "...), r.err.Lines, 10)
		b = append(b, " on stderr"...)
	case r.hasErr:
		b = appendLines(b, r.err)
		b = append(b, " on stderr"...)
	}
	if r.notJSON() > 0 {
		b = strconv.AppendInt(append(b, "; "...), r.notJSON(), 10)
		b = append(b, " not JSON"...)
	}
	if r.split() > 0 {
		b = strconv.AppendInt(append(b, "; "...), r.split(), 10)
		b = append(b, " split for length"...)
	}
	return string(b)
}

// plural picks the noun for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// appendLines: "1200 lines (98304 bytes)".
func appendLines(b []byte, c relay.Counts) []byte {
	b = strconv.AppendInt(b, c.Lines, 10)
	if c.Lines == 1 {
		b = append(b, " line ("...)
	} else {
		b = append(b, " lines ("...)
	}
	b = strconv.AppendInt(b, c.Bytes, 10)
	return append(b, " bytes)"...)
}
