package relay

import (
	"bytes"
	"testing"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// pipeSink is a sink writing into a fresh nonblocking pipe whose read end
// the test holds.
func pipeSink(t *testing.T) (*sink, int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(p[0], p[1]) })
	return &sink{fd: p[1], mode: modeWrite}, p[0]
}

func drain(t *testing.T, fd int) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.Read(fd, buf)
		if n <= 0 || err != nil {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func TestSinkFlushWritesAll(t *testing.T) {
	s, r := pipeSink(t)
	s.buf = append(s.buf, "a\nb\n"...)
	s.flush()
	if s.pending() != 0 {
		t.Fatalf("pending %d", s.pending())
	}
	if got := drain(t, r); string(got) != "a\nb\n" {
		t.Fatalf("got %q", got)
	}
}

// A full pipe must not block the flush: the rest stays buffered and goes
// out once the reader has made room.
func TestSinkFullPipeNeverBlocks(t *testing.T) {
	s, r := pipeSink(t)
	line := bytes.Repeat([]byte("x"), 1023)
	line = append(line, '\n')
	for s.pending() < 1<<20 {
		s.buf = append(s.buf, line...)
	}
	total := s.pending()
	s.flush() // the pipe takes 64 KiB; returns on EAGAIN
	if s.pending() == 0 || s.pending() == total {
		t.Fatalf("pending %d of %d after a flush into a 64 KiB pipe", s.pending(), total)
	}
	if len(s.wbuf) > total || cap(s.buf) > 0 {
		t.Fatalf("write buffer %d bytes (of %d), fill buffer cap %d: lines appended during a partial write must go to the other buffer", len(s.wbuf), total, cap(s.buf))
	}
	var got []byte
	for s.pending() > 0 {
		got = append(got, drain(t, r)...)
		s.flush()
	}
	got = append(got, drain(t, r)...)
	if len(got) != total || !bytes.Equal(got[:1024], line) {
		t.Fatalf("read %d bytes, want %d", len(got), total)
	}
}

func TestSinkTwinWaitsForPartialLine(t *testing.T) {
	a, r := pipeSink(t)
	b := &sink{fd: a.fd, mode: modeWrite}
	a.twin, b.twin = b, a
	a.wbuf = []byte("first line\nsecond line\n")
	a.off = len("first line\nsec") // a partial write stopped inside a line
	b.buf = []byte("other\n")
	b.flush()
	if b.pending() != len("other\n") {
		t.Fatal("twin wrote while the other sink was inside a line")
	}
	a.flush()
	b.flush()
	if got := string(drain(t, r)); got != "ond line\nother\n" {
		t.Fatalf("got %q", got)
	}
}

func TestSinkBrokenPipeDiscards(t *testing.T) {
	s, r := pipeSink(t)
	sys.Close(r)
	s.buf = []byte("lost\n")
	s.flush() // EPIPE (SIGPIPE is caught by the runtime in tests too)
	if s.broken == nil || s.pending() != 0 {
		t.Fatalf("broken=%v pending=%d", s.broken, s.pending())
	}
	s.buf = append(s.buf, "more\n"...)
	s.flush()
	if s.pending() != 0 {
		t.Fatal("a broken sink kept output")
	}
}

// Appending while a batch is half written never grows or moves that batch.
func TestSinkAppendsDuringPartialWriteGoToTheOtherBuffer(t *testing.T) {
	s, r := pipeSink(t)
	line := append(bytes.Repeat([]byte("y"), 99), '\n')
	for len(s.buf) < 200<<10 {
		s.buf = append(s.buf, line...)
	}
	s.flush() // partial: the pipe holds 64 KiB
	first := &s.wbuf[0]
	s.buf = append(s.buf, line...)
	s.flush()
	if &s.wbuf[0] != first || len(s.buf) != len(line) {
		t.Fatalf("the batch being written moved or grew; buf %d", len(s.buf))
	}
	var got []byte
	for s.pending() > 0 {
		got = append(got, drain(t, r)...)
		s.flush()
	}
	got = append(got, drain(t, r)...)
	if len(got)%len(line) != 0 || len(got) < 200<<10 {
		t.Fatalf("read %d bytes", len(got))
	}
	for i := 0; i < len(got); i += len(line) {
		if !bytes.Equal(got[i:i+len(line)], line) {
			t.Fatalf("torn line at %d", i)
		}
	}
}

func TestSinkFullAtHighWater(t *testing.T) {
	s := &sink{}
	s.buf = make([]byte, sinkHigh-1)
	if s.full() {
		t.Fatal("full below the mark")
	}
	s.buf = append(s.buf, 'x')
	if !s.full() {
		t.Fatal("not full at the mark")
	}
}

func TestOpenSinkKinds(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer sys.Close(p[0], p[1])
	s, st := openSink(p[1])
	defer func() {
		if s.fd != p[1] {
			sys.Close(s.fd)
		}
	}()
	if s.mode != modeWrite || s.fd == p[1] {
		t.Fatalf("pipe: mode %d fd %d (inherited %d): want our own description", s.mode, s.fd, p[1])
	}
	// The inherited description must stay blocking.
	fl, _ := unix.FcntlInt(uintptr(p[1]), unix.F_GETFL, 0)
	if fl&unix.O_NONBLOCK != 0 {
		t.Fatal("inherited description was made nonblocking")
	}
	fl, _ = unix.FcntlInt(uintptr(s.fd), unix.F_GETFL, 0)
	if fl&unix.O_NONBLOCK == 0 {
		t.Fatal("our description is blocking")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Fatalf("stat mode %o", st.Mode)
	}
	if size, _ := unix.FcntlInt(uintptr(p[1]), unix.F_GETPIPE_SZ, 0); size != outPipeSize && unix.Getuid() == 0 {
		t.Fatalf("output pipe capacity %d, want %d", size, outPipeSize)
	}

	sp, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer sys.Close(sp[0], sp[1])
	if s, _ := openSink(sp[0]); s.mode != modeSend || s.fd != sp[0] {
		t.Fatalf("socket: mode %d fd %d", s.mode, s.fd)
	}

	f, _ := unix.Open(t.TempDir()+"/f", unix.O_CREAT|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
	defer sys.Close(f)
	if s, _ := openSink(f); s.mode != modeBlocking || s.fd != f {
		t.Fatalf("file: mode %d fd %d", s.mode, s.fd)
	}
}

func TestSinkSendOnSocket(t *testing.T) {
	sp, _ := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	defer sys.Close(sp[0], sp[1])
	s := &sink{fd: sp[0], mode: modeSend, buf: []byte("hi\n")}
	s.flush()
	buf := make([]byte, 16)
	n, _ := unix.Read(sp[1], buf)
	if string(buf[:n]) != "hi\n" {
		t.Fatalf("got %q", buf[:n])
	}
}

func writeFd(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
