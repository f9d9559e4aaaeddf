// Package sys is the operating system as the supervisor and the relay use
// it: spawning a program with exactly three descriptors (and a pidfd),
// pipes, signals by pidfd or PID, the one wait for ends (waitid with a
// typed siginfo), the cloexec sweep of inherited descriptors, and reading
// /proc, whose root is a value (Proc) so that tests can point it at a fake
// tree. unsafe is used for the siginfo and for the system calls that take
// a path without allocating (rawpath.go).
//
// It makes no decision: callers decide what an error means. It holds no
// state but a ChildLister's, which its caller owns: the descriptors and
// buffers that let the supervisor list its children every second without
// allocating. It may touch x/sys/unix and nothing of dinit but itself.
package sys
