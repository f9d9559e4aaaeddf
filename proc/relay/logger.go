package relay

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

// logf appends one message of ours to the stderr sink:
// `<ts> dinit: <level>: <message>`. Our messages are rare, so formatting
// them is fine here; the per-line path never comes here.
func (o *Output) logf(level Level, format string, args ...any) {
	if level > o.level {
		return
	}
	o.reportDropped()
	if o.stderr.pending() >= dropAt(level) {
		o.dropped++
		return
	}
	b := o.appendHead(o.stderr.buf, level)
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
	if o.level < LevelWarn {
		level = LevelError // only errors were logged, and lost
	}
	noun := "messages"
	if n == 1 {
		noun = "message"
	}
	o.logf(level, "dropped %d %s while stderr was not read", n, noun)
}

// appendHead appends the start of every line of ours: `<ts> dinit: <level>: `.
func (o *Output) appendHead(b []byte, level Level) []byte {
	b = append(b, o.clock.Bytes()...)
	b = append(b, " dinit: "...)
	b = append(b, levelWords[level]...)
	return append(b, ": "...)
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

func (o *Output) Errorf(format string, args ...any) { o.logf(LevelError, format, args...) }
func (o *Output) Warnf(format string, args ...any)  { o.logf(LevelWarn, format, args...) }
func (o *Output) Infof(format string, args ...any)  { o.logf(LevelInfo, format, args...) }
func (o *Output) Debugf(format string, args ...any) { o.logf(LevelDebug, format, args...) }
