//go:debug containermaxprocs=0

// Command testsvc is the one program a dinit test service can be, so that container
// images built FROM scratch need no shell. It uses only the standard library and
// golang.org/x/sys/unix, and is built static:
//
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/testsvc ./internal/testsvc
//
// The mode is the first argument. dinit runs <service>/run with no arguments and the
// service directory as working directory, so when there are no arguments (args.go):
//
//  1. a binary whose name is a mode (a copy named "terminate", say) runs that mode;
//  2. else the first line of the file "mode" in the working directory gives the arguments;
//  3. else the environment variable TESTSVC_MODE gives them.
//
// Modes (numbered lines count from 1; every line is written with one write(2)):
//
//	json N [delay]     N lines {"n":<i>,"msg":"hello"} to stdout, delay between lines, exit 0
//	plain N [delay]    N lines "line <i>" to stdout, exit 0
//	stderr N [delay]   N lines "err <i>" to stderr, exit 0
//	sleep              block until a signal with its default disposition ends it
//	trap               {"msg":"ready"}, then {"signal":"SIGHUP"} for each of HUP, USR1, USR2,
//	                   WINCH, TERM, INT, QUIT; after TERM/INT/QUIT also {"msg":"bye"}, exit 0
//	ignoreterm         ignore TERM, {"msg":"ready"}, block forever
//	exit C             exit with code C
//	orphan [delay] [C] start itself as "orphanchild delay" and exit with C (default 0) at once
//	orphanchild [d]    wait d (500ms), {"msg":"orphan says hi","pid":<pid>} to stdout and
//	                   "orphan err" to stderr, then block like sleep
//	zombies N          start N children that exit at once, wait until all are zombies
//	                   (without reaping), print {"msg":"spawned","n":N}, exit 0
//	stoplines N        {"msg":"ready"}, wait for TERM, N lines {"n":<i>,"msg":"stopping"}, exit 0
//	fds                {"fds":[0,1,2]}: the open descriptors, from /proc/self/fd
//	terminate          {"msg":"terminating","pid":<DINIT_PID>}, SIGTERM to DINIT_PID, exit 0
//	log                read stdin, write each line as {"via":"log","line":"<line>"}, exit 0 at EOF
//	tick PERIOD        {"t":<unix nanoseconds>} every PERIOD, until killed
//	notify FD [delay]  readiness (notification-fd): wait delay, write "\n" to fd FD and close
//	                   it, {"msg":"notified"}, then block like sleep
//
// Delays are Go durations ("250ms", "1s"). A usage error exits 2 with a message on stderr.
//
// The runtime's cgroup-aware GOMAXPROCS (Go 1.25) is turned off by the go:debug line
// at the top of this file: it keeps the cgroup CPU limit files open (close-on-exec),
// and the fds mode must list only what the parent handed down.
package main

import "os"

// A mode runs with the arguments that follow its name and returns the exit code.
type mode func(args []string) int

var modes map[string]mode

func init() {
	// Set up in init, not as a literal, because modes refer back to the table (orphan).
	modes = map[string]mode{
		"json":        modeJSON,
		"plain":       modePlain,
		"stderr":      modeStderr,
		"sleep":       modeSleep,
		"trap":        modeTrap,
		"ignoreterm":  modeIgnoreTerm,
		"exit":        modeExit,
		"orphan":      modeOrphan,
		"orphanchild": modeOrphanChild,
		"zombies":     modeZombies,
		"stoplines":   modeStopLines,
		"fds":         modeFDs,
		"terminate":   modeTerminate,
		"log":         modeLog,
		"tick":        modeTick,
		"notify":      modeNotify,
	}
}

func main() {
	os.Exit(run(os.Args))
}

// run resolves the arguments and runs the mode they name.
func run(argv []string) int {
	args, err := resolveArgs(argv, os.Getenv, readModeFile)
	if err != nil {
		return usage(err.Error())
	}
	m, ok := modes[args[0]]
	if !ok {
		return usage("unknown mode " + args[0])
	}
	return m(args[1:])
}

// usage reports a bad invocation; the exit code 2 is what flag and most tools use.
func usage(msg string) int {
	errLine("testsvc: " + msg + " (see the package doc of internal/testsvc)")
	return 2
}
