package proc

import "time"

// timing holds the periods and slices of the supervisor. They are fields,
// not constants, so that unit tests can shorten them instead of waiting
// real periods out; dinit always runs with defaultTiming.
type timing struct {
	// scan, scanStopping: how often we look for processes reparented to
	// us when no SIGCHLD or exit told us to look (a grandchild's parent
	// that dies is not our child, so nothing tells us).
	scan, scanStopping time.Duration
	// young: a process this young may not have exec'd yet, so its name
	// would be its parent's; we look at it again later.
	young time.Duration
	// logGrace: how long a log program's end waits for its run's end
	// before it counts as "log ended while run still runs". The log
	// program sees EOF when run closes its stdout, which happens during
	// run's exit but before run becomes a zombie, so the two ends race by
	// a few microseconds.
	logGrace time.Duration
	// startSlice: how long one turn may spend starting services: with
	// thousands of them, a signal that arrives during the startup is acted
	// on between two slices, not after the last service.
	startSlice time.Duration
	// adoptSlice: how long one turn may spend redirecting adopted
	// processes' output. A step runs until its tracee has to be waited for
	// (then it parks, see inject), so the loop serves everything else
	// within about a slice, also when hundreds are adopted at once.
	adoptSlice time.Duration
}

var defaultTiming = timing{
	scan:         time.Second,
	scanStopping: 100 * time.Millisecond,
	young:        10 * time.Millisecond,
	logGrace:     50 * time.Millisecond,
	startSlice:   10 * time.Millisecond,
	adoptSlice:   20 * time.Millisecond,
}
