package inject

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Built and vetted for arm64, never run on it (no arm64 machine here).

// ptRegs is struct user_pt_regs, the NT_PRSTATUS register set.
type ptRegs = unix.PtraceRegsArm64

// ptArch is AUDIT_ARCH_AARCH64: a 32-bit (compat) tracee is refused.
const ptArch = 0xc00000b7

// ptSvc is `svc #0`.
const ptSvc = 0xd4000001

func ptPC(r *ptRegs) uintptr { return uintptr(r.Pc) }

// ptIndexInsn finds `svc #0` at a 4-byte boundary.
func ptIndexInsn(code []byte) int {
	for i := 0; i+4 <= len(code); i += 4 {
		if binary.LittleEndian.Uint32(code[i:]) == ptSvc {
			return i
		}
	}
	return -1
}

// ptSetCall points r at the svc at pc to run nr(args...).
func ptSetCall(r *ptRegs, pc, nr uintptr, args []uintptr) {
	r.Pc, r.Regs[8] = uint64(pc), uint64(nr)
	for i, a := range args {
		r.Regs[i] = uint64(a)
	}
}

func ptResult(r *ptRegs) uintptr { return uintptr(r.Regs[0]) }

// ptCapture makes the saved registers restartable. On arm64 the kernel
// prepares a restart before the interrupt stop (do_signal: x0 = orig_x0,
// pc back on the svc) but only after it, for -ERESTART_RESTARTBLOCK, does
// it put restart_syscall in x8; and the restart code itself is gone from x0,
// while orig_x0 is not visible through ptrace. So when the tracee stopped
// on an svc (about to make a call, or rewound to make it again), we let the
// kernel finish: resume to the call's entry stop, where its number and
// arguments are final, save the registers there (pc back on the svc), and
// have the kernel skip that call (syscallno = -1). At the release the tracee
// runs the svc again with those registers: the interrupted call, or
// restart_syscall, which continues from the restart block.
// x7 is not the tracee's at a syscall stop (the kernel shows 0 or 1 there
// and discards writes): it is taken from the interrupt stop.
func ptCapture(t *ptTracee) error {
	var word [8]byte
	if _, err := unix.PtracePeekText(t.tid, ptPC(&t.saved), word[:]); err != nil {
		return t.fail(err)
	}
	if binary.LittleEndian.Uint32(word[:]) != ptSvc {
		return nil
	}
	if err := t.step(ptEntry); err != nil {
		return err
	}
	var r ptRegs
	if err := ptGetRegs(t.tid, &r); err != nil {
		return t.fail(err)
	}
	r.Pc -= 4
	r.Regs[7] = t.saved.Regs[7]
	t.saved = r
	t.dirty = true
	if err := ptSetSyscallNr(t.tid, -1); err != nil {
		return t.fail(err)
	}
	return t.step(ptExit)
}

// ptRestore prepares the saved registers r for the tracee to resume from
// the stop it is at. They are restored as saved; the system call of the
// stop (an injected one, or one being entered) is cancelled, so that
// neither the kernel's restart logic nor the call itself acts on them.
// Known difference with amd64: a signal that arrived while we worked is
// handled before the interrupted call runs again, so a pause() whose
// handler runs then goes on waiting (amd64 returns EINTR, as without us).
func ptRestore(t *ptTracee, _ *ptRegs) {
	_ = ptSetSyscallNr(t.tid, -1)
}

// ptSetSyscallNr sets the number of the system call being made
// (NT_ARM_SYSTEM_CALL); -1 skips it at an entry stop.
func ptSetSyscallNr(tid int, nr int32) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(&nr))}
	iov.SetLen(4)
	return ptraceP(unix.PTRACE_SETREGSET, tid, uintptr(unix.NT_ARM_SYSTEM_CALL), unsafe.Pointer(&iov))
}

// ptWroteInPart: on arm64 a completed call's first argument (the
// descriptor) is overwritten by its result in x0 and not visible through
// ptrace, so a partial write is not recognised at the stop; only a thread
// blocked in a large write is (writingOutput, before the seize).
func ptWroteInPart(*ptTracee, []fdSwitch) bool { return false }
