package relay

import (
	"bytes"
	"errors"

	"golang.org/x/sys/unix"
)

// Our stdout may be a datagram or seqpacket socket (a log collector that
// reads one record per message). There, a send is one message: the batch
// that a stream takes in one write(2) would reach the reader as one record
// of many lines, and be refused (EMSGSIZE) once longer than the socket
// takes. So each line goes in its own message, newline included (the
// messages, put end to end, are the stream a pipe would carry). A line
// longer than the socket takes is sent in pieces, halving the size on each
// EMSGSIZE; the size that fits is kept for later lines. Only a socket that
// refuses a single byte is broken.

// isMessageSocket reports whether fd is a socket that keeps message
// boundaries.
func isMessageSocket(fd int) bool {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	return err == nil && (typ == unix.SOCK_DGRAM || typ == unix.SOCK_SEQPACKET)
}

// sendLine sends the first line of p as one message, or its first piece
// when the socket takes less. It returns the bytes sent; 0 and no error
// after EMSGSIZE, to try again with a smaller piece.
func (s *sink) sendLine(p []byte) (int, error) {
	n := bytes.IndexByte(p, '\n') + 1
	if n == 0 {
		n = len(p)
	}
	if s.maxMsg > 0 && n > s.maxMsg {
		n = s.maxMsg
	}
	err := unix.Sendto(s.fd, p[:n], unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, nil)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, unix.EMSGSIZE) && n > 1:
		s.maxMsg, s.shrunk = n/2, true
		return 0, nil
	}
	return 0, err
}
