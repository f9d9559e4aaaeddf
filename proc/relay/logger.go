package relay

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/fmtjson"
)

var levelWords = [...]string{LevelError: "error", LevelWarn: "warning", LevelInfo: "info", LevelDebug: "debug"}

// Our own messages are not under backpressure (the loop must go on whoever
// stops reading), so they are capped instead: past msgDropInfo bytes
// waiting on stderr, debug and info messages are dropped; past msgDropAll,
// warnings and errors too. Lines of services are never dropped: they wait
// in their pipes. Once stderr is down to sinkHigh, a warning says how many
// messages were lost. With each argument cut to msgArgMax, stderr holds at
// most msgDropAll plus one message plus what reads add under backpressure.
const (
	msgDropInfo = 1 << 20
	msgDropAll  = 2 << 20
)

// logf appends one message of ours to the stderr sink, in the log format.
// Our messages are rare, so formatting them is fine here; the per-line
// path never comes here.
func (o *Output) logf(e *Entry, format string, args ...any) {
	if e.level > o.opt.Level {
		return
	}
	o.reportDropped()
	if o.stderr.pending() >= dropAt(e.level) {
		o.dropped++
		return
	}
	if o.opt.jsonLog() {
		o.msgBuf = appendf(o.msgBuf[:0], format, args...)
		o.stderr.buf = o.appendJSONMessage(o.stderr.buf, e, o.msgBuf)
		return
	}
	b := o.appendHead(o.stderr.buf, e.level)
	b = appendf(b, format, args...)
	o.stderr.buf = append(b, '\n')
}

func dropAt(level Level) int {
	if level >= LevelInfo {
		return msgDropInfo
	}
	return msgDropAll
}

// reportDropped says how many messages were dropped, once stderr has room.
func (o *Output) reportDropped() {
	if o.dropped == 0 || o.stderr.pending() > sinkHigh {
		return
	}
	n := o.dropped
	o.dropped = 0
	level := LevelWarn
	if o.opt.Level < LevelWarn {
		level = LevelError // only errors were logged, and lost
	}
	noun := "messages"
	if n == 1 {
		noun = "message"
	}
	var e Entry // not o.entry: a message may be being logged
	e.out, e.level = o, level
	e.Int("dropped", n).Logf("dropped %d %s while stderr was not read", n, noun)
}

// appendHead appends the start of every line of ours: `<ts> dinit: <level>: `.
func (o *Output) appendHead(b []byte, level Level) []byte {
	b = append(b, o.clock.Bytes()...)
	b = append(b, " dinit: "...)
	b = append(b, levelWords[level]...)
	return append(b, ": "...)
}

// appendJSONMessage appends one message of ours as a JSON object:
// {"logged":..,"level":..,"msg":..,"service":..,"stage":..,"event":..,...}.
func (o *Output) appendJSONMessage(b []byte, e *Entry, msg []byte) []byte {
	b = append(b, `{"logged":"`...)
	b = append(b, o.clock.Bytes()...)
	b = append(b, `","level":"`...)
	b = append(b, levelWords[e.level]...)
	b = append(b, `","msg":`...)
	b = fmtjson.AppendString(b, string(msg))
	if e.service != "" {
		b = fmtjson.AppendString(append(b, `,"service":`...), e.service)
	}
	if e.stage != "" {
		b = fmtjson.AppendString(append(b, `,"stage":`...), e.stage)
	}
	if e.event != EventNone {
		b = fmtjson.AppendString(append(b, `,"event":`...), string(e.event))
	}
	for _, f := range e.fields[:e.nfields] {
		b = append(append(append(b, ',', '"'), f.key...), '"', ':')
		if f.isStr {
			b = fmtjson.AppendString(b, f.str)
		} else {
			b = strconv.AppendInt(b, f.num, 10)
		}
	}
	return append(b, '}', '\n')
}

// notJSON relays a stdout line that is not a JSON object, as a warning of
// ours that carries it: `<ts> dinit: warning: <label>: not JSON stdout:
// <line>`. It is a service's line: never dropped, and not on the list of
// messages (it comes under backpressure as every line). Per-line path: no
// allocation.
func (o *Output) notJSON(label, line []byte) {
	b := o.appendHead(o.stderr.buf, LevelWarn)
	b = append(b, label...)
	b = append(b, ": not JSON stdout: "...)
	b = append(b, line...)
	o.stderr.buf = append(b, '\n')
}

func (o *Output) Errorf(format string, args ...any) {
	o.At(LevelError, EventNone).Logf(format, args...)
}
func (o *Output) Warnf(format string, args ...any) { o.At(LevelWarn, EventNone).Logf(format, args...) }
func (o *Output) Infof(format string, args ...any) { o.At(LevelInfo, EventNone).Logf(format, args...) }
func (o *Output) Debugf(format string, args ...any) {
	o.At(LevelDebug, EventNone).Logf(format, args...)
}

// ErrorLine is one error of ours written before any Output exists (a bad
// configuration, a failed start-up), in the log format.
func ErrorLine(now time.Time, msg string, format LogFormat) []byte {
	var clock fmtjson.Clock
	clock.Set(now)
	e := Entry{level: LevelError}
	if format == LogJSON {
		o := Output{clock: clock}
		return o.appendJSONMessage(nil, &e, []byte(msg))
	}
	b := append(clock.Bytes(), " dinit: error: "...)
	return append(append(b, msg...), '\n')
}
