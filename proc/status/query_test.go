package status

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeNS is a PID namespace of a test's own: its inode, our parent, the
// parents of the other PIDs, and its /proc/net/unix. It records the walk.
type fakeNS struct {
	t       testing.TB
	ino     uint64
	ppid    int
	parents map[int]int
	table   string // "": /proc/net/unix must not be read
	walked  []int
}

func (ns *fakeNS) where() where {
	return where{ino: ns.ino, ppid: ns.ppid, parent: ns.parent, netUnix: ns.netUnix}
}

func (ns *fakeNS) parent(pid int) (int, error) {
	ns.walked = append(ns.walked, pid)
	if ppid, ok := ns.parents[pid]; ok {
		return ppid, nil
	}
	return 0, os.ErrNotExist
}

func (ns *fakeNS) netUnix() ([]byte, error) {
	if ns.table == "" {
		ns.t.Error("/proc/net/unix read, though a name tried before answered")
	}
	return []byte(ns.table), nil
}

// netUnixLine is the line of a listening abstract socket.
func netUnixLine(name string) string {
	return "0000000000000000: 00000002 00000000 00010000 0001 01 4242 @" + name + "\n"
}

// query runs the query of ns while ts serves, and returns its outcome.
func (ts *testServer) query(t *testing.T, ns *fakeNS, req string) (reply string, err error) {
	t.Helper()
	ts.serveDuring(t, func() {
		var b []byte
		b, err = ns.where().query(req, waitLimit)
		reply = string(b)
	})
	return reply, err
}

func TestQueryPID1Name(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno(), ppid: 300, parents: map[int]int{300: 1}}
	ts := listenAs(t, SocketName(ns.ino, 1))
	reply, err := ts.query(t, ns, "status")
	if err != nil || reply != "reply to status\n" {
		t.Fatalf("Query: %q, %v", reply, err)
	}
	if len(ns.walked) != 0 {
		t.Fatalf("walked %v though PID 1 answered", ns.walked)
	}
}

// A subreaper dinit above us: found by the walk, which stops there.
func TestQueryAncestorName(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno(), ppid: 500, parents: map[int]int{500: 400, 400: 300, 300: 1}}
	ts := listenAs(t, SocketName(ns.ino, 400))
	reply, err := ts.query(t, ns, "check")
	if err != nil || reply != "reply to check\n" {
		t.Fatalf("Query: %q, %v", reply, err)
	}
	if !slices.Equal(ns.walked, []int{500}) {
		t.Fatalf("walked %v, want [500]", ns.walked)
	}
}

// A subreaper dinit beside us (docker exec): the one listed in
// /proc/net/unix.
func TestQueryScanFindsOne(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno(), ppid: 500, parents: map[int]int{500: 1}}
	name := SocketName(ns.ino, 321)
	ns.table = netUnixHeader + netUnixLine(name) + netUnixLine("dinit-status-1-2") + netUnixLine(SocketName(ns.ino+1, 5))
	ts := listenAs(t, name)
	reply, err := ts.query(t, ns, "status")
	if err != nil || reply != "reply to status\n" {
		t.Fatalf("Query: %q, %v", reply, err)
	}
	if !slices.Equal(ns.walked, []int{500}) {
		t.Fatalf("walked %v, want [500]", ns.walked)
	}
}

func TestQueryScanFindsSeveral(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno(), ppid: 1}
	a, b := SocketName(ns.ino, 20), SocketName(ns.ino, 10)
	ns.table = netUnixHeader + netUnixLine(a) + netUnixLine(b)
	_, err := ns.where().query("status", waitLimit)
	want := "several dinits answer in this PID namespace (@" + b + ", @" + a + "): ask from a process one of them started"
	if err == nil || err.Error() != want {
		t.Fatalf("Query: %v, want %q", err, want)
	}
}

