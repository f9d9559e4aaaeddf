// Package relay is the output side of dinit: every line a program writes,
// from its pipe to our stdout or stderr, and dinit's own messages.
//
// Sources are the read ends of the programs' pipes: each read is split
// into lines (linebuf), stdout lines are validated and augmented as JSON
// (fmtjson) or prefixed, and appended to one of two sinks, our stdout and
// stderr, written with nonblocking writes. When a sink holds too much,
// reading stops (backpressure): programs then block in write(2), and the
// loop never does. Every source gets a fair share of each turn, and the
// memory is bounded whatever programs write (see Output).
//
// It knows nothing of services or processes: the supervisor names each
// source (name and stage) and asks for a turn of reads, a flush, and how
// much is pending or still open. It may touch x/sys/unix (sinks and
// sources are descriptors), the loop, linebuf, fmtjson and sys.
package relay
