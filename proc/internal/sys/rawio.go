package sys

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The relay's reads and writes (proc/relay) go through RawSyscall, which leaves the Go
// scheduler out: the fds are nonblocking (our read ends of the services'
// pipes, and its own description of stdout and stderr, see relay.openSink), so
// the call never waits. Through unix.Read and unix.Write, a 64 KiB read or a
// 256 KiB write outlasts the runtime's 20 µs syscall tick: sysmon then hands
// the loop thread's P to another thread and the loop takes it back when the
// call returns, two thread wake-ups per call for nothing. Measured: 4 % less
// wall time relaying a million 85-byte JSON lines (226 against 237 ms,
// medians of 21 interleaved runs).

// RawRead is read(2) on a nonblocking fd.
func RawRead(fd int, p []byte) (int, error) { return rawIO(unix.SYS_READ, fd, p) }

// RawWrite is write(2) on a nonblocking fd.
func RawWrite(fd int, p []byte) (int, error) { return rawIO(unix.SYS_WRITE, fd, p) }

// rawIO makes the read or write trap on p without the scheduler.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, errno := unix.RawSyscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}
