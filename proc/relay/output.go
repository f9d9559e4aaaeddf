package relay

import (
	"time"

	"github.com/dinit-dev/dinit/fmtjson"
	"github.com/dinit-dev/dinit/loop"
)

// readSize is the one read buffer shared by every source, and the most one
// source may read in one turn of the loop: a flooding service cannot delay
// another's lines by more than a turn.
const readSize = 64 << 10

// Output turns what services write into our stdout and stderr. It owns the
// two sinks, the sources (pipe read ends) and the per-turn timestamp.
//
// Its memory is bounded whatever services write and whoever stops reading:
// reading stops once a sink holds sinkHigh (256 KiB), and one read adds at
// most one line past that (up to linebuf.DefaultLimit plus its prefix) and
// one piece cut for the partial-line budget; our own messages on stderr
// are capped at msgDropAll (logger.go); unterminated lines of all sources
// pin at most partialBudget together (partial.go); one read buffer serves
// every source.
type Output struct {
	loop   *loop.Loop
	stdout *sink
	stderr *sink
	clock  fmtjson.Clock
	opt    Options

	ready   []*Source // sources with unread data, in turn order
	spare   []*Source
	open    int // sources not yet at EOF
	readBuf []byte

	// Backpressure inside a read: when the sinks fill up while a read is
	// being split, the rest of it stays in readBuf, and restOf splits it
	// before any source reads again. So one read adds at most one line
	// past sinkHigh, whatever the lengths of its lines and of the label.
	rest   []byte
	restOf *Source

	partials partials // memory pinned by unterminated lines, bounded
	dropped  int      // messages of ours dropped while stderr was full
	entry    Entry    // the message of ours being built (event.go)
	msgBuf   []byte   // its text, in the JSON log format
}

// New makes the relay to our stdout and stderr (fds 1 and 2 in dinit;
// tests give files or pipes of their own), writing as opt says.
func New(l *loop.Loop, stdout, stderr int, opt Options) *Output {
	o := &Output{loop: l, opt: opt, readBuf: make([]byte, readSize)}
	var outSt, errSt = o.openSinks(stdout, stderr)
	if sameFile(&outSt, &errSt) {
		o.stdout.twin, o.stderr.twin = o.stderr, o.stdout
	}
	return o
}

func (o *Output) openSinks(stdout, stderr int) (outSt, errSt statT) {
	o.stdout, outSt = openSink(stdout)
	o.stderr, errSt = openSink(stderr)
	for _, s := range []*sink{o.stdout, o.stderr} {
		if s.mode == modeBlocking {
			continue
		}
		// Edge-triggered: one wake-up when a full pipe drains. A device
		// that epoll cannot watch takes every write at once instead.
		if _, err := o.loop.Add(s.fd, loop.Out|loop.Edge, s); err != nil {
			s.mode = modeBlocking
		}
	}
	return outSt, errSt
}

// backpressured reports that our outputs hold enough: stop reading services.
func (o *Output) backpressured() bool { return o.stdout.full() || o.stderr.full() }

// Pending reports bytes not yet written out.
func (o *Output) Pending() int { return o.stdout.pending() + o.stderr.pending() }

// Open is the number of sources not yet at EOF: a program (or a process it
// handed its output to) still holds a write end.
func (o *Output) Open() int { return o.open }

// Broken reports that both our outputs failed for good: nothing we hold
// can ever be written out.
func (o *Output) Broken() bool { return o.stdout.broken != nil && o.stderr.broken != nil }

// Tick sets the time every line from now on carries: read once per turn.
func (o *Output) Tick(now time.Time) { o.clock.Set(now) }

// Flush writes what the sinks hold, as far as they take it now.
func (o *Output) Flush() {
	o.flushSink(o.stderr, "stderr")
	o.flushSink(o.stdout, "stdout")
	o.reportDropped()
}

// FlushIdle flushes once no source has more to read now, or the sinks
// reached the backpressure mark (HasReady is false either way). While a
// source still has data, its lines wait: fewer, larger writes wake the
// reader of our output less often (587 writes instead of 1302 for a million
// 85-byte lines), and a line waits at most until the sinks hold sinkHigh.
func (o *Output) FlushIdle() {
	if !o.HasReady() {
		o.Flush()
	}
}

func (o *Output) flushSink(s *sink, name string) {
	wasBroken := s.broken != nil
	if s.pending() > 0 || s.writable {
		s.flush()
	}
	if !wasBroken && s.broken != nil && s == o.stdout {
		o.Errorf("writing to stdout: %v; discarding stdout from now on", s.broken)
	}
	if s.shrunk {
		s.shrunk = false
		o.Warnf("writing to %s: a line is too long for one message of the socket; sending lines longer than %d bytes in pieces", name, s.maxMsg)
	}
}

// markReady queues a source for reading in this or the next turn.
func (o *Output) markReady(s *Source) {
	if !s.queued && !s.closed {
		s.queued = true
		o.ready = append(o.ready, s)
	}
}

// HasReady reports sources with unread data that we may read now.
func (o *Output) HasReady() bool { return len(o.ready) > 0 && !o.backpressured() }

// ReadTurn gives every ready source one read, in queue order, until the
// sinks are full. A source that may hold more goes to the back of the queue:
// behind the ones backpressure stopped this turn from reading, or these
// would wait while the first few sources of the queue took every turn.
func (o *Output) ReadTurn() {
	if !o.splitRest() {
		return
	}
	batch := o.ready
	o.ready = o.spare[:0]
	again := batch[:0] // read this turn and may hold more; overwrites batch[:i]
	for i, s := range batch {
		if o.backpressured() {
			o.ready = append(o.ready, batch[i:]...)
			break
		}
		if s.readOnce(o.readBuf) {
			again = append(again, s)
		} else {
			s.queued = false
		}
	}
	o.ready = append(o.ready, again...)
	clear(batch)
	o.spare = batch[:0]
}

// splitRest goes on splitting the rest of a read that backpressure stopped,
// and reports whether all of it is done: readBuf is then free for the next
// read.
func (o *Output) splitRest() bool {
	if s := o.restOf; s != nil {
		rest := o.rest
		o.rest, o.restOf = nil, nil
		s.split(rest)
	}
	return o.restOf == nil
}
