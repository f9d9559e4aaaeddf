package relay

// Level is how much dinit says about itself.
type Level int

// Log levels, in increasing verbosity.
const (
	LevelNone Level = iota
	LevelError
	LevelWarn
	LevelInfo
	LevelDebug
)
