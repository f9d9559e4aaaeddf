package proc

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// Readiness, s6's convention: a service with a notification-fd file holding
// N gets the write end of a pipe as fd N of its run; the first newline
// written there marks it ready. A service without the file is ready once
// its run started.

// maxNotifyFd bounds the fd a notification-fd may name: the child's fd
// table must hold it (RLIMIT_NOFILE is 1024 by default in containers).
const maxNotifyFd = 1023

// readiness is the state of one service's readiness pipe.
type readiness struct {
	sup     *Supervisor
	svc     *service
	fd      int // our read end; -1 when closed; meaningless while sup is nil
	tok     loop.Token
	pending bool // the read end had an event
	ready   bool
	at      time.Time // when it became ready
}

// readNotificationFd reads a service's notification-fd file: 0 when there
// is none, else a number from 3 to maxNotifyFd (0, 1 and 2 are taken).
func readNotificationFd(path string) (int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	text := strings.TrimSpace(string(data))
	n, err := strconv.Atoi(text)
	if err != nil || n < 3 || n > maxNotifyFd {
		return 0, errors.New(path + ": invalid value " + strconv.Quote(text) + ": want a whole number from 3 to " + strconv.Itoa(maxNotifyFd))
	}
	return n, nil
}

// Event: the pipe has data, or its writers closed it.
func (r *readiness) Event(uint32) {
	r.pending = true
	r.sup.readyPending = true
}

// openReadiness makes the readiness pipe of svc's run: it returns the write
// end, which the run gets as fd svc.notifyFd (-1: no readiness declared).
func (s *Supervisor) openReadiness(svc *service) (int, error) {
	if svc.notifyFd == 0 {
		return -1, nil
	}
	r, w, err := sys.Pipe()
	if err != nil {
		return -1, err
	}
	svc.ready = readiness{sup: s, svc: svc, fd: r}
	if svc.ready.tok, err = s.loop.Add(r, loop.In|loop.Edge, &svc.ready); err != nil {
		sys.Close(r, w)
		svc.ready.fd = -1
		return -1, err
	}
	return w, nil
}

// checkReadiness reads the readiness pipes that had events.
func (s *Supervisor) checkReadiness() {
	s.readyPending = false
	for _, svc := range s.services {
		if r := &svc.ready; r.pending {
			r.pending = false
			s.readReadiness(r)
		}
	}
}

// readReadiness reads what the service wrote: a newline makes it ready; EOF
// before one means it never will be (its run ended, or closed the fd).
func (s *Supervisor) readReadiness(r *readiness) {
	var buf [512]byte
	for r.fd >= 0 {
		n, err := sys.Read(r.fd, buf[:])
		switch {
		case n > 0 && bytes.IndexByte(buf[:n], '\n') >= 0:
			s.markReady(r)
			s.closeReadiness(r)
		case n > 0: // not yet a newline: read on
		case sys.IsAgain(err):
			return
		default: // EOF or an error: no readiness from this pipe
			s.closeReadiness(r)
		}
	}
}

func (s *Supervisor) markReady(r *readiness) {
	r.ready, r.at = true, s.now
	label := r.svc.name + "/run"
	s.out.At(LevelInfo, relay.EventReady).For(label).Logf("%s: ready", label)
}

// closeReadiness stops watching the pipe (at readiness, at EOF, or when run
// ended).
func (s *Supervisor) closeReadiness(r *readiness) {
	if r.sup == nil || r.fd < 0 { // never opened (zero value), or closed
		return
	}
	s.loop.Drop(r.tok) // closes our read end, which only we hold
	r.fd = -1
}

// isReady: the service declared no readiness and its run started, or it
// said it is ready.
func (svc *service) isReady() bool {
	if svc.notifyFd == 0 {
		return len(svc.programs) > 0
	}
	return svc.ready.ready
}
