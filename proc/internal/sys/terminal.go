package sys

import "golang.org/x/sys/unix"

// IsTerminal reports whether fd is a terminal (TCGETS succeeds on it).
func IsTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

// IsControllingTerminal reports whether fd is our controlling terminal:
// the terminal's session (TIOCGSID) is ours. Only then may a child's group
// be made its foreground group.
func IsControllingTerminal(fd int) bool {
	sid, err := unix.IoctlGetInt(fd, unix.TIOCGSID)
	if err != nil {
		return false
	}
	own, err := unix.Getsid(0)
	return err == nil && own == sid
}
