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

// Config is dinit's validated configuration.
type Config struct {
	Dir         string        // the service directory
	Level       Level         // our own messages
	JSON        bool          // treat services' stdout as JSON lines
	Policy      Policy        // reparented processes
	KillTimeout time.Duration // SIGTERM to SIGKILL, for reparented processes
}
