//go:build amd64 || arm64

package inject

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ptrace requests, stops and results the tracees go through.

// ptStop is where a tracee is stopped.
type ptStop uint8

const (
	ptRunning   ptStop = iota // not in a ptrace stop (or unknown)
	ptInterrupt               // PTRACE_EVENT_STOP: our interrupt, or a group-stop
	ptEntry                   // syscall-entry stop
	ptExit                    // syscall-exit stop
	ptSignal                  // signal-delivery stop
	ptSyscall                 // a system-call stop, entry or exit (decoding only)
)

// si_code values of SIGCHLD (not in x/sys/unix).
const (
	ptCldExited = iota + 1
	ptCldKilled
	ptCldDumped
	ptCldTrapped
	ptCldStopped
)

// ptraceP is ptrace(2) with a pointer argument kept a pointer until the
// system call (a uintptr would not keep its target alive nor follow a
// stack move).
func ptraceP(req, tid int, addr uintptr, data unsafe.Pointer) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, uintptr(data), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// ptraceV is ptrace(2) with a plain value as data.
func ptraceV(req, tid int, addr, data uintptr) error {
	_, _, e := unix.Syscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// PTRACE_GET_SYSCALL_INFO (Linux 5.3) op of an exit stop.
const ptSyscallInfoExit = 2

type ptSyscallInfo struct {
	op   uint8
	arch uint32
}

func (t *ptTracee) syscallInfo() (ptSyscallInfo, error) {
	var b [88]byte
	if err := ptraceP(unix.PTRACE_GET_SYSCALL_INFO, t.tid, uintptr(len(b)), unsafe.Pointer(&b[0])); err != nil {
		return ptSyscallInfo{}, err
	}
	return ptSyscallInfo{op: b[0], arch: *(*uint32)(unsafe.Pointer(&b[4]))}, nil
}

// ptGetRegs and ptSetRegs use PTRACE_GETREGSET/SETREGSET NT_PRSTATUS.
func ptGetRegs(tid int, r *ptRegs) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(r))}
	iov.SetLen(int(unsafe.Sizeof(*r)))
	return ptraceP(unix.PTRACE_GETREGSET, tid, uintptr(unix.NT_PRSTATUS), unsafe.Pointer(&iov))
}

func ptSetRegs(tid int, r *ptRegs) error {
	iov := unix.Iovec{Base: (*byte)(unsafe.Pointer(r))}
	iov.SetLen(int(unsafe.Sizeof(*r)))
	return ptraceP(unix.PTRACE_SETREGSET, tid, uintptr(unix.NT_PRSTATUS), unsafe.Pointer(&iov))
}
