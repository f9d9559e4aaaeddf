//go:build amd64 || arm64

package inject

import (
	"encoding/binary"
	"errors"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// How our pipe write ends get into a tracee. The tracee may run as another
// user, so it could not open /proc/<dinit>/fd/N (that needs ptrace rights
// over us), and pidfd_getfd works the other way round (the caller takes a
// descriptor). So the tracee receives them: injected socket(AF_UNIX,
// SOCK_STREAM) and connect to a listening socket of ours with an abstract
// name (autobind: unique, no file to create or clean up, reachable
// whatever the tracee's uid, mount namespace or filesystem permissions);
// we accept, check with SO_PEERCRED that the tracee is the peer (anyone in
// our network namespace can connect to an abstract name) and send both fds
// with SCM_RIGHTS; injected recvmsg gets them (MSG_CMSG_CLOEXEC), dup3 puts
// them over each descriptor to switch, and close drops the socket and the
// received copies. Limit: the tracee must share our network namespace.
//
// The sockaddr, iovec, msghdr and control buffer live in a page the tracee
// maps for the purpose (injected mmap, then munmap), not on its stack below
// the red zone: the stack page below sp may not be mapped yet (since Linux
// 6.5 ptrace writes no longer grow a stack), sp may be a goroutine stack
// with another object right below it, or a signal stack, and bytes we
// changed and later restore there could overwrite what another thread wrote
// meanwhile. A fresh private page has none of these problems and nothing to
// restore; it costs two more calls (about 20 µs).

// fdCourier is our side: the listening socket and the two write ends.
type fdCourier struct {
	ln         int
	addr       []byte // the sockaddr_un the tracee connects to
	outW, errW int
}

func newCourier(outW, errW int) (*fdCourier, error) {
	ln, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	c := &fdCourier{ln: ln, outW: outW, errW: errW}
	if err := c.listen(); err != nil {
		sys.Close(ln)
		return nil, err
	}
	return c, nil
}

// listen binds an abstract name the kernel picks and listens on it.
func (c *fdCourier) listen() error {
	if err := unix.Bind(c.ln, &unix.SockaddrUnix{}); err != nil {
		return err
	}
	sa, err := unix.Getsockname(c.ln)
	if err != nil {
		return err
	}
	u, ok := sa.(*unix.SockaddrUnix)
	if !ok || len(u.Name) < 2 || u.Name[0] != '@' {
		return errors.New("autobind gave no abstract name")
	}
	c.addr = binary.LittleEndian.AppendUint16(nil, unix.AF_UNIX)
	c.addr = append(append(c.addr, 0), u.Name[1:]...)
	return unix.Listen(c.ln, 8)
}

func (c *fdCourier) close() { sys.Close(c.ln) }

// Layout of the scratch page in the tracee: 64-bit little-endian struct
// iovec, cmsghdr and msghdr, which holds on every architecture this file
// is built for (amd64 and arm64, the build constraint above).
const (
	injPageSize = 4096
	injAddr     = 0   // sockaddr_un (at most 110 bytes)
	injIov      = 128 // struct iovec
	injByte     = 144 // the one data byte
	injCmsg     = 160 // cmsghdr and two ints: CMSG_SPACE(8) = 24
	injMsg      = 192 // struct msghdr, 56 bytes
	injCmsgLen  = 24
	injMsgLen   = 56
)

// deliver switches the descriptors sw of the stopped tracee t.
func (c *fdCourier) deliver(t *ptTracee, sw []fdSwitch) error {
	page, err := t.call(unix.SYS_MMAP, 0, injPageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
	if err != nil {
		return inErr("mmap", err)
	}
	err = c.deliverVia(t, page, sw)
	_, _ = t.call(unix.SYS_MUNMAP, page, injPageSize)
	return err
}

func (c *fdCourier) deliverVia(t *ptTracee, page uintptr, sw []fdSwitch) error {
	if _, err := unix.PtracePokeData(t.tid, page, c.layout(page)); err != nil {
		return t.fail(err)
	}
	s, err := t.call(unix.SYS_SOCKET, unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return inErr("socket", err)
	}
	out, errFd, err := c.pass(t, page, s)
	_, _ = t.call(unix.SYS_CLOSE, s)
	if err != nil {
		return err
	}
	for _, w := range sw {
		src, flags := out, uintptr(0)
		if w.stderr {
			src = errFd
		}
		if w.cloexec {
			flags = unix.O_CLOEXEC
		}
		if _, err = t.call(unix.SYS_DUP3, src, uintptr(w.fd), flags); err != nil {
			err = inErr("dup3", err)
			break
		}
	}
	_, _ = t.call(unix.SYS_CLOSE, out)
	_, _ = t.call(unix.SYS_CLOSE, errFd)
	return err
}

// pass connects the tracee's socket s to us, sends our two fds and has the
// tracee receive them; it returns their numbers in the tracee.
func (c *fdCourier) pass(t *ptTracee, page, s uintptr) (out, errFd uintptr, err error) {
	if _, err := t.call(unix.SYS_CONNECT, s, page+injAddr, uintptr(len(c.addr))); err != nil {
		return 0, 0, inErr("connect", err)
	}
	if err := c.send(t.tgid); err != nil {
		return 0, 0, err
	}
	if _, err := t.call(unix.SYS_RECVMSG, s, page+injMsg, unix.MSG_CMSG_CLOEXEC); err != nil {
		return 0, 0, inErr("recvmsg", err)
	}
	b := make([]byte, injMsg+injMsgLen-injCmsg)
	if _, err := unix.PtracePeekData(t.tid, page+injCmsg, b); err != nil {
		return 0, 0, t.fail(err)
	}
	le := binary.LittleEndian
	cmsgLen, level, typ := le.Uint64(b), int32(le.Uint32(b[8:])), int32(le.Uint32(b[12:]))
	msgFlags := le.Uint32(b[injMsg-injCmsg+48:])
	if cmsgLen != 16+8 || level != unix.SOL_SOCKET || typ != unix.SCM_RIGHTS || msgFlags&unix.MSG_CTRUNC != 0 {
		return 0, 0, errors.New("the descriptors did not arrive")
	}
	return uintptr(le.Uint32(b[16:])), uintptr(le.Uint32(b[20:])), nil
}

// send accepts the tracee's connection (it is queued: connect returned)
// and sends it our two write ends. Connections from anyone else are
// dropped.
func (c *fdCourier) send(tgid int) error {
	for range 8 {
		conn, _, err := unix.Accept4(c.ln, unix.SOCK_CLOEXEC)
		if err != nil {
			return err
		}
		cred, err := unix.GetsockoptUcred(conn, unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err != nil || int(cred.Pid) != tgid {
			sys.Close(conn)
			continue
		}
		err = unix.Sendmsg(conn, []byte{0}, unix.UnixRights(c.outW, c.errW), nil, 0)
		sys.Close(conn)
		return err
	}
	return errors.New("too many foreign connections to our socket")
}

// layout is the scratch page's content: the address, then the iovec, data
// byte, control buffer and msghdr, pointing into the page itself.
func (c *fdCourier) layout(page uintptr) []byte {
	b := make([]byte, injMsg+injMsgLen)
	copy(b[injAddr:], c.addr)
	le := binary.LittleEndian
	le.PutUint64(b[injIov:], uint64(page+injByte)) // iov_base
	le.PutUint64(b[injIov+8:], 1)                  // iov_len
	m := b[injMsg:]
	le.PutUint64(m[16:], uint64(page+injIov))  // msg_iov
	le.PutUint64(m[24:], 1)                    // msg_iovlen
	le.PutUint64(m[32:], uint64(page+injCmsg)) // msg_control
	le.PutUint64(m[40:], injCmsgLen)           // msg_controllen
	return b
}

// inErr names the injected call that failed in the tracee (an errno it
// got); our own failures (timeouts, its end) pass as they are.
func inErr(call string, err error) error {
	if e, ok := err.(ptCallError); ok { // as call returns it (no errors.As: it links reflection)
		return errors.New(call + " in the process: " + e.Error())
	}
	return err
}
