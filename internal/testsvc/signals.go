package main

import (
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// defaultSignals are reset to SIG_DFL before blocking. A Go program does not have the
// default dispositions: without signal.Notify the runtime ignores USR1, USR2 and ALRM,
// and exits with a goroutine dump and code 2 on QUIT. A test service must end the way
// a C program would ("finished with signal S"), so these go back to the kernel default.
var defaultSignals = []unix.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM, unix.SIGTERM,
}

// setDefault sets sig to SIG_DFL with rt_sigaction(2). A zeroed kernel struct
// sigaction (handler, flags, restorer, mask: 32 bytes on amd64 and arm64) is
// SIG_DFL with no flags and an empty mask; the last argument is sizeof(sigset_t).
func setDefault(sig unix.Signal) {
	var act [4]uint64
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
}

// blockForever waits until a signal ends the process. time.Sleep, not select{}:
// the runtime kills a program whose goroutines are all blocked on channels.
func blockForever() {
	for {
		time.Sleep(time.Hour)
	}
}

func modeSleep(args []string) int {
	if len(args) != 0 {
		return usage("sleep takes no arguments")
	}
	for _, s := range defaultSignals {
		setDefault(s)
	}
	blockForever()
	return 0
}

var trapped = []os.Signal{
	syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
	syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT,
}

func modeTrap(args []string) int {
	if len(args) != 0 {
		return usage("trap takes no arguments")
	}
	ch := make(chan os.Signal, 64)
	signal.Notify(ch, trapped...)
	outLine(msgLine("ready"))
	for s := range ch {
		sig := s.(syscall.Signal)
		outLine([]byte(`{"signal":"` + unix.SignalName(sig) + `"}`))
		if sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGQUIT {
			outLine(msgLine("bye"))
			return 0
		}
	}
	return 0
}

func modeIgnoreTerm(args []string) int {
	if len(args) != 0 {
		return usage("ignoreterm takes no arguments")
	}
	for _, s := range defaultSignals {
		setDefault(s)
	}
	signal.Ignore(syscall.SIGTERM)
	outLine(msgLine("ready"))
	blockForever()
	return 0
}

func modeStopLines(args []string) int {
	if len(args) != 1 {
		return usage("want stoplines N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return usage("bad count " + strconv.Quote(args[0]))
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	outLine(msgLine("ready"))
	<-ch
	for i := 1; i <= n; i++ {
		outLine(numbered(`{"n":`, i, `,"msg":"stopping"}`))
	}
	return 0
}
