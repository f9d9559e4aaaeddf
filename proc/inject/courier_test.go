//go:build amd64 || arm64

package inject

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Our side of the descriptors' way into a tracee, with ourselves as the
// tracee.

// newTestCourier makes a courier for outW and errW, closed at the end.
func newTestCourier(t *testing.T, outW, errW int) *fdCourier {
	t.Helper()
	c, err := newCourier(outW, errW)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	return c
}

// dialCourier connects to c's abstract address as a tracee's injected
// connect does, from the sockaddr c made.
func dialCourier(t *testing.T, c *fdCourier) int {
	t.Helper()
	s, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(s) })
	if err := unix.Connect(s, &unix.SockaddrUnix{Name: "@" + string(c.addr[3:])}); err != nil {
		t.Fatal(err)
	}
	return s
}

// The address is a sockaddr_un of an abstract name the kernel picked
// (autobind: five hex digits after a NUL).
func TestCourierAddress(t *testing.T) {
	c := newTestCourier(t, -1, -1)
	if len(c.addr) != 2+1+5 || binary.LittleEndian.Uint16(c.addr) != unix.AF_UNIX || c.addr[2] != 0 {
		t.Fatalf("addr % x", c.addr)
	}
	if _, err := strconv.ParseUint(string(c.addr[3:]), 16, 32); err != nil {
		t.Fatalf("name %q: %v", c.addr[3:], err)
	}
	if other := newTestCourier(t, -1, -1); string(other.addr) == string(c.addr) {
		t.Fatal("two couriers, one address")
	}
}

// The peer (here: us) gets one byte and our two write ends, in order.
func TestCourierSendsBothEnds(t *testing.T) {
	outR, outW := ptPipe(t)
	errR, errW := ptPipe(t)
	defer sys.Close(outW, errW)
	c := newTestCourier(t, outW, errW)
	s := dialCourier(t, c)
	if err := c.send(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 4), make([]byte, unix.CmsgSpace(8))
	n, oobn, flags, _, err := unix.Recvmsg(s, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || n != 1 || buf[0] != 0 || flags&unix.MSG_CTRUNC != 0 {
		t.Fatalf("recvmsg = %d bytes (%q), flags %#x, %v", n, buf[:n], flags, err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		t.Fatalf("%d control messages, %v", len(msgs), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 2 {
		t.Fatalf("rights %v, %v", fds, err)
	}
	defer sys.Close(fds...)
	if injTarget(t, fds[0]) != injTarget(t, outR) || injTarget(t, fds[1]) != injTarget(t, errR) {
		t.Fatalf("received %s, %s; want %s, %s", injTarget(t, fds[0]), injTarget(t, fds[1]), injTarget(t, outR), injTarget(t, errR))
	}
	if n, _ := unix.Read(s, buf); n != 0 {
		t.Fatalf("%d more bytes; want EOF, the connection closed", n)
	}
}

// A connection from anyone but the tracee is dropped unanswered; with
// none left, send fails (nothing to wait for: the listener never blocks).
func TestCourierDropsStrangers(t *testing.T) {
	_, outW := ptPipe(t)
	defer sys.Close(outW)
	c := newTestCourier(t, outW, outW)
	s := dialCourier(t, c)
	if err := c.send(noPID); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("send = %v, want EAGAIN", err)
	}
	buf, oob := make([]byte, 4), make([]byte, unix.CmsgSpace(8))
	if n, oobn, _, _, err := unix.Recvmsg(s, buf, oob, unix.MSG_CMSG_CLOEXEC); n != 0 || oobn != 0 || err != nil {
		t.Fatalf("the stranger got %d bytes and %d of control, %v", n, oobn, err)
	}
	if err := c.send(os.Getpid()); !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("send with nobody connected = %v, want EAGAIN", err)
	}
}

// At most 8 connections are looked at per send.
func TestCourierGivesUpOnTooManyStrangers(t *testing.T) {
	_, outW := ptPipe(t)
	defer sys.Close(outW)
	c := newTestCourier(t, outW, outW)
	for range 8 {
		dialCourier(t, c)
	}
	if err := c.send(noPID); err == nil || err.Error() != "too many foreign connections to our socket" {
		t.Fatalf("send = %v", err)
	}
}

// The scratch page: the address, then an iovec of the data byte, and a
// msghdr pointing at it and at the control buffer, all at page offsets.
func TestCourierLayout(t *testing.T) {
	c := &fdCourier{addr: []byte{1, 0, 0, 'a', 'b', 'c', 'd', 'e'}}
	const page = 0x7f0000001000
	b := c.layout(page)
	le := binary.LittleEndian
	if len(b) != injMsg+injMsgLen || string(b[:8]) != string(c.addr) || b[8] != 0 {
		t.Fatalf("%d bytes, address % x", len(b), b[:9])
	}
	m := b[injMsg:]
	for _, f := range []struct {
		name      string
		got, want uint64
	}{
		{"iov_base", le.Uint64(b[injIov:]), page + injByte},
		{"iov_len", le.Uint64(b[injIov+8:]), 1},
		{"msg_name", le.Uint64(m[0:]), 0},
		{"msg_namelen", le.Uint64(m[8:]), 0},
		{"msg_iov", le.Uint64(m[16:]), page + injIov},
		{"msg_iovlen", le.Uint64(m[24:]), 1},
		{"msg_control", le.Uint64(m[32:]), page + injCmsg},
		{"msg_controllen", le.Uint64(m[40:]), uint64(unix.CmsgSpace(8))},
		{"msg_flags", le.Uint64(m[48:]), 0},
	} {
		if f.got != f.want {
			t.Errorf("%s = %#x, want %#x", f.name, f.got, f.want)
		}
	}
	if injCmsg+injCmsgLen > injMsg || injAddr+110 > injIov || injMsg+injMsgLen > injPageSize {
		t.Error("the layout's parts overlap or overflow the page")
	}
}

// ptLowSlack sets this thread's timer slack to 1 ns and puts the previous
// one back.
func TestLowSlack(t *testing.T) {
	ptLock(t)
	get := func() int {
		n, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	old := get()
	restore := ptLowSlack()
	if got := get(); got != 1 {
		t.Fatalf("slack %d ns during, want 1", got)
	}
	restore()
	if got := get(); got != old {
		t.Fatalf("slack %d ns after, want %d", got, old)
	}
}
