package status

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// namePrefix starts every socket name. The name carries the PID namespace
// because abstract names live in the network namespace, which containers
// may share (host networking) while each has its own PID namespace.
const namePrefix = "dinit-status-"

// SocketName is the abstract socket name (without its leading NUL: bind it
// as unix.SockaddrUnix{Name: "@" + name}) of the dinit whose PID namespace
// has inode ino and whose PID is pid: "dinit-status-<ino>" for PID 1, the
// one a client tries first; "dinit-status-<ino>-<pid>" for a subreaper,
// since several of those may share a namespace.
func SocketName(ino uint64, pid int) string {
	name := namePrefix + strconv.FormatUint(ino, 10)
	if pid == 1 {
		return name
	}
	return name + "-" + strconv.Itoa(pid)
}

// nsPath names our PID namespace; stat follows the magic link to the
// namespace's inode in nsfs.
const nsPath = "/proc/self/ns/pid"

// PIDNamespace returns the inode of our PID namespace.
func PIDNamespace() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(nsPath, &st); err != nil {
		return 0, os.NewSyscallError("stat "+nsPath, err)
	}
	return st.Ino, nil
}
