package proc

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Our pipe write ends reach the tracee through an abstract unix socket of
// ours: the tracee connects to it (injected socket + connect), we send the
// two fds with SCM_RIGHTS, and the tracee receives them (injected recvmsg)
// and dup3s them over its descriptors. This needs no right of the tracee
// over us (it may run as another user and could not open /proc/<us>/fd),
// and we check with SO_PEERCRED that the one who connected is the tracee.

// redirectOutput switches pid's stdout and stderr, and every copy of them in
// its descendants, to outW and errW. An error means pid's own descriptors
// were not switched; failures in descendants are returned as warnings.
func redirectOutput(pid, outW, errW int) (warnings []error, err error) {
	outTarget, err := fdTarget(pid, 1)
	if err != nil {
		return nil, err
	}
	errTarget, err := fdTarget(pid, 2)
	if err != nil {
		return nil, err
	}
	ln, addr, err := listenAbstract()
	if err != nil {
		return nil, err
	}
	defer closeFds(ln)
	x := &fdPass{ln: ln, addr: addr, outW: outW, errW: errW}
	if err := x.into(pid, planFor(pid, outTarget, errTarget)); err != nil {
		return nil, err
	}
	for _, d := range descendants(pid) {
		if plan := planFor(d, outTarget, errTarget); len(plan) > 0 {
			if err := x.into(d, plan); err != nil {
				warnings = append(warnings, errors.New("PID "+strconv.Itoa(d)+": "+err.Error()))
			}
		}
	}
	return warnings, nil
}

// plan maps a descriptor of a process to the stream it is switched to
// (true: stderr).
type plan map[int]bool

// planFor lists pid's descriptors that refer to the original stdout or
// stderr (by /proc link target: kcmp is refused under Docker's default
// seccomp profile). When both were one pipe, fd 2 goes to stderr and the
// others to stdout. stdin is never replaced, and a path target (say
// /dev/null, which a daemon's stdin may share) is only followed on fds 1
// and 2: only pipes and sockets have identities to compare.
func planFor(pid int, outTarget, errTarget string) plan {
	dir := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	p := plan{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd == 0 {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, e.Name()))
		switch {
		case err != nil:
		case fd > 2 && !isPipeOrSocket(target):
		case target == errTarget && (fd == 2 || target != outTarget):
			p[fd] = true
		case target == outTarget:
			p[fd] = false
		}
	}
	return p
}

func fdTarget(pid, fd int) (string, error) {
	return os.Readlink(filepath.Join(procRoot, strconv.Itoa(pid), "fd", strconv.Itoa(fd)))
}

// descendants lists every process below pid.
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		kids, _ := children(queue[0])
		queue = append(queue[1:], kids...)
		out = append(out, kids...)
	}
	return out
}

// listenAbstract opens a listening unix socket with an abstract name the
// kernel picks (autobind: unique in the network namespace, which several
// dinits may share), and returns it with its address as the tracee must
// write it.
func listenAbstract() (int, []byte, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return -1, nil, err
	}
	sa, err := autobind(fd)
	if err == nil {
		err = unix.Listen(fd, 1)
	}
	if err != nil {
		closeFds(fd)
		return -1, nil, err
	}
	addr := binary.LittleEndian.AppendUint16(nil, unix.AF_UNIX)
	addr = append(append(addr, 0), sa.Name[1:]...) // "@name": abstract
	return fd, addr, nil
}

func autobind(fd int) (*unix.SockaddrUnix, error) {
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		return nil, err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, err
	}
	if u, ok := sa.(*unix.SockaddrUnix); ok && len(u.Name) > 1 && u.Name[0] == '@' {
		return u, nil
	}
	return nil, errors.New("autobind gave no abstract name")
}

// fdPass carries our two write ends into tracees.
type fdPass struct {
	ln         int
	addr       []byte
	outW, errW int
}

