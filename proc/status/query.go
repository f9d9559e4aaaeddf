package status

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Query asks the dinit of our PID namespace: it sends request and '\n' and
// returns the reply, read to EOF, all within timeout. It is the client, a
// short-lived process (dinit status, dinit check): its calls block, each
// with the time left as its timeout.
//
// The names tried, in order: PID 1's; each ancestor's, up to PID 1 (a
// subreaper dinit that started us); the one subreaper of the namespace
// listed in /proc/net/unix (docker exec starts us beside it, not below).
// errors.Is(err, unix.ECONNREFUSED) holds when none answers,
// errors.Is(err, os.ErrDeadlineExceeded) when one did not in time.
func Query(request string, timeout time.Duration) ([]byte, error) {
	ino, err := PIDNamespace()
	if err != nil {
		return nil, &queryError{msg: "cannot tell our PID namespace", err: err}
	}
	w := where{ino: ino, ppid: os.Getppid(), parent: parentOf, netUnix: readNetUnix}
	return w.query(request, timeout)
}

// where holds the inputs of the search for dinit's socket, as fields so
// that tests can give a namespace of their own.
type where struct {
	ino     uint64                     // our PID namespace
	ppid    int                        // our parent: the ancestor walk starts there
	parent  func(pid int) (int, error) // one step of the walk (parentOf)
	netUnix func() ([]byte, error)     // the unix sockets of our network namespace (readNetUnix)
}

// maxAncestors bounds the walk: a /proc that changes under us could loop.
const maxAncestors = 64

func (w where) query(request string, timeout time.Duration) ([]byte, error) {
	if err := checkRequest(request); err != nil {
		return nil, err
	}
	a := &asker{request: request, timeout: timeout, deadline: time.Now().Add(timeout)}
	for name := range w.direct {
		if reply, refused, err := a.ask(name); !refused {
			return reply, err
		}
	}
	return w.scan(a)
}

// direct yields the names to try first, PID 1's and then the ancestors',
// reading /proc only when the one before was refused.
func (w where) direct(yield func(string) bool) {
	if !yield(SocketName(w.ino, 1)) {
		return
	}
	pid := w.ppid
	for i := 0; pid > 1 && i < maxAncestors; i++ {
		if !yield(SocketName(w.ino, pid)) {
			return
		}
		next, err := w.parent(pid)
		if err != nil {
			return // the process ended while we looked: its dinit is not ours
		}
		pid = next
	}
}

// scan asks the subreaper dinit of the namespace that is not our ancestor,
// if there is exactly one: with several, which one is meant is not ours to
// guess.
func (w where) scan(a *asker) ([]byte, error) {
	table, _ := w.netUnix() // unreadable: no candidate, and the error says what was tried
	names := listening(table, SocketName(w.ino, 1)+"-")
	if len(names) > 1 {
		return nil, &queryError{msg: "several dinits answer in this PID namespace (" + at(names) +
			"): ask from a process one of them started"}
	}
	for _, name := range names {
		if reply, refused, err := a.ask(name); !refused {
			return reply, err
		}
	}
	return nil, &queryError{msg: "no dinit answers in this PID namespace (tried " + at(a.tried) + ")", err: unix.ECONNREFUSED}
}

func checkRequest(request string) error {
	if strings.IndexByte(request, '\n') >= 0 {
		return errors.New("status: a request is one line: it holds no newline")
	}
	if len(request) >= MaxRequest {
		return errors.New("status: a request is shorter than " + strconv.Itoa(MaxRequest) + " bytes")
	}
	return nil
}

// at lists names as the abstract names they are: "@a, @b".
func at(names []string) string {
	return "@" + strings.Join(names, ", @")
}

// queryError is a failed Query: what happened, in words, and its cause for
// errors.Is (ECONNREFUSED, os.ErrDeadlineExceeded, an errno).
type queryError struct {
	msg string
	err error
}

func (e *queryError) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

func (e *queryError) Unwrap() error { return e.err }
