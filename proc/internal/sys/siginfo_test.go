package sys

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The offsets of the kernel's siginfo_t (include/uapi/asm-generic/
// siginfo.h): the union at 12 on 32-bit architectures, at 16 on 64-bit
// ones; si_pid, si_uid, si_status first in its _sigchld member.
func TestSiginfoChildLayout(t *testing.T) {
	pid := uintptr(12)
	if unsafe.Sizeof(uintptr(0)) == 8 {
		pid = 16
	}
	var si siginfoChild
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"size", unsafe.Sizeof(si), 128},
		{"si_pid", unsafe.Offsetof(si.pid), pid},
		{"si_uid", unsafe.Offsetof(si.uid), pid + 4},
		{"si_status", unsafe.Offsetof(si.status), pid + 8},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
}

// A real waitid result read through it: our child's PID and exit code.
func TestSiginfoOfAnExit(t *testing.T) {
	const cldExited = 1 // CLD_EXITED
	pid := kid(t, -1, "/bin/sh", "-c", "exit 7")
	waitExited(t, pid)
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	if ChildPID(&info) != pid || ChildStatus(&info) != 7 || info.Code != cldExited {
		t.Fatalf("pid %d status %d code %d, want %d, 7, %d", ChildPID(&info), ChildStatus(&info), info.Code, pid, cldExited)
	}
}
