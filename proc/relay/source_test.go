package relay

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/linebuf"
	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
)

var tsRe = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// testOutput is an output whose sinks only buffer.
func testOutput(level Level, json bool) *Output {
	return testOutputWith(options(level, json))
}

// options: services' stdout as JSON lines or plain, text log format.
func options(level Level, json bool) Options {
	opt := Options{Level: level, Stdout: StdoutJSON}
	if !json {
		opt.Stdout = StdoutPlain
	}
	return opt
}

func testOutputWith(opt Options) *Output {
	// fd -1: a flush by mistake fails (EBADF) instead of writing to fd 0.
	o := &Output{stdout: &sink{fd: -1, mode: modeBlocking}, stderr: &sink{fd: -1, mode: modeBlocking}, opt: opt}
	o.clock.Set(time.Date(2026, 11, 28, 13, 57, 31, 420e6, time.UTC))
	return o
}

// testSource is a source that is not watched: tests call Line directly.
func testSource(o *Output, name, stage string, stdout bool) *Source {
	return o.newSource(name, stage, stdout)
}

// routeOne routes one whole line of web/run's stdout (or stderr) through o
// and checks what each sink then holds.
func routeOne(t *testing.T, o *Output, stdout bool, in, wantOut, wantErr string) {
	t.Helper()
	s := testSource(o, "web", "run", stdout)
	s.Line([]byte(in), linebuf.Whole)
	if got := string(o.stdout.buf); got != wantOut {
		t.Errorf("stdout %q, want %q", got, wantOut)
	}
	if got := string(o.stderr.buf); got != wantErr {
		t.Errorf("stderr %q, want %q", got, wantErr)
	}
}

func TestLineRouting(t *testing.T) {
	const ts = "2026-11-28T13:57:31.420Z"
	tests := []struct {
		name    string
		level   Level
		json    bool
		stdout  bool
		in      string
		wantOut string
		wantErr string
	}{
		{"json object", LevelWarn, true, true, `{"msg":"hi"}`,
			`{"msg":"hi","service":"web","stage":"run","logged":"` + ts + `"}` + "\n", ""},
		{"empty object", LevelWarn, true, true, `{}`,
			`{"service":"web","stage":"run","logged":"` + ts + `"}` + "\n", ""},
		{"trimmed", LevelWarn, true, true, "  {\"a\":\"}\"}\t ",
			`{"a":"}","service":"web","stage":"run","logged":"` + ts + `"}` + "\n", ""},
		{"not json warns", LevelWarn, true, true, `{not json}`,
			"", ts + " dinit: warning: web/run: not JSON stdout: {not json}\n"},
		{"not json, warnings off", LevelError, true, true, `{not json}`,
			"", ts + " web/run: {not json}\n"},
		{"not json, level none", LevelNone, true, true, `[1]`,
			"", ts + " web/run: [1]\n"},
		{"nojson mode", LevelWarn, false, true, `{"a":1}`,
			ts + ` web/run: {"a":1}` + "\n", ""},
		{"stderr", LevelWarn, true, false, `boom`,
			"", ts + " web/run: boom\n"},
		{"bad utf-8 repaired", LevelWarn, true, true, "{\"a\":\"\xff\"}",
			"{\"a\":\"\uFFFD\",\"service\":\"web\",\"stage\":\"run\",\"logged\":\"" + ts + "\"}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routeOne(t, testOutput(tt.level, tt.json), tt.stdout, tt.in, tt.wantOut, tt.wantErr)
		})
	}
}

func TestPiecesGoToStderrWithOneWarning(t *testing.T) {
	o := testOutput(LevelWarn, true)
	s := testSource(o, "web", "run", true)
	s.Line([]byte("aaaa"), linebuf.FirstPiece)
	s.Line([]byte("bb"), linebuf.Piece)
	want := "TS dinit: warning: web/run: line longer than 1048576 bytes, emitting it in pieces\n" +
		"TS web/run: aaaa\nTS web/run: bb\n"
	if got := tsRe.ReplaceAllString(string(o.stderr.buf), "TS"); got != want {
		t.Fatalf("stderr %q, want %q", got, want)
	}
	if len(o.stdout.buf) != 0 {
		t.Fatalf("stdout %q", o.stdout.buf)
	}
}

// Reading a real pipe through the loop: lines, a final line without a
// newline, EOF closes the source.
func TestSourceReadsPipeToEOF(t *testing.T) {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	o := testOutput(LevelWarn, false)
	o.loop = l
	o.readBuf = make([]byte, readSize)
	src, w, err := o.NewSource("web", "run", true)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, "one\r\n\ntwo\nthree")
	sys.Close(w)
	for deadline := time.Now().Add(5 * time.Second); o.open > 0; o.ReadTurn() {
		if time.Now().After(deadline) {
			t.Fatal("no EOF within 5 s")
		}
		// As the loop does: no wait while a source is queued (the
		// hang-up edge came with the data: no event follows it).
		wait := time.Now().Add(time.Second)
		if o.HasReady() {
			wait = time.Now()
		}
		if _, err := l.Poll(wait); err != nil {
			t.Fatal(err)
		}
	}
	if !src.closed || l.Registered() != 0 {
		t.Fatalf("closed=%v registered=%d", src.closed, l.Registered())
	}
	want := "TS web/run: one\nTS web/run: two\nTS web/run: three\n"
	if got := tsRe.ReplaceAllString(string(o.stdout.buf), "TS"); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Backpressure: with a full sink, ReadTurn reads nothing and keeps the
// source queued for later.
func TestReadTurnStopsWhenSinksAreFull(t *testing.T) {
	l, _ := loop.New()
	defer l.Close()
	o := testOutput(LevelWarn, false)
	o.loop = l
	o.readBuf = make([]byte, readSize)
	src, w, _ := o.NewSource("web", "run", true)
	defer sys.Close(w)
	writeAll(t, w, "x\n")
	o.stdout.buf = make([]byte, sinkHigh)
	o.markReady(src)
	o.ReadTurn()
	if len(o.ready) != 1 || !src.queued || len(o.stdout.buf) != sinkHigh {
		t.Fatalf("ready=%d queued=%v buffered=%d", len(o.ready), src.queued, len(o.stdout.buf))
	}
	o.stdout.buf = o.stdout.buf[:0]
	o.ReadTurn()
	if got := tsRe.ReplaceAllString(string(o.stdout.buf), "TS"); got != "TS web/run: x\n" {
		t.Fatalf("after draining: %q", got)
	}
}

// Fairness: each ready source gets one read per turn.
func TestReadTurnIsRoundRobin(t *testing.T) {
	l, _ := loop.New()
	defer l.Close()
	o := testOutput(LevelWarn, false)
	o.loop = l
	o.readBuf = make([]byte, 8) // tiny reads: every source stays ready
	var ws []int
	for _, name := range []string{"a", "b", "c"} {
		src, w, _ := o.NewSource(name, "run", true)
		ws = append(ws, w)
		writeAll(t, w, strings.Repeat(name, 7)+"\n"+strings.Repeat(name, 7)+"\n")
		o.markReady(src)
	}
	defer sys.Close(ws...)
	o.ReadTurn()
	want := "TS a/run: aaaaaaa\nTS b/run: bbbbbbb\nTS c/run: ccccccc\n"
	if got := tsRe.ReplaceAllString(string(o.stdout.buf), "TS"); got != want {
		t.Fatalf("one turn: %q, want %q", got, want)
	}
}

func writeAll(t *testing.T, fd int, s string) {
	t.Helper()
	for len(s) > 0 {
		n, err := writeFd(fd, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		s = s[n:]
	}
}
