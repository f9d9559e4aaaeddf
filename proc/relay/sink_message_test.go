package relay

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

func socketPair(t *testing.T, typ int) (ours, theirs int) {
	t.Helper()
	sp, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.Close(sp[0], sp[1]) })
	return sp[0], sp[1]
}

// relayMessages flushes s until all is sent, receiving every message on fd
// as it goes (the receiver's queue is bounded), and returns them.
func relayMessages(t *testing.T, s *sink, fd int) []string {
	t.Helper()
	var msgs []string
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes still pending after 10 s", s.pending())
		}
		s.flush()
		if s.broken != nil {
			t.Fatalf("stream dropped: %v", s.broken)
		}
		n, _, err := unix.Recvfrom(fd, buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN && s.pending() == 0 {
			return msgs
		}
		if n > 0 {
			msgs = append(msgs, string(buf[:n]))
		}
	}
}

// On a datagram or seqpacket socket, every line is one message: a batch
// of lines sent at once would be one message holding them all, and refused
// (EMSGSIZE) once larger than the socket takes.
func TestSinkSendsOneLinePerMessage(t *testing.T) {
	for _, typ := range []int{unix.SOCK_SEQPACKET, unix.SOCK_DGRAM} {
		ours, theirs := socketPair(t, typ)
		s, _ := openSink(ours)
		var want []string
		for i := 0; i < 20000; i++ {
			line := fmt.Sprintf("line %d\n", i)
			want = append(want, line)
			s.buf = append(s.buf, line...)
		}
		got := relayMessages(t, s, theirs)
		if strings.Join(got, "") != strings.Join(want, "") || len(got) != len(want) {
			t.Fatalf("type %d: %d messages for %d lines; first %q", typ, len(got), len(want), got[0][:min(40, len(got[0]))])
		}
	}
}

// A line longer than the socket takes is sent in pieces, in order, and the
// stream goes on; the sink says so once, for a warning.
func TestSinkSplitsALineTooLongForOneMessage(t *testing.T) {
	for _, typ := range []int{unix.SOCK_SEQPACKET, unix.SOCK_DGRAM} {
		ours, theirs := socketPair(t, typ)
		if err := unix.SetsockoptInt(ours, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
			t.Fatal(err)
		}
		s, _ := openSink(ours)
		long := strings.Repeat("x", 100_000) + "\n"
		s.buf = append(s.buf, "before\n"+long+"after\n"...)
		got := relayMessages(t, s, theirs)
		if len(got) < 4 || got[0] != "before\n" || got[len(got)-1] != "after\n" ||
			strings.Join(got[1:len(got)-1], "") != long {
			t.Fatalf("type %d: %d messages, want before, the long line in pieces, after", typ, len(got))
		}
		for _, m := range got[1 : len(got)-1] {
			if len(m) > s.maxMsg {
				t.Fatalf("type %d: a piece of %d bytes, the socket takes %d", typ, len(m), s.maxMsg)
			}
		}
		if !s.shrunk || s.maxMsg <= 0 {
			t.Fatalf("type %d: shrunk %v, max %d", typ, s.shrunk, s.maxMsg)
		}
	}
}

// A stream socket keeps the whole batch per send, as before.
func TestSinkStreamSocketSendsBatches(t *testing.T) {
	ours, theirs := socketPair(t, unix.SOCK_STREAM)
	s, _ := openSink(ours)
	if s.mode != modeSend {
		t.Fatalf("mode %d", s.mode)
	}
	s.buf = append(s.buf, "a\nb\nc\n"...)
	s.flush()
	buf := make([]byte, 64)
	n, _, _ := unix.Recvfrom(theirs, buf, unix.MSG_DONTWAIT)
	if !bytes.Equal(buf[:n], []byte("a\nb\nc\n")) {
		t.Fatalf("one read got %q", buf[:n])
	}
}

func TestOutputWarnsWhenLinesGoInPieces(t *testing.T) {
	ours, theirs := socketPair(t, unix.SOCK_DGRAM)
	if err := unix.SetsockoptInt(ours, unix.SOL_SOCKET, unix.SO_SNDBUF, 4096); err != nil {
		t.Fatal(err)
	}
	o := testOutput(LevelWarn, false)
	o.stdout, _ = openSink(ours)
	o.stdout.buf = append(o.stdout.buf, strings.Repeat("x", 100_000)+"\n"...)
	o.Flush() // stderr (fd -1) has nothing to write yet: it keeps the warning
	relayMessages(t, o.stdout, theirs)
	want := "2026-11-28T13:57:31.420Z dinit: warning: writing to stdout: a line is too long for one message of the socket; sending lines longer than " +
		fmt.Sprint(o.stdout.maxMsg) + " bytes in pieces\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
}
