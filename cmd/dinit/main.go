//go:debug containermaxprocs=0
package main

// The go:debug line above: the runtime would otherwise keep the cgroup CPU
// files open for its container-aware GOMAXPROCS, which dinit does not use
// (it runs with one P).

import (
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/proc"
)

// version is stamped at build time (-X main.version=...).
var version = "dev"

// The loop runs on the main goroutine, and this keeps that goroutine on the
// main thread: reparented processes attach to the main thread, and the
// children we fork attach to the thread that forks them.
func init() { runtime.LockOSThread() }

// oneProc: all of dinit's work is on the loop thread, so a second P only
// buys the runtime more threads. GOMAXPROCS in the environment still wins.
func oneProc() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
}

func main() {
	if len(os.Args) > 1 {
		os.Exit(flags(os.Args[1:]))
	}
	oneProc()
	cfg, err := parseConfig(os.Getenv)
	if err != nil {
		os.Stderr.WriteString(time.Now().UTC().Format("2006-01-02T15:04:05.000Z") + " dinit: error: " + err.Error() + "\n")
		os.Exit(proc.ExitFailure)
	}
	os.Exit(proc.Run(cfg))
}

func flags(args []string) int {
	switch args[0] {
	case "--version", "-version", "version":
		os.Stdout.WriteString("dinit " + version + "\n")
		return 0
	case "--help", "-help", "-h", "help":
		os.Stdout.WriteString(helpText)
		return 0
	}
	os.Stderr.WriteString("dinit: unknown argument " + strconv.Quote(args[0]) + "; dinit takes no arguments (see dinit --help)\n")
	return proc.ExitFailure
}

const helpText = `dinit: an init (PID 1) for containers

Runs every service of DINIT_DIR (runit layout: <name>/run, <name>/log/run,
<name>/terminate), reaps zombies, handles reparented processes by policy,
shuts down gracefully on TERM, and relays every program's stdout and stderr
line by line with its name, stage and a timestamp.

Usage: dinit            (configured by the environment only)
       dinit --help | --version

Environment:
  DINIT_DIR                 service directory (default /etc/service)
  DINIT_LOG_LEVEL           none, error, warn, info, debug (default warn)
  DINIT_JSON_STDOUT         0 disables JSON handling of stdout (default on)
  DINIT_REPARENTING_POLICY  terminate, adopt, ignore (default terminate)
  DINIT_KILL_TIMEOUT        seconds from SIGTERM to SIGKILL for reparented
                            processes (default 30)

Signals:
  TERM, INT, QUIT           graceful shutdown
  HUP, USR1, USR2, WINCH    forwarded to running services and adopted processes
  CHLD                      reap, look for reparented processes
  PIPE                      ignored
  ALRM, TSTP, TTIN, TTOU, ILL, TRAP, ABRT, STKFLT, SYS, BUS, FPE, SEGV (from
  kill), XCPU, XFSZ, VTALRM, PWR, IO, and 35 to 64   logged at info and ignored
  32, 33, 34                ignored; 32 and 34, which Go cannot catch, are set to
                            SIG_IGN, so every program dinit starts inherits them
                            as ignored (33 belongs to the Go runtime)
  any other                 ignored

Exit codes (the first reason recorded wins; an end with status 0 records none):
  0  shutdown by signal, or nothing recorded
  1  dinit's own failure: bad configuration, unreadable DINIT_DIR,
     a program that could not be started
  3  a service (or adopted process) ended with a non-zero status, or by a
     signal before the shutdown began
`
