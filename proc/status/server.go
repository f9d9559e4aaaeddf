package status

import (
	"errors"
	"os"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// The bounds of the server (SPEC 11): whoever connects, memory and the work
// of one turn stay small.
const (
	// MaxClients is how many clients may be open at once; more are accepted
	// and closed at once, so that the backlog drains.
	MaxClients = 16
	// MaxRequest bounds the request line, its '\n' included: a client whose
	// first MaxRequest bytes hold no '\n' is dropped unanswered.
	MaxRequest = 4096
	// ClientTimeout runs from accept to the end of the answer.
	ClientTimeout = time.Second
)

// backlog is the listen queue; past it, connect blocks (or fails
// nonblocking), which bounds what a burst of clients costs us.
const backlog = 32

// Answerer makes the replies; it runs on the loop thread.
type Answerer interface {
	// Answer returns the whole reply to one request line (without its '\n').
	Answer(request string) []byte
}

// Logger takes the server's messages (dinit's own log).
type Logger interface {
	Warnf(format string, args ...any)
	Debugf(format string, args ...any)
}

// Server is the status socket and its clients. It runs on the loop thread
// only: the loop's handlers record readiness, the owner calls Serve and
// Expire in its turn.
type Server struct {
	loop   *loop.Loop
	answer Answerer
	log    Logger
	uid    int // ours: the uid besides root that may ask
	lis    listener
	conns  []*conn
	buf    [MaxRequest]byte // the one read buffer: requests are copied out of it
}

// Listen binds the abstract socket name, listens, and registers the
// listener with l. A name already bound (another dinit, or anyone, holds
// it) gives an error for which errors.Is(err, unix.EADDRINUSE) holds.
func Listen(l *loop.Loop, name string, a Answerer, log Logger) (*Server, error) {
	fd, err := listenFd(name)
	if err != nil {
		return nil, err
	}
	s := &Server{loop: l, answer: a, log: log, uid: unix.Getuid(), lis: listener{fd: fd}}
	if err := s.watch(); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	return s, nil
}

// listenFd makes the nonblocking, close-on-exec listening socket.
func listenFd(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("bind @"+name, err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		_ = unix.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// Pending reports that an fd of the server had an event not yet served:
// the owner calls Serve this turn (and polls without blocking meanwhile).
func (s *Server) Pending() bool {
	if s.lis.ready {
		return true
	}
	for _, c := range s.conns {
		if c.ready() {
			return true
		}
	}
	return false
}

// Serve accepts a bounded batch of clients, then gives each ready client
// one read and one write. now is the turn's clock: it starts the clients'
// timeouts.
func (s *Server) Serve(now time.Time) {
	if s.lis.ready {
		s.acceptBatch(now)
	}
	s.keepIf(s.step)
}

// keepIf keeps the clients for which open reports true and closes the
// others.
func (s *Server) keepIf(open func(*conn) bool) {
	kept := s.conns[:0]
	for _, c := range s.conns {
		if open(c) {
			kept = append(kept, c)
		} else {
			s.closeConn(c)
		}
	}
	clear(s.conns[len(kept):]) // the dropped ones: let them go
	s.conns = kept
}

// Clients is how many clients are open.
func (s *Server) Clients() int { return len(s.conns) }

// Close closes the listener and every client and unregisters them all. The
// kernel frees the abstract name with the last fd: nothing is left on disk.
func (s *Server) Close() {
	for _, c := range s.conns {
		s.closeConn(c)
	}
	s.conns = nil
	s.unwatch()
	if s.lis.fd >= 0 {
		_ = unix.Close(s.lis.fd)
		s.lis.fd = -1
	}
}

// InUse reports that Listen failed because another socket holds the name
// (another dinit, or a process that took it first).
func InUse(err error) bool { return errors.Is(err, unix.EADDRINUSE) }
