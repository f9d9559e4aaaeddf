package relay

import (
	"errors"

	"github.com/dinit-dev/dinit/fmtjson"
	"github.com/dinit-dev/dinit/linebuf"
	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// Source is the read end of one pipe from a service: its stdout or stderr.
type Source struct {
	out    *Output
	fd     int
	tok    loop.Token
	name   string // the service (or process) name and stage, as given
	stage  string
	label  []byte // "web/run": the attribution of every line, escaped (escape.go)
	meta   []byte // the fixed part of the appended JSON fields
	counts Counts
	stdout bool
	queued bool // in out.ready
	hup    bool // every writer has closed: read on until EOF
	closed bool
	lines  linebuf.Splitter
	held   int  // what lines pins for a partial line, as out.partials counts it
	holder int  // 1 + index in out.partials.holders; 0: not there
	budget bool // a piece is being cut for the partial-line budget
}

// NewSource makes a pipe whose read end we watch, its lines attributed to
// name and stage; the caller hands the write end to a child and closes it
// afterwards.
func (o *Output) NewSource(name, stage string, stdout bool) (*Source, int, error) {
	r, w, err := sys.Pipe()
	if err != nil {
		return nil, -1, err
	}
	s := o.newSource(name, stage, stdout)
	s.fd = r
	// Edge-triggered: a source stays in out.ready until it has been read
	// dry, so pausing it for backpressure needs no epoll_ctl.
	if s.tok, err = o.loop.Add(r, loop.In|loop.Edge, s); err != nil {
		sys.Close(r, w)
		return nil, -1, err
	}
	o.open++
	return s, w, nil
}

// newSource makes the Source of a pipe, not yet watched.
func (o *Output) newSource(name, stage string, stdout bool) *Source {
	s := &Source{out: o, fd: -1, name: name, stage: stage, label: appendEscaped(nil, name+"/"+stage), stdout: stdout}
	if o.opt.jsonStdout() || o.opt.jsonLog() {
		s.meta = fmtjson.AppendMeta(nil, name, stage)
	}
	s.lines.Init(linebuf.DefaultLimit)
	return s
}

// Event records that the pipe has data or was closed by its writers.
func (s *Source) Event(ev uint32) {
	if ev&(loop.Hup|loop.Err) != 0 {
		s.hup = true
	}
	s.out.markReady(s)
}

// readOnce reads at most one buffer and reports whether more may be there.
func (s *Source) readOnce(buf []byte) bool {
	n, err := sys.RawRead(s.fd, buf)
	switch {
	case n > 0:
		s.counts.Bytes += int64(n)
		s.split(buf[:n])
		// A short read emptied the pipe and a later write raises a new
		// edge; but the hang-up edge may have come with the data we just
		// read, and no edge follows it: then read on to EOF. A read that
		// backpressure cut short still has its rest to split.
		return n == len(buf) || s.hup || s.out.restOf == s
	case err == nil: // EOF: every writer closed the pipe
		s.Close()
	case errors.Is(err, unix.EINTR):
		return true
	case errors.Is(err, unix.EAGAIN):
	default:
		s.out.At(LevelError, EventNone).About(s.name, s.stage).Logf("%s: reading output: %v", s.label, err)
		s.Close()
	}
	return false
}

// split splits bytes read from the pipe into lines. When the sinks fill up
// on the way, the bytes not split yet are kept for the next turn.
func (s *Source) split(p []byte) {
	if rest := s.lines.Write(p, s); len(rest) > 0 {
		s.out.rest, s.out.restOf = rest, s
	}
	s.out.account(s)
}

// cut emits the partial line now, as a piece: the partial lines of all
// sources take more than their budget.
func (s *Source) cut() {
	s.budget = true
	s.lines.Cut(s)
	s.budget = false
}

// Close emits the last unterminated line and stops watching the pipe.
func (s *Source) Close() {
	if s.closed {
		return
	}
	for s.out.restOf == s { // not reached today: a read comes first
		s.out.splitRest()
	}
	s.lines.Close(s)
	s.out.account(s)
	s.closed = true
	s.out.loop.Drop(s.tok) // closes the read end, which only we hold
	s.out.open--
}

// Line routes one line, and asks for the next one only while the sinks have
// room. This is the per-line hot path: no allocation.
func (s *Source) Line(b []byte, k linebuf.Kind) bool {
	o := s.out
	if k == linebuf.Whole {
		s.counts.Lines++ // an overlong line counts at its first piece
	}
	switch {
	case k != linebuf.Whole:
		s.piece(b, k)
	case !s.stdout:
		s.toStderr(b)
	case o.opt.Stdout == StdoutPlain:
		o.stdout.buf = fmtjson.AppendPrefixed(o.stdout.buf, o.clock.Bytes(), s.label, b)
	default:
		s.jsonLine(b)
	}
	return !o.backpressured()
}

// Tails of a service's line on stderr in the JSON log format: the stream
// it came from. A stdout line is there because it was not one JSON object,
// or was a piece of an overlong line.
var (
	tailStderr = []byte(`,"stream":"stderr"`)
	tailStdout = []byte(`,"stream":"stdout"`)
)

// toStderr appends a line (or piece) to our stderr in the log format.
func (s *Source) toStderr(b []byte) {
	o := s.out
	if !o.opt.jsonLog() {
		o.stderr.buf = fmtjson.AppendPrefixed(o.stderr.buf, o.clock.Bytes(), s.label, b)
		return
	}
	tail := tailStderr
	if s.stdout {
		tail = tailStdout
	}
	o.stderr.buf = fmtjson.AppendWrapped(o.stderr.buf, b, s.meta, o.clock.Bytes(), tail)
}

func (s *Source) jsonLine(b []byte) {
	o := s.out
	obj, st := fmtjson.Object(b)
	switch {
	case st != fmtjson.Invalid:
		o.stdout.buf = fmtjson.AppendAugmented(o.stdout.buf, obj, st, s.meta, o.clock.Bytes())
		return
	case o.opt.Stdout == StdoutWrap:
		o.stdout.buf = fmtjson.AppendWrapped(o.stdout.buf, b, s.meta, o.clock.Bytes(), nil)
	case o.opt.jsonLog() || o.opt.Level < LevelWarn:
		// Never dropped: with warnings off, it still goes out, unlabelled
		// as a warning.
		s.toStderr(b)
	default:
		o.notJSON(s.label, b)
	}
	s.counts.NotJSON++
}

// piece emits a part of a line longer than the limit. On stdout in wrap
// mode, each piece is wrapped; else pieces go to stderr, whatever stream
// they came from: they cannot be JSON objects.
func (s *Source) piece(b []byte, k linebuf.Kind) {
	o := s.out
	if k == linebuf.FirstPiece {
		s.counts.Lines++
		s.counts.Split++
		s.warnPieces()
	}
	if s.stdout && o.opt.Stdout == StdoutWrap {
		o.stdout.buf = fmtjson.AppendWrapped(o.stdout.buf, b, s.meta, o.clock.Bytes(), nil)
		return
	}
	s.toStderr(b)
}

func (s *Source) warnPieces() {
	o := s.out
	if s.budget {
		o.At(LevelWarn, EventNone).About(s.name, s.stage).
			Logf("%s: unterminated lines exceed %d bytes in total, emitting it in pieces", s.label, o.partials.limit())
		return
	}
	o.At(LevelWarn, EventNone).About(s.name, s.stage).
		Logf("%s: line longer than %d bytes, emitting it in pieces", s.label, linebuf.DefaultLimit)
}