// Layout of the scratch page mapped in the tracee.
const (
	scratchSize = 4096
	offAddr     = 0   // sockaddr_un
	offIov      = 128 // struct iovec
	offByte     = 160 // the one data byte
	offCmsg     = 192 // cmsghdr + 2 fds (24 bytes)
	offMsg      = 256 // struct msghdr (56 bytes)
	cmsgLen     = 16 + 2*4
)

// into switches the descriptors of plan in pid.
func (x *fdPass) into(pid int, p plan) error {
	t, err := seize(pid)
	if err != nil {
		return err
	}
	defer t.release()
	page, err := t.syscall(unix.SYS_MMAP, 0, scratchSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if err != nil {
		return err
	}
	defer t.syscall(unix.SYS_MUNMAP, page, scratchSize)
	out, errFd, err := x.receive(t, page)
	if err != nil {
		return err
	}
	defer t.syscall(unix.SYS_CLOSE, out)
	defer t.syscall(unix.SYS_CLOSE, errFd)
	for fd, toErr := range p {
		src := out
		if toErr {
			src = errFd
		}
		if _, err := t.syscall(unix.SYS_DUP3, src, uintptr(fd), 0); err != nil {
			return err
		}
	}
	return nil
}

// receive has the tracee connect to us and receive our two fds; it returns
// their numbers in the tracee.
func (x *fdPass) receive(t *tracee, page uintptr) (out, errFd uintptr, err error) {
	if _, err := unix.PtracePokeData(t.pid, page+offAddr, x.addr); err != nil {
		return 0, 0, err
	}
	s, err := t.syscall(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, 0, err
	}
	defer t.syscall(unix.SYS_CLOSE, s)
	if _, err := t.syscall(unix.SYS_CONNECT, s, page+offAddr, uintptr(len(x.addr))); err != nil {
		return 0, 0, err
	}
	if err := x.send(t.pid); err != nil {
		return 0, 0, err
	}
	if _, err := unix.PtracePokeData(t.pid, page+offIov, msgLayout(page)); err != nil {
		return 0, 0, err
	}
	if _, err := t.syscall(unix.SYS_RECVMSG, s, page+offMsg, unix.MSG_CMSG_CLOEXEC); err != nil {
		return 0, 0, err
	}
	cmsg := make([]byte, cmsgLen)
	if _, err := unix.PtracePeekData(t.pid, page+offCmsg, cmsg); err != nil {
		return 0, 0, err
	}
	if int32(binary.LittleEndian.Uint32(cmsg[12:])) != unix.SCM_RIGHTS {
		return 0, 0, errors.New("no descriptors received")
	}
	return uintptr(binary.LittleEndian.Uint32(cmsg[16:])), uintptr(binary.LittleEndian.Uint32(cmsg[20:])), nil
}

// send accepts the tracee's connection and sends it our two write ends.
func (x *fdPass) send(pid int) error {
	c, _, err := unix.Accept4(x.ln, unix.SOCK_CLOEXEC)
	if err != nil {
		return err
	}
	defer closeFds(c)
	cred, err := unix.GetsockoptUcred(c, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return err
	}
	if int(cred.Pid) != pid {
		return errors.New("a process other than the tracee connected")
	}
	return unix.Sendmsg(c, []byte{0}, unix.UnixRights(x.outW, x.errW), nil, 0)
}

// msgLayout is the iovec, data byte, cmsg buffer and msghdr written at
// page+offIov, pointing into the page itself.
func msgLayout(page uintptr) []byte {
	b := make([]byte, offMsg+56-offIov)
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(page+offByte)) // iov_base
	le.PutUint64(b[8:], 1)                    // iov_len
	m := b[offMsg-offIov:]
	le.PutUint64(m[16:], uint64(page+offIov))  // msg_iov
	le.PutUint64(m[24:], 1)                    // msg_iovlen
	le.PutUint64(m[32:], uint64(page+offCmsg)) // msg_control
	le.PutUint64(m[40:], cmsgLen)              // msg_controllen
	return b
}

func isPipeOrSocket(target string) bool {
	return strings.HasPrefix(target, "pipe:[") || strings.HasPrefix(target, "socket:[")
}
