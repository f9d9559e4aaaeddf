package status

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

func TestServeAnswersOneRequest(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	send(t, c, "status\n")
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "reply to status\n" {
		t.Fatalf("reply %q", got)
	}
	if ts.Pending() {
		t.Fatal("pending with nothing left to do")
	}
	ts.logged(t)
}

// A request may arrive in pieces; the bytes after its '\n' are ignored,
// a second request among them.
func TestServeRequestInPiecesAndTrailingBytesIgnored(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	send(t, c, "sta")
	ts.driveUntil(t, "read", func() bool { return ts.Clients() == 1 && !ts.Pending() })
	send(t, c, "tus\ncheck\n")
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "reply to status\n" {
		t.Fatalf("reply %q", got)
	}
	if strings.Join(ts.ans.requests, "|") != "status" {
		t.Fatalf("requests %q", ts.ans.requests)
	}
}

func TestServeTwoRequestsOnlyFirstAnswered(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	send(t, c, "first\nsecond\n")
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "reply to first\n" {
		t.Fatalf("reply %q", got)
	}
	if strings.Join(ts.ans.requests, "|") != "first" {
		t.Fatalf("requests %q", ts.ans.requests)
	}
}

// The longest request: MaxRequest bytes, its '\n' included.
func TestServeLongestRequest(t *testing.T) {
	ts := newTestServer(t)
	ts.ans.reply = []byte("ok\n")
	c := dial(t, ts.name)
	req := strings.Repeat("r", MaxRequest-1)
	send(t, c, req+"\n")
	ts.driveUntil(t, "answered", ts.answered(1))
	if got := readReply(t, c); got != "ok\n" {
		t.Fatalf("reply %q", got)
	}
	if len(ts.ans.requests) != 1 || ts.ans.requests[0] != req {
		t.Fatalf("%d requests, the first %d bytes long", len(ts.ans.requests), len(ts.ans.requests[0]))
	}
}

// MaxRequest bytes without '\n': dropped unanswered.
func TestServeDropsRequestWithoutNewline(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	send(t, c, strings.Repeat("r", MaxRequest))
	ts.driveUntil(t, "dropped", ts.dropped)
	if got, err := readAll(c); len(got) != 0 || (err != nil && !errors.Is(err, unix.ECONNRESET)) {
		t.Fatalf("read %q, %v; want nothing", got, err)
	}
	if len(ts.ans.requests) != 0 {
		t.Fatalf("answered %q", ts.ans.requests)
	}
	ts.logged(t, "debug status: dropped a client: no newline in the first 4096 bytes")
}

