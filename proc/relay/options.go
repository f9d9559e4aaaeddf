package relay

// StdoutMode is what the relay does with services' stdout lines
// (DINIT_JSON_STDOUT).
type StdoutMode uint8

const (
	// StdoutPlain: every line is prefixed with time and attribution.
	StdoutPlain StdoutMode = iota
	// StdoutJSON: a line that is one JSON object gets dinit's fields; any
	// other line goes to stderr with a warning.
	StdoutJSON
	// StdoutWrap: as StdoutJSON, but a line that is not a JSON object goes
	// to stdout as the "msg" of an object of dinit's.
	StdoutWrap
)

// LogFormat is the form of every line dinit writes to stderr
// (DINIT_LOG_FORMAT).
type LogFormat uint8

const (
	// LogText: `<ts> dinit: <level>: <message>` and `<ts> <svc>/<stage>: <line>`.
	LogText LogFormat = iota
	// LogJSON: one JSON object per line, for our messages and services' lines.
	LogJSON
)

// Options say how the relay writes.
type Options struct {
	Level  Level      // the most verbose of our messages that is written
	Stdout StdoutMode // services' stdout lines
	Log    LogFormat  // every line on stderr
}

func (o *Options) jsonStdout() bool { return o.Stdout != StdoutPlain }

func (o *Options) jsonLog() bool { return o.Log == LogJSON }
