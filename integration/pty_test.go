package integration

import (
	"os"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// winsize is a terminal's size in characters.
type winsize struct{ rows, cols uint16 }

// openPTY opens a new pseudo-terminal pair of the given size: master is
// the user's side, slave the program's.
func openPTY(t *testing.T, size winsize) (master, slave *os.File) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	master = os.NewFile(uintptr(m), "ptmx")
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ws := &unix.Winsize{Row: size.rows, Col: size.cols}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, ws); err != nil {
		t.Fatalf("TIOCSWINSZ: %v", err)
	}
	return master, slave
}

// attachPTY makes a new terminal dinit's stdin, stdout, stderr and
// controlling terminal (its own session, as runc does for a container's
// init under `docker run -it`). It returns the master as what the test
// reads for stdout, and the slave as the write end the caller closes.
func (d *instance) attachPTY(t *testing.T, size winsize) (r, w *os.File) {
	t.Helper()
	master, slave := openPTY(t, size)
	d.pty = master
	d.cmd.Stdin, d.cmd.Stdout, d.cmd.Stderr = slave, slave, slave
	d.cmd.SysProcAttr.Setctty = true
	d.cmd.SysProcAttr.Ctty = 0
	// The test reads the terminal through a copy: copyFrom closes what it
	// reads, and the test keeps writing to the master.
	dup, err := syscall.Dup(int(master.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(dup)
	t.Cleanup(func() { master.Close() })
	return os.NewFile(uintptr(dup), "ptmx-read"), slave
}

// typeInto writes what a user types into the terminal (a Ctrl-C is
// "\x03": the terminal sends SIGINT to its foreground process group).
func (d *instance) typeInto(s string) {
	d.t.Helper()
	if _, err := d.pty.WriteString(s); err != nil {
		d.t.Fatalf("writing to the terminal: %v", err)
	}
}
