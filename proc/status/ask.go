package status

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// maxReply bounds what the client reads: whatever holds the name, our
// memory stays bounded.
const maxReply = 64 << 20

// errNoAnswer: the connection ended before the first byte of a reply.
var errNoAnswer = errors.New("closed the connection without answering (too many clients, or a uid that may not ask)")

var errReplyTooLong = errors.New("reply longer than 64 MiB")

// asker is one Query: its request, its deadline, and the names where nobody
// listened.
type asker struct {
	request  string
	timeout  time.Duration
	deadline time.Time
	tried    []string
}

// ask asks the dinit at name. refused reports that nobody listens there, so
// the next name may be tried; any other failure ends the search.
func (a *asker) ask(name string) (reply []byte, refused bool, err error) {
	reply, err = a.exchange(name)
	switch {
	case err == nil:
		return reply, false, nil
	case errors.Is(err, unix.ECONNREFUSED):
		a.tried = append(a.tried, name)
		return nil, true, nil
	}
	return nil, false, a.explain(name, err)
}

func (a *asker) explain(name string, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &queryError{msg: "dinit at @" + name + " did not answer within " + a.timeout.String(), err: err}
	}
	return &queryError{msg: "dinit at @" + name, err: err}
}

// exchange connects, sends the request line and reads the reply to EOF.
func (a *asker) exchange(name string) ([]byte, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	sa := &unix.SockaddrUnix{Name: "@" + name}
	if _, err := a.timed(fd, unix.SO_SNDTIMEO, "connect", func() (int, error) { return 0, unix.Connect(fd, sa) }); err != nil {
		return nil, err
	}
	if err := a.send(fd, []byte(a.request+"\n")); err != nil {
		if errors.Is(err, unix.EPIPE) || errors.Is(err, unix.ECONNRESET) {
			return nil, errNoAnswer // closed at accept, before our request came
		}
		return nil, err
	}
	return a.receive(fd)
}

func (a *asker) send(fd int, p []byte) error {
	for len(p) > 0 {
		n, err := a.timed(fd, unix.SO_SNDTIMEO, "send", func() (int, error) {
			return unix.SendmsgN(fd, p, nil, nil, unix.MSG_NOSIGNAL)
		})
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// receive reads to EOF. A reset before the first byte is a refusal too: a
// server that closes with our request unread resets the connection.
func (a *asker) receive(fd int) ([]byte, error) {
	var reply []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := a.timed(fd, unix.SO_RCVTIMEO, "read", func() (int, error) { return unix.Read(fd, buf) })
		switch {
		case err != nil && len(reply) == 0 && errors.Is(err, unix.ECONNRESET):
			return nil, errNoAnswer
		case err != nil:
			return nil, err
		case n == 0 && len(reply) == 0:
			return nil, errNoAnswer
		case n == 0:
			return reply, nil
		}
		if reply = append(reply, buf[:n]...); len(reply) > maxReply {
			return nil, errReplyTooLong
		}
	}
}

// timed makes one blocking socket call with the socket's timeout opt set to
// the time left. A socket call with a timeout is not restarted after a
// signal (signal(7)): EINTR is retried here, with the time then left.
// EAGAIN is the timeout, reported as os.ErrDeadlineExceeded.
func (a *asker) timed(fd, opt int, call string, f func() (int, error)) (int, error) {
	for {
		if err := a.setTimeout(fd, opt); err != nil {
			return 0, err
		}
		n, err := f()
		switch {
		case err == nil:
			return max(n, 0), nil
		case errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			return 0, os.ErrDeadlineExceeded
		default:
			return 0, os.NewSyscallError(call, err)
		}
	}
}

// setTimeout sets opt (SO_SNDTIMEO or SO_RCVTIMEO) to the time left. A zero
// timeout means none: under a microsecond left, the deadline has passed.
func (a *asker) setTimeout(fd, opt int) error {
	left := time.Until(a.deadline)
	if left < time.Microsecond {
		return os.ErrDeadlineExceeded
	}
	tv := unix.NsecToTimeval(left.Nanoseconds())
	return os.NewSyscallError("setsockopt", unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv))
}
