//go:build !race

package relay

import (
	"strings"
	"testing"

	"github.com/dinit-dev/dinit/linebuf"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// The relay's per-line path must not allocate once the sinks have grown:
// every kind of line, and a whole read turn of a real pipe.

func TestLineDoesNotAllocate(t *testing.T) {
	wrap := Options{Level: LevelWarn, Stdout: StdoutWrap}
	jsonLog := Options{Level: LevelWarn, Stdout: StdoutJSON, Log: LogJSON}
	for _, tt := range []struct {
		name   string
		opt    Options
		stdout bool
		line   string
	}{
		{"json", options(LevelWarn, true), true, `{"level":"info","msg":"request handled","status":200}`},
		{"not json", options(LevelWarn, true), true, `not json`},
		{"plain stdout", options(LevelWarn, false), true, `a line`},
		{"stderr", options(LevelWarn, true), false, `a line`},
		{"wrapped", wrap, true, `a line "quoted"`},
		{"json log: stderr", jsonLog, false, "a line\twith\ttabs"},
		{"json log: not json", jsonLog, true, `not json`},
	} {
		o := testOutputWith(tt.opt)
		s := testSource(o, "web", "run", tt.stdout)
		o.stdout.buf = make([]byte, 0, 1<<20)
		o.stderr.buf = make([]byte, 0, 1<<20)
		line := []byte(tt.line)
		n := testing.AllocsPerRun(1000, func() {
			s.Line(line, linebuf.Whole)
			o.stdout.buf, o.stderr.buf = o.stdout.buf[:0], o.stderr.buf[:0]
		})
		if n != 0 {
			t.Errorf("%s: Line allocates %v times", tt.name, n)
		}
	}
}

func TestReadTurnDoesNotAllocate(t *testing.T) {
	o := pipeOutput(t, LevelWarn, true)
	src, w, err := o.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.Close(w)
	o.stdout.buf = make([]byte, 0, 1<<20)
	o.stderr.buf = make([]byte, 0, 1<<20)
	// Each read ends inside a line: the partial line is stored and
	// completed by the next read (as not JSON: it goes to stderr).
	read := []byte(strings.Repeat(`{"msg":"hi"}`+"\n", 300) + `{"msg":"cut`)
	turn := func() {
		if n, err := writeFd(w, read); n != len(read) {
			t.Fatal(n, err)
		}
		o.markReady(src)
		o.ReadTurn()
		o.stdout.buf, o.stderr.buf = o.stdout.buf[:0], o.stderr.buf[:0]
	}
	turn()
	if n := testing.AllocsPerRun(200, turn); n != 0 {
		t.Errorf("a read turn allocates %v times", n)
	}
}

// On a message socket each line is one send: that is per line too.
func TestMessageFlushDoesNotAllocate(t *testing.T) {
	ours, theirs := socketPair(t, unix.SOCK_DGRAM)
	if err := unix.SetNonblock(theirs, true); err != nil {
		t.Fatal(err)
	}
	s, _ := openSink(ours)
	lines := []byte(strings.Repeat("a line\n", 10))
	buf := make([]byte, 64)
	flush := func() {
		s.buf = append(s.buf, lines...)
		s.flush()
		for i := 0; i < 10; i++ {
			_, _ = unix.Read(theirs, buf) // one datagram (Recvfrom would allocate its address)
		}
	}
	flush()
	if n := testing.AllocsPerRun(200, flush); n != 0 {
		t.Errorf("a flush to a datagram socket allocates %v times", n)
	}
}
