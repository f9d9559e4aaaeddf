//go:build mips || mipsle || mips64 || mips64le

package loop

import "unsafe"

// kernelSigaction is the kernel's struct sigaction on MIPS
// (arch/mips/include/uapi/asm/signal.h): an unsigned int of flags first,
// then the handler (at 4 on mips and mipsle, at 8 on mips64 and mips64le),
// then a 128-signal mask. The kernel has no sa_restorer there, but
// qemu-user (7.2) writes one on mips and mipsle, past the mask, and Go's
// runtime declares one as padding: the spare word keeps such a write
// inside the struct (without it the loop tests crash under qemu-mipsel).
type kernelSigaction struct {
	flags   uint32
	handler uintptr
	mask    [4]uint32
	_       uintptr
}

// maxSignal is _NSIG: MIPS has signals 1 to 128.
const maxSignal = 128

// sigsetBytes is the kernel's sigset_t size, which rt_sigaction checks.
const sigsetBytes = unsafe.Sizeof(kernelSigaction{}.mask)
