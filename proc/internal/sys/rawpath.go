package sys

import (
	"bytes"
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// System calls on a path that allocate nothing: x/sys/unix's Open,
// Readlink and the like copy their string path into a new NUL-terminated
// buffer at every call. These take the path as a NUL-terminated []byte that
// the caller builds in a buffer it reuses (ChildLister: the reparent scan
// runs every second for dinit's whole life, issue 14). Errors are returned
// as the Errno itself: a caller that passes over one boxes nothing.

// openPath opens the NUL-terminated path read-only and close-on-exec (a
// program we start must not inherit it), with flags added.
func openPath(path []byte, flags int) (int, unix.Errno) {
	dirfd := unix.AT_FDCWD // a variable: the negative constant is no uintptr
	for {
		fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&path[0])),
			uintptr(flags|unix.O_RDONLY|unix.O_CLOEXEC), 0, 0, 0)
		if errno != unix.EINTR { // as os.Open: EINTR is retried
			return int(fd), errno
		}
	}
}

// readlinkPath reads the NUL-terminated path's link target into buf and
// returns its length (len(buf): buf was too short).
func readlinkPath(path, buf []byte) (int, unix.Errno) {
	dirfd := unix.AT_FDCWD
	n, _, errno := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(&path[0])),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	return int(n), errno
}

// Offsets in struct linux_dirent64, which getdents64 fills: u64 d_ino (at
// 0), s64 d_off, u16 d_reclen, u8 d_type, then the NUL-terminated name.
// (syscall.ParseDirent allocates a string per name.)
const (
	direntReclen = 16
	direntName   = 19
)

// nextDirent returns the name and inode number of the entry at the start
// of buf (as getdents64 filled it) and the entry's length; size 0: no
// whole entry.
func nextDirent(buf []byte) (name []byte, ino uint64, size int) {
	if len(buf) < direntName {
		return nil, 0, 0
	}
	size = int(binary.NativeEndian.Uint16(buf[direntReclen:]))
	if size < direntName || size > len(buf) {
		return nil, 0, 0
	}
	name = buf[direntName:size]
	if end := bytes.IndexByte(name, 0); end >= 0 {
		name = name[:end]
	}
	return name, binary.NativeEndian.Uint64(buf), size
}
