package sys

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// MarkInheritedCloexec makes every fd above stderr that we inherited
// close-on-exec, so that nothing our parent leaked reaches our services.
// close_range with CLOSE_RANGE_CLOEXEC needs Linux 5.11; older kernels get a
// walk of /proc/self/fd.
func MarkInheritedCloexec() {
	if unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
}
