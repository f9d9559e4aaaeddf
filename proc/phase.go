package proc

// phase is where the supervisor is in its life. It only moves forward:
// running -> stopping -> exiting.
type phase uint8

const (
	// running: services start (a slice per turn) and are supervised;
	// reparented processes get the configured policy.
	running phase = iota
	// stopping: the shutdown began (a service ended, a signal, a failure
	// of ours). Every process got its SIGTERM or terminate program, or
	// gets it when it appears; we wait for every process to end and every
	// pipe to reach EOF.
	stopping
	// exiting: everything ended and the exit message is written; the
	// last bytes go out, then Run returns.
	exiting
)

// noReason is the exit code before any reason to exit was recorded.
const noReason = -1

// stopStage is how far a reparented or adopted process, or the blind
// sweep, has been stopped: SIGTERM, then SIGKILL at a deadline.
type stopStage uint8

const (
	notStopped stopStage = iota
	termSent
	killSent
)
