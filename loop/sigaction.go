package loop

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signals that os/signal cannot catch. The Go runtime installs no handler
// for 32 (glibc's SIGCANCEL) and 34 (musl's SIGSYNCCALL), nor, in a cgo
// binary, for 33 (glibc's SIGSETXID; a pure Go binary handles 33 itself, as
// its per-thread system-call signal). Their sigtable entries lack
// _SigNotify, so signal.Notify and signal.Ignore do nothing for them
// (runtime/sigtab_linux_generic.go, sigInstallGoHandler in
// runtime/signal_unix.go). At SIG_DFL such a signal kills the process (exit
// 160 for 32) unless it is PID 1 of its namespace, where the kernel drops
// it. Pointing one at the runtime's handler does not help: sigfwdgo sees a
// signal it does not handle, with SIG_DFL to forward to, and dies of it.
// Where libc installed a handler of its own (cgo), it is left alone.
//
// So, once every catchable signal has been handed to os/signal, whatever is
// still at SIG_DFL with a default action that ends or stops the process is
// set to SIG_IGN with a raw rt_sigaction. SIG_IGN survives execve: the
// programs we start inherit those signals as ignored (handlers, unlike
// SIG_IGN, are reset by execve).

// Dispositions (include/uapi/asm-generic/signal-defs.h).
const (
	sigDFL = 0
	sigIGN = 1
)

// ignoreDeadlyDefaults sets SIG_IGN for every signal at SIG_DFL whose
// default action would end or stop us, and returns those signals in
// ascending order.
func ignoreDeadlyDefaults() ([]unix.Signal, error) {
	var ignored []unix.Signal
	for sig := unix.Signal(1); sig <= maxSignal; sig++ {
		if sig == unix.SIGKILL || sig == unix.SIGSTOP || defaultIsHarmless(sig) {
			continue
		}
		h, err := handlerOf(sig)
		if err != nil {
			return ignored, os.NewSyscallError("rt_sigaction", err)
		}
		if h != sigDFL {
			continue
		}
		if err := setHandler(sig, sigIGN); err != nil {
			return ignored, os.NewSyscallError("rt_sigaction", err)
		}
		ignored = append(ignored, sig)
	}
	return ignored, nil
}

// defaultIsHarmless reports whether sig's default action neither ends nor
// stops the process: ignore (CHLD, URG, WINCH) or continue (CONT), as
// listed in signal(7). Every other signal, real-time ones included, ends
// it (SIGTSTP, SIGTTIN and SIGTTOU stop it).
func defaultIsHarmless(sig unix.Signal) bool {
	switch sig {
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH, unix.SIGCONT:
		return true
	}
	return false
}

// handlerOf reads sig's disposition: sigDFL, sigIGN or a handler address.
func handlerOf(sig unix.Signal) (uintptr, error) {
	var old kernelSigaction
	if err := rtSigaction(sig, nil, &old); err != nil {
		return 0, err
	}
	return old.handler, nil
}

// setHandler sets sig's disposition to h (sigDFL or sigIGN), with no flags
// and an empty mask.
func setHandler(sig unix.Signal, h uintptr) error {
	act := kernelSigaction{handler: h}
	return rtSigaction(sig, &act, nil)
}

// rtSigaction is the raw system call: the kernel's struct sigaction, not
// libc's, and the kernel's sigset size (EINVAL for any other).
func rtSigaction(sig unix.Signal, act, old *kernelSigaction) error {
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), sigsetBytes, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
