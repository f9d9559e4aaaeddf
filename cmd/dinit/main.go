//go:debug containermaxprocs=0
package main

// The go:debug line above: the runtime would otherwise keep the cgroup CPU
// files open for its container-aware GOMAXPROCS, which dinit does not use
// (it runs with one P).

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dinit-dev/dinit/proc"
)

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
	cmd, err := parseArgs(os.Args[1:])
	switch {
	case err != nil:
		fatal(err, proc.ExitFailure)
	case cmd.help:
		os.Stdout.WriteString(helpText)
		return
	case cmd.version:
		os.Stdout.WriteString("dinit " + dinitVersion() + "\n")
		return
	case cmd.query != "":
		os.Exit(query(cmd.query))
	}
	oneProc()
	cfg, err := configure(cmd, os.Getenv)
	if err != nil {
		code := proc.ExitFailure
		if le, ok := err.(*lookError); ok {
			code = le.code
		}
		fatal(err, code)
	}
	os.Exit(proc.Run(cfg))
}

// configure validates the environment, then resolves the main program:
// every error comes before anything starts.
func configure(cmd command, getenv func(string) string) (proc.Config, error) {
	cfg, err := parseConfig(getenv)
	if err != nil || cmd.main == nil {
		return cfg, err
	}
	cfg.Dir = serviceDir(getenv, dirExists)
	cfg.Main, err = mainProgram(cmd.main, getenv)
	return cfg, err
}

// queryTimeout bounds a status request: a dinit that answers does so in
// milliseconds; a health check must not hang on one that does not.
const queryTimeout = 2 * time.Second

// query asks the running dinit (`dinit status`, `dinit check`), prints
// its answer and returns the exit code it gives.
func query(request string) int {
	name, _, _ := strings.Cut(request, " ") // "status json": dinit status
	reply, err := proc.Query(request, queryTimeout)
	if err != nil {
		os.Stderr.WriteString("dinit " + name + ": " + err.Error() + "\n")
		return proc.ExitFailure
	}
	code, text, ok := strings.Cut(string(reply), "\n")
	n, err := strconv.Atoi(code)
	if !ok || err != nil {
		os.Stderr.WriteString("dinit " + name + ": unexpected answer " + strconv.Quote(string(reply)) + "\n")
		return proc.ExitFailure
	}
	os.Stdout.WriteString(text)
	return n
}

// fatal writes err in dinit's error format and exits with code. The log
// format is read here again: the error may be in the arguments, or in a
// variable read after DINIT_LOG_FORMAT.
func fatal(err error, code int) {
	format := proc.LogText
	if os.Getenv("DINIT_LOG_FORMAT") == "json" {
		format = proc.LogJSON
	}
	os.Stderr.Write(proc.ErrorLine(time.Now(), err.Error(), format))
	os.Exit(code)
}

const helpText = `dinit: an init (PID 1) for containers

Runs every service of DINIT_DIR (runit layout: <name>/run, <name>/log/run,
<name>/terminate, <name>/notification-fd), reaps zombies, handles reparented
processes by policy, shuts down gracefully on TERM, and relays every
program's stdout and stderr line by line with its name, stage and a
timestamp.

Usage: dinit                        run the services of DINIT_DIR
       dinit [--] PROGRAM [ARGS...]  run PROGRAM as the main program, and the
                                     services of DINIT_DIR alongside when the
                                     directory exists
       dinit status [--json]         ask the running dinit: every program, its
                                     PID, state, readiness, lines relayed
       dinit check                   exit 0 when every service runs and is
                                     ready; else 1 and one line saying why
                                     (for HEALTHCHECK and Kubernetes probes)
       dinit --help | --version

The main program is looked up in PATH (not found: exit 127; not executable:
126), runs in dinit's working directory with dinit's environment and stdin,
and is named basename(PROGRAM), stage run. When stdin is a terminal, it gets
the terminal as it is (not relayed) as its foreground process group; else its
stdout and stderr are relayed like a service's. Its end stops everything and
dinit exits with its code (128+N for a signal N).

Environment:
  DINIT_DIR                 service directory (default /etc/service; with a
                            main program, only when it exists)
  DINIT_LOG_LEVEL           none, error, warn, info, debug (default warn)
  DINIT_JSON_STDOUT         1 (default; also true, yes, on): stdout lines that
                            are JSON objects get service, stage and logged,
                            other lines go to stderr with a warning; wrap: other
                            lines go to stdout as {"msg":...}; 0 (also false,
                            no, off): every stdout line prefixed as on stderr
  DINIT_LOG_FORMAT          text (default) or json: every stderr line one JSON
                            object, with an event field for lifecycle events
  DINIT_STATUS              0 (also false, no, off) turns the status socket of
                            dinit status and dinit check off (default on)
  DINIT_REPARENTING_POLICY  terminate, adopt, ignore (default terminate)
  DINIT_KILL_TIMEOUT        seconds from SIGTERM to SIGKILL for reparented
                            processes (default 30)
  DINIT_EXIT_CODE           dinit (default: the codes below) or service: the
                            exit code of the program whose end started the
                            shutdown (128+N for a signal N); without a main
                            program only

Signals:
  TERM, INT, QUIT           graceful shutdown
  HUP, USR1, USR2, WINCH    forwarded to the main program, running services
                            and adopted processes
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
With a main program: its own code (128+N for a signal N, whoever sent it),
unless dinit failed first (1); 126 and 127 when it cannot be run.
The reason of the shutdown, and a final status other than 0, are logged at
warning.
`
