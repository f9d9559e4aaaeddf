package loop

import (
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sigRTMin is the kernel's first real-time signal (SIGRTMIN, 32 on every
// architecture): the runtime installs no handler for it in any build.
const sigRTMin = unix.Signal(32)

// The handler is where this architecture's kernel reads it, and the mask
// has one bit per signal (rt_sigaction refuses any other sigset size).
func TestKernelSigactionLayout(t *testing.T) {
	var want uintptr // the handler comes first...
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		want = unsafe.Sizeof(uintptr(0)) // ...but after a 32-bit sa_flags on MIPS
	}
	if got := unsafe.Offsetof(kernelSigaction{}.handler); got != want {
		t.Errorf("handler at %d, want %d", got, want)
	}
	if sigsetBytes*8 != maxSignal {
		t.Errorf("sigset of %d bytes for %d signals", sigsetBytes, maxSignal)
	}
	// Read back from the kernel: the runtime's handler for USR1 (installed
	// at start-up), the default for CONT (left alone: _SigDefault).
	if h, err := handlerOf(unix.SIGUSR1); err != nil || h == sigDFL || h == sigIGN {
		t.Errorf("SIGUSR1 handler %#x, %v: want the runtime's", h, err)
	}
	if h, err := handlerOf(unix.SIGCONT); err != nil || h != sigDFL {
		t.Errorf("SIGCONT handler %#x, %v: want SIG_DFL", h, err)
	}
}

// defaultIsHarmless follows signal(7): only ignore and continue are.
func TestDefaultIsHarmless(t *testing.T) {
	harmless := []unix.Signal{unix.SIGCHLD, unix.SIGCONT, unix.SIGURG, unix.SIGWINCH}
	for sig := unix.Signal(1); sig <= maxSignal; sig++ {
		if got, want := defaultIsHarmless(sig), slices.Contains(harmless, sig); got != want {
			t.Errorf("defaultIsHarmless(%d) = %v, want %v", int(sig), got, want)
		}
	}
}

// A signal at SIG_DFL whose default kills us is set to SIG_IGN; a handler
// and a harmless default are left alone. Then the signal, sent to this
// thread, is proof: tgkill to oneself delivers before it returns, so at
// SIG_DFL the test binary would die here (exit 160).
func TestIgnoreDeadlyDefaults(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	keepDisposition(t, sigRTMin)
	if err := setHandler(sigRTMin, sigDFL); err != nil {
		t.Fatal(err)
	}
	usr1, err := handlerOf(unix.SIGUSR1)
	if err != nil {
		t.Fatal(err)
	}
	ignored, err := ignoreDeadlyDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ignored, sigRTMin) {
		t.Errorf("ignored %v, want 32 among them", ignored)
	}
	for _, c := range []struct {
		sig  unix.Signal
		want uintptr
	}{{sigRTMin, sigIGN}, {unix.SIGCONT, sigDFL}, {unix.SIGUSR1, usr1}} {
		if h, err := handlerOf(c.sig); err != nil || h != c.want {
			t.Errorf("signal %d: handler %#x (%v), want %#x", int(c.sig), h, err, c.want)
		}
	}
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sigRTMin); err != nil {
		t.Fatal(err)
	}
}

// After NewSignals no signal is left at a default that ends or stops us.
func TestNoDeadlyDefaultAfterNewSignals(t *testing.T) {
	s, err := NewSignals(syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGTSTP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for sig := unix.Signal(1); sig <= maxSignal; sig++ {
		if sig == unix.SIGKILL || sig == unix.SIGSTOP || defaultIsHarmless(sig) {
			continue
		}
		if h, err := handlerOf(sig); err != nil || h == sigDFL {
			t.Errorf("signal %d: handler %#x (%v), still the default", int(sig), h, err)
		}
	}
}

// keepDisposition puts sig's whole struct sigaction back at the end of the
// test (a C library's handler included, in a cgo test binary).
func keepDisposition(t *testing.T, sig unix.Signal) {
	t.Helper()
	var old kernelSigaction
	if err := rtSigaction(sig, nil, &old); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rtSigaction(sig, &old, nil) })
}
