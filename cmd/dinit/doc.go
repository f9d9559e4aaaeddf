// Command dinit is an init (PID 1) for containers. It runs every service of
// a runit-style directory, reaps zombies, applies a policy to processes
// reparented to it, shuts everything down gracefully on TERM, and relays
// each program's stdout and stderr line by line, adding the program's name,
// stage and a timestamp.
//
// # Services
//
// Each directory DINIT_DIR/<name>/ (names starting with a dot are skipped)
// is a service: <name>/run is started with the service directory as
// working directory; <name>/log/run, when present, reads run's stdout on its
// stdin; <name>/terminate, when present, is run instead of sending SIGTERM,
// with DINIT_PID set to the PID of run. A run that exits with code 115 has
// disabled itself; any other end of a run starts the shutdown.
//
// # Main program
//
// `dinit [--] PROGRAM [ARGS...]` runs PROGRAM (looked up in PATH: not found
// exits 127, not executable 126) as the main program, in dinit's working
// directory with its environment and stdin, named basename(PROGRAM), stage
// run, after the services of DINIT_DIR when that directory exists (an
// unset DINIT_DIR without /etc/service means no services). When stdin is a
// terminal, the program gets the terminal as it is and becomes its
// foreground process group; otherwise its output is relayed like a
// service's. Its end stops everything, and dinit exits with its code, or
// 128+N for a signal N.
//
// # Status and readiness
//
// `dinit status [--json]` asks the running dinit (over an abstract unix
// socket named from its PID namespace) for every program's PID, state,
// readiness and lines relayed; `dinit check` exits 0 when every service
// runs and is ready, else 1 with one line saying which is not. A service
// file <name>/notification-fd holding N (3..1023) gives run a pipe at fd N:
// the first newline written there makes the service ready.
//
// # Environment
//
//	DINIT_DIR                 service directory (default /etc/service)
//	DINIT_LOG_LEVEL           none, error, warn, info, debug (default warn)
//	DINIT_JSON_STDOUT         1 (default; also true, yes, on): stdout lines that
//	                          are JSON objects get service, stage and logged,
//	                          other lines go to stderr with a warning; wrap: other
//	                          lines go to stdout as {"msg":...}; 0 (also false,
//	                          no, off): every stdout line prefixed as on stderr
//	DINIT_LOG_FORMAT          text (default) or json: every stderr line one JSON
//	                          object, with an event field for lifecycle events
//	DINIT_STATUS              0 (also false, no, off) turns the status socket of
//	                          dinit status and dinit check off (default on)
//	DINIT_REPARENTING_POLICY  terminate, adopt, ignore (default terminate)
//	DINIT_KILL_TIMEOUT        seconds from SIGTERM to SIGKILL for reparented
//	                          processes (default 30)
//	DINIT_EXIT_CODE           dinit (default) or service: the exit code of
//	                          the program whose end started the shutdown
//	                          (without a main program only)
//
// # Signals
//
//	TERM, INT, QUIT           graceful shutdown
//	HUP, USR1, USR2, WINCH    forwarded to the main program, running services and
//	                          adopted processes
//	CHLD                      reap, look for reparented processes
//	PIPE                      ignored (a closed stdout never kills dinit)
//	ALRM, TSTP, TTIN, TTOU, ILL, TRAP, ABRT, STKFLT, SYS, BUS, FPE, SEGV
//	(sent by kill), XCPU, XFSZ, VTALRM, PWR, IO, and the real-time signals
//	35 to 64: logged at info and ignored
//	32, 33, 34: ignored; 32 and 34, for which the Go runtime has no
//	handler, are set to SIG_IGN, which survives exec: every program dinit
//	starts inherits them as ignored (33 belongs to the Go runtime)
//	any other catchable signal: ignored by the Go runtime (URG is its
//	preemption signal and is never forwarded)
//
// # Exit codes
//
// The first reason recorded wins; an end with status 0 records none.
//
//	0  shutdown by signal, or nothing recorded
//	1  dinit's own failure: bad configuration, unreadable DINIT_DIR, a
//	   program that could not be started
//	3  a service (or adopted process) ended with a non-zero status, or by
//	   a signal before the shutdown began
//
// With a main program, its own code (128+N for a signal N), unless dinit
// failed first (1); 126 or 127 when it cannot be run. The reason of the
// shutdown and a final status other than 0 are logged at warning.
package main
