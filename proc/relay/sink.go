package relay

import (
	"errors"
	"strconv"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// statT names the stat buffer for files that do not import unix.
type statT = unix.Stat_t

// writeMode is how a sink writes without ever blocking the loop.
type writeMode uint8

const (
	modeWrite    writeMode = iota // nonblocking fd: write(2), EAGAIN waits for EPOLLOUT
	modeSend                      // stream socket: send(2) with MSG_DONTWAIT
	modeMessage                   // datagram or seqpacket socket: one line per message
	modeBlocking                  // regular file or a device epoll cannot watch: writes complete
)

// sinkHigh is the buffered amount above which we stop reading services
// (backpressure): they then block in write(2), as without us.
const sinkHigh = 256 << 10

// sink is one of our outputs (stdout or stderr). Lines are appended to buf
// while wbuf, the previous batch, is being written: appending never lands in
// a buffer that is half written, so neither buffer grows past one batch and
// nothing is ever moved.
type sink struct {
	fd       int
	mode     writeMode
	buf      []byte // lines being added
	wbuf     []byte // lines being written
	off      int    // bytes of wbuf already written
	twin     *sink  // the other sink when both reach the same file
	broken   error  // a write failed for good: output is discarded
	writable bool   // EPOLLOUT seen since the last flush attempt
	maxMsg   int    // modeMessage: the longest message known to fit; 0 until one did not
	shrunk   bool   // maxMsg went down since the output last warned of it
}

// Event records that the fd became writable.
func (s *sink) Event(uint32) { s.writable = true }

func (s *sink) pending() int { return len(s.wbuf) - s.off + len(s.buf) }

func (s *sink) full() bool { return s.pending() >= sinkHigh }

// midLine reports that a partial write stopped inside a line. The twin must
// then wait, or a line of the other stream would land inside this one.
func (s *sink) midLine() bool {
	return s.off > 0 && s.off < len(s.wbuf) && s.wbuf[s.off-1] != '\n'
}

// flush writes as much as the fd takes now. It never blocks (but for
// modeBlocking sinks, whose writes complete at once).
func (s *sink) flush() {
	s.writable = false
	if s.twin != nil && s.twin.midLine() {
		return
	}
	for s.broken == nil {
		if s.off == len(s.wbuf) {
			if len(s.buf) == 0 {
				return
			}
			s.swap()
		}
		n, err := s.write(s.wbuf[s.off:])
		if n > 0 {
			s.off += n
		}
		switch {
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return
		default:
			s.broken = err
		}
	}
	// Broken: discard, now and from now on.
	s.buf, s.wbuf, s.off = s.buf[:0], s.wbuf[:0], 0
}

// swap makes the filled buffer the one being written, and the written one
// (emptied) the one being filled.
func (s *sink) swap() {
	written := s.wbuf[:0]
	// A burst may have grown a buffer; do not keep a large one idle.
	if cap(written) > 4*sinkHigh {
		written = nil
	}
	s.wbuf, s.buf, s.off = s.buf, written, 0
}

func (s *sink) write(p []byte) (int, error) {
	switch s.mode {
	case modeSend:
		return unix.SendmsgN(s.fd, p, nil, nil, unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
	case modeMessage:
		return s.sendLine(p)
	}
	write := sys.RawWrite
	if s.mode == modeBlocking {
		write = unix.Write // a regular file or a device: it may wait
	}
	n, err := write(s.fd, p)
	if n < 0 {
		n = 0
	}
	return n, err
}

// openSink prepares fd (1 or 2) for nonblocking writes. Setting O_NONBLOCK on
// the inherited fd would change the open file description we share with
// whoever gave it to us (a shell's terminal, for one), so for pipes, FIFOs
// and terminals we open our own description of the same object through
// /proc/self/fd. Sockets get MSG_DONTWAIT per call, and one message per
// line when they keep message boundaries (sink_message.go). When /proc is missing we
// fall back to setting O_NONBLOCK on the shared description.
func openSink(fd int) (*sink, unix.Stat_t) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &sink{fd: fd, mode: modeBlocking, broken: err}, st
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFSOCK:
		if isMessageSocket(fd) {
			return &sink{fd: fd, mode: modeMessage}, st
		}
		return &sink{fd: fd, mode: modeSend}, st
	case unix.S_IFIFO, unix.S_IFCHR:
		path := "/proc/self/fd/" + strconv.Itoa(fd)
		nfd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err == nil {
			growPipe(nfd, st)
			return &sink{fd: nfd, mode: modeWrite}, st
		}
		if unix.SetNonblock(fd, true) == nil {
			return &sink{fd: fd, mode: modeWrite}, st
		}
	}
	return &sink{fd: fd, mode: modeBlocking}, st
}

// outPipeSize is the capacity we ask for when our output is a pipe: with
// the default 64 KiB, a fast relay spends its time waking its reader up. A
// bigger pipe costs kernel memory only while it is full, and it lets the
// reader (the container runtime) fall behind a little longer before we have
// to apply backpressure. Best effort: an unprivileged dinit past its pipe
// quota keeps the pipe as it is.
const outPipeSize = 1 << 20

func growPipe(fd int, st unix.Stat_t) {
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return
	}
	if size, err := unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0); err == nil && size < outPipeSize {
		_, _ = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, outPipeSize)
	}
}

// sameFile reports whether two stats name one file (then the two sinks are
// twins and must not interleave partial lines).
func sameFile(a, b *unix.Stat_t) bool {
	return a.Dev == b.Dev && a.Ino == b.Ino && a.Mode != 0
}
