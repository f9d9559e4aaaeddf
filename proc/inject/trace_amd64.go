package inject

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ptRegs is struct user_regs_struct, the NT_PRSTATUS register set.
type ptRegs = unix.PtraceRegs

// ptArch is AUDIT_ARCH_X86_64: a 32-bit (ia32) tracee would need int 0x80
// and other system-call numbers, and is refused.
const ptArch = 0xc000003e

// Restart codes an interrupted system call leaves in rax
// (include/linux/errno.h).
const (
	ptErestartSys     = 512
	ptErestartNoIntr  = 513
	ptErestartNoHand  = 514
	ptErestartRestart = 516 // ERESTART_RESTARTBLOCK
)

func ptPC(r *ptRegs) uintptr { return uintptr(r.Rip) }

// ptIndexInsn finds `syscall` (0f 05). Any occurrence will do, even one
// inside a longer instruction: we jump exactly to it, and the tracee stops
// at the call's exit before it runs anything after.
func ptIndexInsn(code []byte) int { return bytes.Index(code, []byte{0x0f, 0x05}) }

// ptSetCall points r at the instruction at pc to run nr(args...).
// orig_rax = -1: at an interrupt stop the kernel has yet to apply its
// restart logic to the interrupted call (it runs after the stop, keyed on
// orig_rax), and must not apply it to our registers.
func ptSetCall(r *ptRegs, pc, nr uintptr, args []uintptr) {
	r.Rip, r.Rax, r.Orig_rax = uint64(pc), uint64(nr), ^uint64(0)
	dst := [...]*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}
	for i, a := range args {
		*dst[i] = uint64(a)
	}
}

func ptResult(r *ptRegs) uintptr { return uintptr(r.Rax) }

// ptCapture: on amd64 the registers at the interrupt stop hold everything
// a restart needs (orig_rax, the restart code in rax, rip after the
// instruction), so nothing more is done.
func ptCapture(*ptTracee) error { return nil }

// ptRestore prepares the saved registers r for the tracee to resume from
// the stop it is at, as if we had never been there.
//
// At the interrupt stop, the kernel's own restart logic has not run yet
// (arch_do_signal_or_restart runs it after get_signal, where the stop is):
// the registers go back exactly, and the kernel restarts the call itself.
//
// After injected calls the tracee resumes from a syscall-exit stop, where
// nothing would restart the call it was in, so we do what the kernel does
// when no handler runs: -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND:
// rax = orig_rax and rip back over the 2-byte instruction, to run the call
// again; -ERESTART_RESTARTBLOCK (nanosleep, poll, futex with a timeout):
// the same with restart_syscall, which continues from the state the call
// left in the thread's restart block, so a sleep keeps its end time. But
// when a signal is pending that the restored mask lets through, the
// registers go back exactly: the kernel then delivers it and decides
// (EINTR when a handler runs for -ERESTARTNOHAND, or for -ERESTARTSYS
// without SA_RESTART; restart otherwise), as it would have without us.
//
// From a syscall-entry stop (an adrift tracee caught entering an injected
// call), orig_rax = -1 makes the kernel skip that call, leaving rax as set.
func ptRestore(t *ptTracee, r *ptRegs) {
	if t.at == ptInterrupt {
		return
	}
	if int64(r.Orig_rax) >= 0 {
		exact := t.at == ptExit && ptSignalPending(t)
		switch -int64(r.Rax) {
		case ptErestartSys, ptErestartNoIntr, ptErestartNoHand:
			if !exact {
				r.Rax, r.Rip = r.Orig_rax, r.Rip-2
			}
		case ptErestartRestart:
			if !exact {
				r.Rax, r.Rip = unix.SYS_RESTART_SYSCALL, r.Rip-2
			}
		}
	}
	if t.at == ptEntry {
		r.Orig_rax = ^uint64(0)
	}
}

// ptSignalPending reports whether a signal our restored mask lets through
// is pending for the thread: then the kernel, not us, must decide how an
// interrupted system call resumes (EINTR after a handler, or restart).
// Signals pending for the whole process count only when it has one thread
// (another thread could take them first).
func ptSignalPending(t *ptTracee) bool {
	status, err := ptReadProc(t.tgid, filepath.Join("task", strconv.Itoa(t.tid), "status"))
	if err != nil {
		return false
	}
	var pending uint64
	for _, line := range strings.Split(status, "\n") {
		k, v, _ := strings.Cut(line, ":")
		v = strings.TrimSpace(v)
		switch {
		case k == "SigPnd", k == "ShdPnd" && strings.Contains(status, "\nThreads:\t1\n"):
			n, _ := strconv.ParseUint(v, 16, 64)
			pending |= n
		}
	}
	return pending&^t.mask != 0
}

// ptWroteInPart reports that the tracee stopped right after a write to one
// of the descriptors sw that wrote only part of its bytes (an interrupt
// ends a pipe write that has written some: it returns the count so far).
// Its program would write the rest to the descriptor, ours once switched:
// the line would be torn. At the stop, orig_rax is the call just made,
// rdi its descriptor, rdx its count and rax its result.
func ptWroteInPart(t *ptTracee, sw []fdSwitch) bool {
	r := &t.saved
	nr, ret := int64(r.Orig_rax), int64(r.Rax)
	if ret <= 0 || !switchesFd(sw, r.Rdi) {
		return false
	}
	switch nr {
	case unix.SYS_WRITE, unix.SYS_SENDTO:
		return uint64(ret) < r.Rdx
	case unix.SYS_WRITEV, unix.SYS_SENDMSG:
		return true // the size is in memory; say yes, a retry is cheap
	}
	return false
}
