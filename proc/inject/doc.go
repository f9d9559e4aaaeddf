// Package inject switches the stdout and stderr of a running process that
// is not our child, and of its descendants, to pipes of ours: the output
// redirection of the adopt policy. It does so with ptrace, by injecting
// system calls into each process (below: how, and why the vDSO),
// and passes the pipes' write ends through a unix socket (courier.go).
//
// One entry point: New prepares a Redirection of one adopted process, and
// the loop calls its Step when Due, one process per step, so that no
// tracee can hold the loop up (a step parks while its tracee has not
// stopped, and the loop kicks it when the reaper saw a stop). Claim is the
// reaper's hook: the stops and ends of tracees reach every wait of the
// tracer, and Claim takes those that are not ends of our children.
//
// Built on amd64 and arm64 (trace_amd64.go, trace_arm64.go); elsewhere New
// fails and processes are adopted without redirection (trace_other.go).
// It reads the real /proc only (its subjects are real processes), keeps
// its tracees by TID in two maps of the loop thread, and may touch
// x/sys/unix and sys. Every ptrace request comes from the loop's locked
// thread.
//
// One injection into one thread (the tracee):
//
//  1. PTRACE_SEIZE (option PTRACE_O_TRACESYSGOOD) and PTRACE_INTERRUPT stop
//     it without sending it a signal it could see. Each stop is awaited by
//     polling waitid(P_PID, WSTOPPED|WNOHANG|__WALL), bounded per stop and
//     per process (ptWaiting). The loop's redirections park between two
//     polls (2 s per stop, 5 s per process: see redirect.go), so the
//     loop never waits for a tracee; without parking (the tests of this
//     layer) the polls are a few sched_yield and short sleeps apart (see
//     ptPause; 100 ms per stop, 250 ms per process). A tracee that does not
//     stop in time (uninterruptible sleep: a vfork parent, NFS, FUSE) is
//     given up: see "adrift" below; the redirection tries it again later.
//  2. Its signal mask is saved (PTRACE_GETSIGMASK, which returns the mask
//     to restore when a sigsuspend/ppoll-style call has a temporary one) and
//     every signal is blocked (PTRACE_SETSIGMASK): a signal that arrives
//     while we work stays queued with its siginfo, and is delivered by the
//     kernel after we leave, instead of interrupting an injected call or
//     stopping the tracee where we would have to hold it back and lose its
//     siginfo. Only SIGKILL and SIGSTOP cannot be blocked: a SIGSTOP seen
//     meanwhile is sent again after the detach.
//  3. Its registers are saved (PTRACE_GETREGSET NT_PRSTATUS). Each system
//     call is run by pointing the program counter at a system-call
//     instruction (`syscall`, 0f 05, on amd64; `svc #0` on arm64) found in
//     its vDSO, with the number and arguments in registers, then
//     PTRACE_SYSCALL to the call's entry stop and again to its exit stop,
//     where the result is read. Why the vDSO: nothing of the tracee is
//     overwritten. Writing an instruction at its program counter would
//     need the bytes restored exactly, and its other threads, which keep
//     running, could execute the patched bytes meanwhile.
//  4. The registers are restored so that a system call it was blocked in
//     resumes as the kernel would have resumed it after a signal with no
//     handler (trace_amd64.go, trace_arm64.go), the signal mask is
//     restored, and PTRACE_DETACH lets it go.
//
// Adrift: when a wait times out the tracee is not in a ptrace stop, so it
// cannot be detached (PTRACE_DETACH needs a stopped tracee) and it would
// stop, later, for good. It is recorded in ptAdrift instead. Its next stop
// reaches the one reaper (the kernel reports a tracee's stops to its tracer
// through wait even without WSTOPPED, and sends SIGCHLD): sys.PeekExited hands
// it to Claim, which restores what was changed and detaches, without
// waiting. What an interrupted injection leaves behind is harmless: a
// received descriptor (close-on-exec) or the scratch page.
//
// All ptrace requests come from the loop's locked thread: the kernel takes
// them from the tracer thread only (others get ESRCH).
//
// Not bounded: reading a tracee's memory (PTRACE_PEEKTEXT/POKEDATA, and
// /proc/PID/maps and mem when its vDSO must be scanned) takes its mmap
// lock, which a thread of it stuck in a page fault on a hung network
// filesystem could hold indefinitely.
package inject
