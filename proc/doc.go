// Package proc is dinit's supervisor: it starts the services of a
// directory, keeps the owner table of every process it is responsible for
// (runs, log programs, terminate programs, reparented and adopted
// processes), reaps them, applies the reparenting policy, shuts everything
// down, and decides the exit code. Run is its one entry point; the loop
// thread runs all of it.
//
// It is supervision only, and makes no system call itself: its rooms do.
//
//	proc/relay         pipes to lines to our stdout and stderr, and dinit's messages
//	proc/inject        ptrace injection: the output redirection of adopted processes
//	proc/internal/sys  spawn, pipes, signals, the wait for ends, /proc parsing
//
// A turn of the loop (turn.go): epoll_wait, whose handlers only record
// facts (a signal came, a pidfd or pipe is readable, a sink is writable),
// then the supervisor acts in a fixed order: signals, a slice of the
// startup, a turn of reads (relay), the reaper, the reparent scan, a slice
// of output redirections (inject), planned SIGKILLs, the blind sweep, log
// programs' grace, a flush (relay), and the exit once everything ended.
// Its life is a phase (phase.go): running, stopping, exiting; every
// deadline is a value (loop.Never: none) and the next wait is the earliest.
//
// It may import the loop, its rooms and the standard library; not
// x/sys/unix (scripts/importfence.sh checks it).
package proc
