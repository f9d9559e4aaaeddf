package proc

import (
	"encoding/binary"
	"errors"

	"golang.org/x/sys/unix"
)

type regs = unix.PtraceRegsArm64

func getRegs(pid int, r *regs) error { return unix.PtraceGetRegSetArm64(pid, unix.NT_PRSTATUS, r) }
func setRegs(pid int, r *regs) error { return unix.PtraceSetRegSetArm64(pid, unix.NT_PRSTATUS, r) }

// setSyscall points r at the svc instruction at pc to run nr(args...).
func setSyscall(r *regs, pc, nr uintptr, args []uintptr) {
	r.Pc, r.Regs[8] = uint64(pc), uint64(nr)
	for i, a := range args {
		r.Regs[i] = uint64(a)
	}
}

func syscallResult(r *regs) uintptr { return uintptr(r.Regs[0]) }

// findSyscallInsn finds `svc #0` (0xd4000001), 4-byte aligned.
func findSyscallInsn(code []byte) int {
	for i := 0; i+4 <= len(code); i += 4 {
		if binary.LittleEndian.Uint32(code[i:]) == 0xd4000001 {
			return i
		}
	}
	return -1
}

// errNoRestart: on arm64 the first argument of an interrupted system
// call (orig_x0) is not visible through ptrace, so it cannot be restarted
// by hand; such a tracee is not redirected.
var errNoRestart = errors.New("interrupted inside a system call, which cannot be restarted by hand on arm64")

// restartSyscall reports whether the saved state can be resumed as is.
func restartSyscall(r *regs) bool {
	switch -int64(r.Regs[0]) {
	case 512, 513, 514, 516:
		return false
	}
	return true
}
