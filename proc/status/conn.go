package status

import (
	"bytes"
	"errors"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// conn is one client: it sends a request line, gets the reply, and is
// closed.
type conn struct {
	fd       int
	tok      loop.Token
	since    time.Time // accepted: ClientTimeout runs from here
	req      []byte    // the request line so far, while it spans reads
	out      []byte    // the reply; nil until the request is whole
	off      int       // bytes of out written
	answered bool      // the request was whole: reading is over
	canRead  bool      // an edge came and no read met EAGAIN since
	canWrite bool      // the same for writes
}

// Event records readiness. Hang-ups and errors count as both: the next read
// or write reports them.
func (c *conn) Event(ev uint32) {
	if ev&(loop.In|unix.EPOLLRDHUP|loop.Hup|loop.Err) != 0 {
		c.canRead = true
	}
	if ev&(loop.Out|loop.Hup|loop.Err) != 0 {
		c.canWrite = true
	}
}

// ready reports that c has work this turn.
func (c *conn) ready() bool {
	if c.answered {
		return c.canWrite
	}
	return c.canRead
}

// step does c's work of one turn: one read while the request is not whole,
// and one write once it is (in the same turn if the read completed it). It
// reports whether c stays open.
func (s *Server) step(c *conn) bool {
	if !c.answered && c.canRead && !s.read(c) {
		return false
	}
	if c.answered && c.canWrite {
		return s.write(c)
	}
	return true
}

// read reads once, at most what the request may still hold.
func (s *Server) read(c *conn) bool {
	room := s.buf[:MaxRequest-len(c.req)]
	n, err := readNB(c.fd, room)
	switch {
	case n > 0:
		return s.take(c, room[:n])
	case err == nil:
		s.log.Debugf("status: dropped a client: it closed before a whole request")
		return false
	case errors.Is(err, unix.EAGAIN):
		c.canRead = false
		return true
	}
	return false // ECONNRESET and the like: the client is gone
}

// take adds the bytes read to the request; at its '\n' the request is
// answered, and the bytes after it are ignored.
func (s *Server) take(c *conn, b []byte) bool {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		c.req = append(c.req, b...)
		if len(c.req) < MaxRequest {
			return true
		}
		s.log.Debugf("status: dropped a client: no newline in the first %d bytes", MaxRequest)
		return false
	}
	c.req = append(c.req, b[:i]...)
	c.out = s.answer.Answer(string(c.req))
	c.req, c.answered = nil, true
	return true
}

// write writes once; the reply may go out in pieces across turns. It
// reports whether c stays open: not once the reply is out, nor when the
// client left (EPIPE, ECONNRESET: nothing to report).
func (s *Server) write(c *conn) bool {
	if c.off < len(c.out) {
		n, err := sendNB(c.fd, c.out[c.off:])
		c.off += n
		switch {
		case errors.Is(err, unix.EAGAIN):
			c.canWrite = false
		case err != nil:
			return false
		}
	}
	if c.off < len(c.out) {
		return true
	}
	discard(c.fd, s.buf[:])
	return false
}

// closeConn unregisters and closes c.
func (s *Server) closeConn(c *conn) {
	s.loop.Drop(c.tok) // closes the accepted socket, which only we hold
	c.fd, c.out = -1, nil
}

// refuse closes a connection we do not serve, after discarding what it
// sent, so that its peer reads EOF.
func (s *Server) refuse(fd int) {
	discard(fd, s.buf[:])
	_ = unix.Close(fd)
}

// discard reads once and throws away what was read. A unix socket closed
// with unread bytes makes its peer's next read fail with ECONNRESET
// instead of EOF: a client that sent more than its line (or was refused
// after sending it) should still see its reply end cleanly.
func discard(fd int, buf []byte) {
	_, _ = readNB(fd, buf)
}

// readNB reads from a nonblocking fd, EINTR retried.
func readNB(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if !errors.Is(err, unix.EINTR) {
			return max(n, 0), err
		}
	}
}

// sendNB writes to a stream socket without blocking and without SIGPIPE,
// EINTR retried. MSG_NOSIGNAL: a client gone mid-reply is an error to
// handle, not a signal (dinit ignores SIGPIPE, but this code need not know).
func sendNB(fd int, p []byte) (int, error) {
	for {
		n, err := unix.SendmsgN(fd, p, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
		if !errors.Is(err, unix.EINTR) {
			return max(n, 0), err
		}
	}
}
