// Package loop is dinit's event loop: one epoll set, polled from one OS
// thread, that multiplexes pipe read ends, pidfds, the signal source and
// deadlines.
//
// Registration returns a Token made of a slot index and a generation. Each
// epoll event carries the token in its data word, so an event that was
// already queued for an fd which was removed earlier in the same batch (or
// whose number was reused by a newer registration) finds a newer generation
// in the slot and is dropped: a stale event can never reach the wrong
// handler.
//
// Handlers only record facts (this pipe is readable, this pidfd fired); the
// caller acts on them after Poll returns, in a fixed order.
//
// # Signals
//
// A signalfd is not enough in Go: the runtime unblocks SIGTERM, SIGINT, SIGHUP
// and SIGCHLD on every thread it creates, so the kernel often delivers them
// to a thread that does not read the signalfd, and the default action of the
// runtime then kills the process. Signals therefore come through
// os/signal.Notify, which installs real handlers on every thread. One small
// goroutine moves each signal from the channel into an ordered queue and
// bumps an eventfd that the loop polls. See signals.go. The signals the
// runtime lets nobody catch (32 to 34) are set to SIG_IGN instead, so that
// none can kill us: see sigaction.go.
//
// EINTR: epoll_wait is restarted by returning to the caller with no events;
// the caller's next Poll computes a fresh timeout, so an interrupted wait
// never extends a deadline.
package loop
