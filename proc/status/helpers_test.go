package status

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"golang.org/x/sys/unix"
)

// waitLimit bounds every wait of the tests.
const waitLimit = 5 * time.Second

var nameSeq atomic.Int64

// testName is a socket name no other test (nor test process) uses.
func testName() string {
	return "dinit-status-test-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(nameSeq.Add(1), 10)
}

// fakeIno is a PID namespace inode no real namespace has (nsfs inodes are
// about 4026531836), distinct per test and per test process.
func fakeIno() uint64 {
	return 1<<40 + uint64(os.Getpid())<<16 + uint64(nameSeq.Add(1))
}

// answers replies to each request with a fixed reply, or "reply to <req>",
// and records the requests.
type answers struct {
	reply    []byte
	requests []string
}

func (a *answers) Answer(req string) []byte {
	a.requests = append(a.requests, req)
	if a.reply != nil {
		return a.reply
	}
	return []byte("reply to " + req + "\n")
}

// logLines records what the server logged, formatted.
type logLines struct{ lines []string }

func (l *logLines) Warnf(f string, args ...any) {
	l.lines = append(l.lines, "warn "+fmt.Sprintf(f, args...))
}
func (l *logLines) Debugf(f string, args ...any) {
	l.lines = append(l.lines, "debug "+fmt.Sprintf(f, args...))
}

// testServer is a server on a real loop and socket; now is the clock Serve
// sees (fixed: timeouts are tested through Expire).
type testServer struct {
	*Server
	loop *loop.Loop
	name string
	ans  *answers
	log  *logLines
	now  time.Time
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return listenAs(t, testName())
}

func listenAs(t testing.TB, name string) *testServer {
	t.Helper()
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{loop: l, name: name, ans: &answers{}, log: &logLines{}, now: time.Now()}
	if ts.Server, err = Listen(l, name, ts.ans, ts.log); err != nil {
		_ = l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close(); _ = l.Close() })
	return ts
}

// turn is one turn of the loop as the supervisor runs it: poll (without
// blocking when work is left), then serve.
func (ts *testServer) turn(t testing.TB, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	if ts.Pending() {
		deadline = time.Time{}
	}
	if _, err := ts.loop.Poll(deadline); err != nil {
		t.Fatal(err)
	}
	if ts.Pending() {
		ts.Serve(ts.now)
	}
}

// driveUntil runs turns until done holds, or fails the test at waitLimit.
func (ts *testServer) driveUntil(t testing.TB, what string, done func() bool) {
	t.Helper()
	limit := time.Now().Add(waitLimit)
	for !done() {
		if time.Now().After(limit) {
			t.Fatalf("not %s within %v (clients %d)", what, waitLimit, ts.Clients())
		}
		ts.turn(t, 10*time.Millisecond)
	}
}

// serveDuring runs f (a blocking client) in a goroutine while this one
// drives the server, until f returns.
func (ts *testServer) serveDuring(t testing.TB, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	ts.driveUntil(t, "answered", func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	})
}

// answered is a condition of driveUntil: n requests answered and every
// client closed.
func (ts *testServer) answered(n int) func() bool {
	return func() bool { return len(ts.ans.requests) == n && ts.Clients() == 0 }
}

// dropped is a condition of driveUntil: a client was dropped (logged) and
// none is open.
func (ts *testServer) dropped() bool { return len(ts.log.lines) > 0 && ts.Clients() == 0 }

func (ts *testServer) logged(t *testing.T, want ...string) {
	t.Helper()
	if fmt.Sprint(ts.log.lines) != fmt.Sprint(want) {
		t.Fatalf("logged %q, want %q", ts.log.lines, want)
	}
	ts.log.lines = nil
}

// dial connects a blocking client whose reads and writes time out at
// waitLimit.
func dial(t *testing.T, name string) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	tv := unix.NsecToTimeval(waitLimit.Nanoseconds())
	for _, opt := range []int{unix.SO_RCVTIMEO, unix.SO_SNDTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "@" + name}); err != nil {
		t.Fatal(err)
	}
	return fd
}

func send(t *testing.T, fd int, s string) {
	t.Helper()
	if n, err := unix.SendmsgN(fd, []byte(s), nil, nil, unix.MSG_NOSIGNAL); err != nil || n != len(s) {
		t.Fatalf("send: %d of %d bytes: %v", n, len(s), err)
	}
}

// readAll reads to EOF (or an error, returned).
func readAll(fd int) ([]byte, error) {
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case errors.Is(err, unix.EINTR):
		case err != nil:
			return out, err
		case n == 0:
			return out, nil
		default:
			out = append(out, buf[:n]...)
		}
	}
}

func readReply(t *testing.T, fd int) string {
	t.Helper()
	b, err := readAll(fd)
	if err != nil {
		t.Fatalf("read: %v after %q", err, b)
	}
	return string(b)
}

// openFds counts our descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