func TestQueryNoDinit(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno(), ppid: 500, parents: map[int]int{500: 1}, table: netUnixHeader}
	_, err := ns.where().query("status", waitLimit)
	pid1 := SocketName(ns.ino, 1)
	want := "no dinit answers in this PID namespace (tried @" + pid1 + ", @" + pid1 + "-500): connection refused"
	if err == nil || err.Error() != want || !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("Query: %v, want %q", err, want)
	}
}

// bareListener listens on name and never accepts.
func bareListener(t *testing.T, name string) int {
	t.Helper()
	fd, err := listenFd(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	return fd
}

// A socket that takes the connection and never answers: Query gives up at
// its timeout, with a clear error.
func TestQueryTimesOut(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno()}
	name := SocketName(ns.ino, 1)
	bareListener(t, name)
	const timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := ns.where().query("status", timeout)
	took := time.Since(start)
	want := "dinit at @" + name + " did not answer within 200ms: i/o timeout"
	if err == nil || err.Error() != want || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Query: %v, want %q", err, want)
	}
	if took < timeout-time.Millisecond || took > timeout+time.Second {
		t.Fatalf("gave up after %v, want %v", took, timeout)
	}
	t.Logf("gave up after %v", took)
}

// A server that closes the connection unanswered (full, or our uid may not
// ask): said so, not "connection reset by peer".
func TestQueryClosedUnanswered(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno()}
	name := SocketName(ns.ino, 1)
	lfd := bareListener(t, name)
	errc := make(chan error, 1)
	go func() {
		_, err := ns.where().query("status", waitLimit)
		errc <- err
	}()
	fds := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
	if n, err := unix.Poll(fds, int(waitLimit/time.Millisecond)); n != 1 {
		t.Fatalf("no connection: %v", err)
	}
	fd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	_ = unix.Close(fd)
	want := "dinit at @" + name + ": closed the connection without answering (too many clients, or a uid that may not ask)"
	select {
	case err := <-errc:
		if err == nil || err.Error() != want {
			t.Fatalf("Query: %v, want %q", err, want)
		}
	case <-time.After(waitLimit):
		t.Fatal("Query still waits")
	}
}

func TestQueryBadRequest(t *testing.T) {
	ns := &fakeNS{t: t, ino: fakeIno()}
	for _, c := range []struct{ req, want string }{
		{"a\nb", "status: a request is one line: it holds no newline"},
		{strings.Repeat("r", MaxRequest), "status: a request is shorter than 4096 bytes"},
	} {
		if _, err := ns.where().query(c.req, waitLimit); err == nil || err.Error() != c.want {
			t.Errorf("Query(%.10q...): %v, want %q", c.req, err, c.want)
		}
	}
}

// realSubreaper listens as a subreaper dinit of our real PID namespace
// would, or skips when this namespace has a dinit of its own that Query
// would find first.
func realSubreaper(t testing.TB) *testServer {
	t.Helper()
	ino, err := PIDNamespace()
	if err != nil {
		t.Fatal(err)
	}
	table, _ := readNetUnix()
	if names := listening(table, SocketName(ino, 1)+"-"); len(names) > 0 || slices.Contains(listening(table, namePrefix), SocketName(ino, 1)) {
		t.Skipf("a dinit listens in this namespace already: %q", names)
	}
	return listenAs(t, SocketName(ino, os.Getpid()))
}

// Query itself, in our namespace: PID 1 refuses, the walk finds nothing (we
// are no ancestor of ourselves), the scan finds the server.
func TestQueryReal(t *testing.T) {
	ts := realSubreaper(t)
	var reply []byte
	var err error
	ts.serveDuring(t, func() { reply, err = Query("status", waitLimit) })
	if err != nil || string(reply) != "reply to status\n" {
		t.Fatalf("Query: %q, %v", reply, err)
	}
	if !strings.HasSuffix(ts.name, "-"+strconv.Itoa(os.Getpid())) {
		t.Fatal(ts.name)
	}
}
