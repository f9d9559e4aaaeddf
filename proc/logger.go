package proc

var levelWords = [...]string{LevelError: "error", LevelWarn: "warning", LevelInfo: "info", LevelDebug: "debug"}

// logf appends one message of ours to the stderr sink:
// `<ts> dinit: <level>: <message>`. Our messages are rare, so formatting
// them is fine here; the per-line path never comes here.
func (o *output) logf(level Level, format string, args ...any) {
	if level > o.level {
		return
	}
	b := o.stderr.buf
	b = append(b, o.clock.Bytes()...)
	b = append(b, " dinit: "...)
	b = append(b, levelWords[level]...)
	b = append(b, ": "...)
	b = appendf(b, format, args...)
	o.stderr.buf = append(b, '\n')
}

func (o *output) errorf(format string, args ...any) { o.logf(LevelError, format, args...) }
func (o *output) warnf(format string, args ...any)  { o.logf(LevelWarn, format, args...) }
func (o *output) infof(format string, args ...any)  { o.logf(LevelInfo, format, args...) }
func (o *output) debugf(format string, args ...any) { o.logf(LevelDebug, format, args...) }
