// Package sys is the operating system as the supervisor and the relay use
// it: spawning a program with exactly three descriptors (and a pidfd),
// pipes, signals by pidfd or PID, the one wait for ends (waitid with a
// typed siginfo: the one place for unsafe outside the loop and ptrace),
// the cloexec sweep of inherited descriptors, and reading /proc, whose
// root is a value (Proc) so that tests can point it at a fake tree.
//
// It holds no state and makes no decision: callers decide what an error
// means. It may touch x/sys/unix and nothing of dinit but itself.
package sys
