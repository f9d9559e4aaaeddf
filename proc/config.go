package proc

import (
	"time"

	"github.com/dinit-dev/dinit/proc/relay"
	"github.com/dinit-dev/dinit/proc/status"
)

// Level is how much dinit says about itself (the relay writes it).
type Level = relay.Level

// Log levels, in increasing verbosity.
const (
	LevelNone  = relay.LevelNone
	LevelError = relay.LevelError
	LevelWarn  = relay.LevelWarn
	LevelInfo  = relay.LevelInfo
	LevelDebug = relay.LevelDebug
)

// StdoutMode is what happens to services' stdout lines (DINIT_JSON_STDOUT).
type StdoutMode = relay.StdoutMode

// Stdout modes.
const (
	StdoutPlain = relay.StdoutPlain // every line prefixed
	StdoutJSON  = relay.StdoutJSON  // JSON objects augmented; other lines to stderr
	StdoutWrap  = relay.StdoutWrap  // JSON objects augmented; other lines wrapped in one
)

// LogFormat is the form of every line on stderr (DINIT_LOG_FORMAT).
type LogFormat = relay.LogFormat

// Log formats.
const (
	LogText = relay.LogText
	LogJSON = relay.LogJSON
)

// Policy is what happens to a process that is reparented to us.
type Policy int

// Reparenting policies.
const (
	PolicyTerminate Policy = iota // SIGTERM, then SIGKILL after the kill timeout
	PolicyAdopt                   // wait for it; its end starts the shutdown
	PolicyIgnore                  // leave it running; reap it when it ends
)

// ExitPolicy is what decides the exit code in the service-directory mode
// (with a main program, its own end decides).
type ExitPolicy int

// Exit-code policies (DINIT_EXIT_CODE).
const (
	ExitByDinit   ExitPolicy = iota // 0, 1 or 3: see the Exit constants
	ExitByService                   // the code of the program whose end started the shutdown
)

// Program is the main program of `dinit PROGRAM ARGS...`.
type Program struct {
	Path string   // resolved (PATH lookup done): what is executed
	Args []string // argv, argv[0] as the user wrote it
	Name string   // its name in lines: basename(argv[0])
}

// Config is dinit's validated configuration.
type Config struct {
	Dir         string        // the service directory; "": no services
	Level       Level         // our own messages
	Stdout      StdoutMode    // services' stdout lines
	LogFormat   LogFormat     // every line on stderr
	Status      bool          // answer dinit status and dinit check (proc/status)
	Policy      Policy        // reparented processes
	KillTimeout time.Duration // SIGTERM to SIGKILL, for reparented processes
	ExitCode    ExitPolicy    // the service-directory mode's exit code
	Main        *Program      // the main program, or nil: services only
}

// ErrorLine is an error of ours in the log format, for errors before the
// supervisor runs: `<ts> dinit: error: <msg>`, or a JSON object.
func ErrorLine(now time.Time, msg string, format LogFormat) []byte {
	return relay.ErrorLine(now, msg, format)
}

// relayOptions is how the relay writes for cfg.
func relayOptions(cfg Config) relay.Options {
	return relay.Options{Level: cfg.Level, Stdout: cfg.Stdout, Log: cfg.LogFormat}
}

// Query asks the dinit of this PID namespace (`dinit status`, `dinit
// check`): the client side of proc/status.
func Query(request string, timeout time.Duration) ([]byte, error) {
	return status.Query(request, timeout)
}
