package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// siginfoChild is siginfo_t as waitid fills it in (si_signo SIGCHLD): the
// header, then the _sigchld member of the union, laid out as in C on every
// architecture, like Go's internal/syscall/unix.SiginfoChild. x/sys/unix
// leaves the union opaque.
type siginfoChild struct {
	_ [3]int32 // si_signo, si_errno, si_code (errno and code swapped on MIPS)
	// The union holds pointers: on 64-bit architectures it starts at 16.
	_      [is64bit]int32
	pid    int32  // si_pid
	uid    uint32 // si_uid
	status int32  // si_status: the exit code, the signal, or the stop's
	_      [128 - (6+is64bit)*4]byte
}

const is64bit = ^uint(0) >> 63 // 1 on 64-bit architectures, 0 on 32-bit

// Both are the kernel's 128 bytes: neither difference may be negative.
var (
	_ [unsafe.Sizeof(unix.Siginfo{}) - unsafe.Sizeof(siginfoChild{})]byte
	_ [unsafe.Sizeof(siginfoChild{}) - unsafe.Sizeof(unix.Siginfo{})]byte
)

// childInfo is the one view of a waitid result as the child member.
func childInfo(info *unix.Siginfo) *siginfoChild {
	return (*siginfoChild)(unsafe.Pointer(info))
}

// ChildPID is si_pid: 0 when a WNOHANG wait found nothing.
func ChildPID(info *unix.Siginfo) int { return int(childInfo(info).pid) }

// ChildStatus is si_status.
func ChildStatus(info *unix.Siginfo) int { return int(childInfo(info).status) }
