package proc

import (
	"bytes"
	"errors"

	"golang.org/x/sys/unix"
)

type regs = unix.PtraceRegs

func getRegs(pid int, r *regs) error { return unix.PtraceGetRegs(pid, r) }
func setRegs(pid int, r *regs) error { return unix.PtraceSetRegs(pid, r) }

// setSyscall points r at the instruction at pc to run nr(args...).
// orig_rax = -1 keeps the kernel's restart logic away from our registers.
func setSyscall(r *regs, pc, nr uintptr, args []uintptr) {
	r.Rip, r.Rax, r.Orig_rax = uint64(pc), uint64(nr), ^uint64(0)
	dst := []*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}
	for i, a := range args {
		*dst[i] = uint64(a)
	}
}

func syscallResult(r *regs) uintptr { return uintptr(r.Rax) }

func findSyscallInsn(code []byte) int { return bytes.Index(code, []byte{0x0f, 0x05}) }

// Restart codes the kernel leaves in rax for an interrupted system call
// (include/linux/errno.h).
const (
	errRestartSys      = 512
	errRestartNoIntr   = 513
	errRestartNoHand   = 514
	errRestartRestartB = 516
)

// restartSyscall does what the kernel does when an interrupted system call
// returns to user space with no signal handler run: re-execute the call
// (rewind over the 2-byte syscall instruction), or call restart_syscall for
// those that keep their state in the restart block (nanosleep, poll, ...).
// errNoRestart never happens on amd64: orig_rax holds what a restart needs.
var errNoRestart = errors.New("cannot restart the interrupted system call")

func restartSyscall(r *regs) bool {
	if int64(r.Orig_rax) < 0 {
		return true
	}
	switch -int64(r.Rax) {
	case errRestartSys, errRestartNoIntr, errRestartNoHand:
		r.Rax, r.Rip = r.Orig_rax, r.Rip-2
	case errRestartRestartB:
		r.Rax, r.Rip = unix.SYS_RESTART_SYSCALL, r.Rip-2
	}
	return true
}
