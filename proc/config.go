package proc

import (
	"time"

	"github.com/dinit-dev/dinit/proc/relay"
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
	JSON        bool          // treat services' stdout as JSON lines
	Policy      Policy        // reparented processes
	KillTimeout time.Duration // SIGTERM to SIGKILL, for reparented processes
	ExitCode    ExitPolicy    // the service-directory mode's exit code
	Main        *Program      // the main program, or nil: services only
}