// A client sending 1 MiB without a newline is dropped after the first
// MaxRequest bytes; its writes then fail.
func TestServeDropsMegabyteOfGarbage(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	wrote := make(chan error, 1)
	go func() {
		// A blocking send returns short, without error, when the peer
		// leaves midway: send until an error.
		garbage := bytes.Repeat([]byte("x"), 1<<20)
		for len(garbage) > 0 {
			n, err := unix.SendmsgN(c, garbage, nil, nil, unix.MSG_NOSIGNAL)
			if err != nil {
				wrote <- err
				return
			}
			garbage = garbage[n:]
		}
		wrote <- nil
	}()
	ts.driveUntil(t, "dropped", ts.dropped)
	select {
	case err := <-wrote:
		if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
			t.Fatalf("the client's write of 1 MiB: %v, want EPIPE or ECONNRESET", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("the client's write still blocks")
	}
	if got, _ := readAll(c); len(got) != 0 {
		t.Fatalf("read %q, want nothing", got)
	}
	ts.logged(t, "debug status: dropped a client: no newline in the first 4096 bytes")
}

func TestServeDropsClientClosingMidRequest(t *testing.T) {
	ts := newTestServer(t)
	c := dial(t, ts.name)
	send(t, c, "stat")
	if err := unix.Shutdown(c, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	ts.driveUntil(t, "dropped", ts.dropped)
	if got := readReply(t, c); got != "" {
		t.Fatalf("reply %q", got)
	}
	if len(ts.ans.requests) != 0 {
		t.Fatalf("answered %q", ts.ans.requests)
	}
	ts.logged(t, "debug status: dropped a client: it closed before a whole request")
}

// The 17th client is accepted and closed at once: it reads EOF; the 16
// others are answered.
func TestServeSeventeenClients(t *testing.T) {
	ts := newTestServer(t)
	var fds []int
	for i := 0; i <= MaxClients; i++ {
		fd := dial(t, ts.name)
		send(t, fd, "status\n")
		fds = append(fds, fd)
	}
	// The first Serve accepts all 17 before answering any: 16 open at most.
	ts.driveUntil(t, "answered", ts.answered(MaxClients))
	if got := readReply(t, fds[MaxClients]); got != "" {
		t.Fatalf("the 17th client read %q, want EOF", got)
	}
	for i, fd := range fds[:MaxClients] {
		if got := readReply(t, fd); got != "reply to status\n" {
			t.Fatalf("client %d: reply %q", i, got)
		}
	}
	if len(ts.ans.requests) != MaxClients {
		t.Fatalf("%d answered", len(ts.ans.requests))
	}
	ts.logged(t, "debug status: refused a client: 16 clients already")
}

// A silent client is dropped once ClientTimeout has passed since accept.
func TestExpireDropsSilentClient(t *testing.T) {
	ts := newTestServer(t)
	if _, ok := ts.Deadline(); ok {
		t.Fatal("a deadline with no client")
	}
	c := dial(t, ts.name)
	ts.driveUntil(t, "accepted", func() bool { return ts.Clients() == 1 && !ts.Pending() })
	if at, ok := ts.Deadline(); !ok || !at.Equal(ts.now.Add(ClientTimeout)) {
		t.Fatalf("deadline %v %v, want accept + 1s", at, ok)
	}
	ts.Expire(ts.now.Add(ClientTimeout - time.Millisecond))
	if ts.Clients() != 1 {
		t.Fatal("dropped before its time")
	}
	ts.Expire(ts.now.Add(2 * time.Second))
	if ts.Clients() != 0 {
		t.Fatal("not dropped at 2s")
	}
	if got := readReply(t, c); got != "" {
		t.Fatalf("read %q, want EOF", got)
	}
	if _, ok := ts.Deadline(); ok {
		t.Fatal("a deadline with no client left")
	}
	ts.logged(t, "debug status: dropped a client: not done within 1s")
}

// A reply of 1 MB goes out in pieces, one write per turn, to a client
// that reads 16 KiB per turn; no Serve blocks.
func TestServeLargeReplyToSlowReader(t *testing.T) {
	ts := newTestServer(t)
	ts.ans.reply = bytes.Repeat([]byte("0123456789abcdef"), 1_000_000/16)
	c := dial(t, ts.name)
	if err := unix.SetNonblock(c, true); err != nil {
		t.Fatal(err)
	}
	send(t, c, "big\n")
	var got []byte
	turns, eof := 0, false
	buf := make([]byte, 16<<10)
	ts.driveUntil(t, "read to EOF", func() bool {
		turns++
		n, err := unix.Read(c, buf)
		switch {
		case n > 0:
			got = append(got, buf[:n]...)
		case err == nil:
			eof = true
		case !errors.Is(err, unix.EAGAIN):
			t.Fatalf("read: %v", err)
		}
		return eof
	})
	if !bytes.Equal(got, ts.ans.reply) {
		t.Fatalf("read %d bytes, want the %d of the reply", len(got), len(ts.ans.reply))
	}
	if turns < len(got)/len(buf) {
		t.Fatalf("%d turns for %d reads", turns, len(got)/len(buf))
	}
	ts.logged(t)
}

// A client that leaves mid-reply is dropped silently.
func TestServeClientResetsMidReply(t *testing.T) {
	ts := newTestServer(t)
	ts.ans.reply = bytes.Repeat([]byte("z"), 1<<20)
	c := dial(t, ts.name)
	send(t, c, "big\n")
	ts.driveUntil(t, "writing", func() bool { return len(ts.ans.requests) == 1 && !ts.Pending() })
	if ts.Clients() != 1 {
		t.Fatal("the reply went out whole: no piece left to fail")
	}
	if err := unix.Close(c); err != nil {
		t.Fatal(err)
	}
	ts.driveUntil(t, "dropped", func() bool { return ts.Clients() == 0 })
	ts.logged(t)
}

func TestListenNameInUse(t *testing.T) {
	ts := newTestServer(t)
	before, regs := openFds(t), ts.loop.Registered()
	_, err := Listen(ts.loop, ts.name, ts.ans, ts.log)
	if !errors.Is(err, unix.EADDRINUSE) {
		t.Fatalf("second Listen: %v, want EADDRINUSE", err)
	}
	if want := "bind @" + ts.name + ": address already in use"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if openFds(t) != before || ts.loop.Registered() != regs {
		t.Fatal("the failed Listen left an fd or a registration")
	}
}

// Close closes every fd, clients open or half served included, leaves
// nothing in the loop and frees the name.
func TestCloseLeavesNothing(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	openFds(t) // the first ReadDir starts the runtime's poller, with fds of its own
	fds, regs := openFds(t), l.Registered()
	ans, log := &answers{reply: bytes.Repeat([]byte("y"), 1<<20)}, &logLines{}
	name := testName()
	s, err := Listen(l, name, ans, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, loop: l, name: name, ans: ans, log: log, now: time.Now()}
	silent, busy := clientFd(t, name), clientFd(t, name)
	send(t, busy, "big\n")
	ts.driveUntil(t, "both open, one half answered", func() bool {
		return ts.Clients() == 2 && len(ans.requests) == 1 && !ts.Pending()
	})
	s.Close()
	s.Close() // twice: harmless
	_ = unix.Close(silent)
	_ = unix.Close(busy)
	if n := openFds(t); n != fds {
		t.Errorf("%d fds open after Close, %d before Listen", n, fds)
	}
	if n := l.Registered(); n != regs {
		t.Errorf("%d registrations after Close, %d before Listen", n, regs)
	}
	again, err := Listen(l, name, ans, log)
	if err != nil {
		t.Fatalf("Listen after Close: %v", err)
	}
	again.Close()
}

// clientFd is dial without the cleanup: the caller closes it.
func clientFd(t *testing.T, name string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		t.Fatal(err)
	}
	return fd
}
