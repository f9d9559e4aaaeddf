//go:build !(mips || mipsle || mips64 || mips64le)

package loop

import "unsafe"

// kernelSigaction is the kernel's struct sigaction on every architecture Go
// supports but MIPS (include/linux/signal_types.h): the handler first, then
// the flags, sa_restorer where the architecture has SA_RESTORER (x86, arm,
// ppc64, s390x), and the 64-bit mask. Where there is no sa_restorer, the
// kernel's mask falls on our restorer word: the struct is at least as large
// as the kernel's everywhere, and only the handler is ever read or set.
type kernelSigaction struct {
	handler  uintptr
	flags    uintptr
	restorer uintptr
	mask     uint64
}

// maxSignal is _NSIG: signals 1 to 64.
const maxSignal = 64

// sigsetBytes is the kernel's sigset_t size, which rt_sigaction checks.
const sigsetBytes = unsafe.Sizeof(kernelSigaction{}.mask)
