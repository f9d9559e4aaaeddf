package relay

import (
	"errors"
	"strings"
	"testing"

	"github.com/dinit-dev/dinit/linebuf"
)

const testTS = "2026-11-28T13:57:31.420Z"

// Every mode routes each kind of line to one exact place.
func TestLineRoutingByMode(t *testing.T) {
	wrapOpt := Options{Level: LevelWarn, Stdout: StdoutWrap}
	jsonLog := Options{Level: LevelWarn, Stdout: StdoutJSON, Log: LogJSON}
	plainJSONLog := Options{Level: LevelWarn, Stdout: StdoutPlain, Log: LogJSON}
	meta := `"service":"web","stage":"run","logged":"` + testTS + `"`
	tests := []struct {
		name    string
		opt     Options
		stdout  bool
		in      string
		wantOut string
		wantErr string
	}{
		{"wrap: object augmented", wrapOpt, true, `{"a":1}`, `{"a":1,` + meta + "}\n", ""},
		{"wrap: text wrapped", wrapOpt, true, `GET / "200"`, `{"msg":"GET / \"200\"",` + meta + "}\n", ""},
		{"wrap: invalid utf-8 replaced", wrapOpt, true, "a\xffb", "{\"msg\":\"a\\ufffdb\"," + meta + "}\n", ""},
		{"wrap: stderr stays text", wrapOpt, false, `boom`, "", testTS + " web/run: boom\n"},
		{"json log: stderr line", jsonLog, false, "boom \"x\"\t", "", `{"msg":"boom \"x\"\t",` + meta + `,"stream":"stderr"}` + "\n"},
		{"json log: not json stdout", jsonLog, true, `[1]`, "", `{"msg":"[1]",` + meta + `,"stream":"stdout"}` + "\n"},
		{"json log: object to stdout", jsonLog, true, `{}`, `{` + meta + "}\n", ""},
		{"json log, plain stdout", plainJSONLog, true, `{"a":1}`, testTS + ` web/run: {"a":1}` + "\n", ""},
		{"json log, wrap", Options{Level: LevelWarn, Stdout: StdoutWrap, Log: LogJSON}, true, `x`, `{"msg":"x",` + meta + "}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			routeOne(t, testOutputWith(tt.opt), tt.stdout, tt.in, tt.wantOut, tt.wantErr)
		})
	}
}

// Pieces of an overlong stdout line: wrapped on stdout in wrap mode, JSON on
// stderr in the JSON log format; the warning is one JSON message.
func TestPiecesByMode(t *testing.T) {
	meta := `"service":"web","stage":"run","logged":"` + testTS + `"`
	warn := `{"logged":"` + testTS + `","level":"warning","msg":"web/run: line longer than 1048576 bytes, emitting it in pieces","service":"web","stage":"run"}` + "\n"
	o := testOutputWith(Options{Level: LevelWarn, Stdout: StdoutWrap, Log: LogJSON})
	s := testSource(o, "web", "run", true)
	s.Line([]byte("aaaa"), linebuf.FirstPiece)
	s.Line([]byte("bb"), linebuf.Piece)
	if got, want := string(o.stdout.buf), `{"msg":"aaaa",`+meta+"}\n"+`{"msg":"bb",`+meta+"}\n"; got != want {
		t.Errorf("wrap stdout %q, want %q", got, want)
	}
	if got := string(o.stderr.buf); got != warn {
		t.Errorf("wrap stderr %q, want %q", got, warn)
	}
	o = testOutputWith(Options{Level: LevelWarn, Stdout: StdoutJSON, Log: LogJSON})
	s = testSource(o, "web", "run", true)
	s.Line([]byte("aaaa"), linebuf.FirstPiece)
	s.Line([]byte("bb"), linebuf.Piece)
	want := warn + `{"msg":"aaaa",` + meta + `,"stream":"stdout"}` + "\n" + `{"msg":"bb",` + meta + `,"stream":"stdout"}` + "\n"
	if got := string(o.stderr.buf); got != want || len(o.stdout.buf) != 0 {
		t.Errorf("json log: stderr %q, stdout %q; want stderr %q", got, o.stdout.buf, want)
	}
}

// Our messages in the JSON log format: the text as msg, the attribution,
// the event and the fields, in that order; text fields are JSON strings.
func TestMessagesInJSONLogFormat(t *testing.T) {
	o := testOutputWith(Options{Level: LevelDebug, Log: LogJSON})
	o.At(LevelInfo, EventStarted).For("web/run").Int("pid", 12).Logf("%s: running with PID %d", "web/run", 12)
	o.At(LevelWarn, EventShutdown).Str("reason", "got signal 15").Logf("shutting down: %s", "got signal 15")
	o.At(LevelWarn, EventReparented).For("we/ird\n/42").Int("pid", 42).Str("policy", "terminate").
		Logf("%s: terminating reparented child process with PID %d", "we/ird\n/42", 42)
	o.Errorf("reading output: %v", errors.New("a\"b"))
	o.At(LevelDebug, EventExiting).Int("status", 3).Logf("dinit exiting with status %d", 3)
	want := strings.Join([]string{
		`{"logged":"` + testTS + `","level":"info","msg":"web/run: running with PID 12","service":"web","stage":"run","event":"started","pid":12}`,
		`{"logged":"` + testTS + `","level":"warning","msg":"shutting down: got signal 15","event":"shutdown","reason":"got signal 15"}`,
		`{"logged":"` + testTS + `","level":"warning","msg":"we/ird\\n/42: terminating reparented child process with PID 42","service":"we/ird\n","stage":"42","event":"reparented","pid":42,"policy":"terminate"}`,
		`{"logged":"` + testTS + `","level":"error","msg":"reading output: a\"b"}`,
		`{"logged":"` + testTS + `","level":"debug","msg":"dinit exiting with status 3","event":"exiting","status":3}`,
	}, "\n") + "\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

// Fields past the level are not written, and a message below the level
// costs nothing.
func TestEntryBelowLevelIsNotWritten(t *testing.T) {
	o := testOutputWith(Options{Level: LevelWarn, Log: LogJSON})
	o.At(LevelInfo, EventStarting).For("web/run").Logf("%s: starting", "web/run")
	if len(o.stderr.buf) != 0 {
		t.Fatalf("stderr %q", o.stderr.buf)
	}
}

// The counts of a source: lines (an overlong line once), bytes read, lines
// not JSON, lines split.
func TestSourceCounts(t *testing.T) {
	for _, opt := range []Options{{Stdout: StdoutJSON}, {Stdout: StdoutWrap}, {Stdout: StdoutJSON, Log: LogJSON}} {
		o := testOutputWith(opt)
		s := testSource(o, "web", "run", true)
		s.split([]byte("{\"a\":1}\nnot json\n"))
		s.Line([]byte("aaaa"), linebuf.FirstPiece)
		s.Line([]byte("bb"), linebuf.Piece)
		s.Line([]byte("cc"), linebuf.Piece)
		want := Counts{Lines: 3, NotJSON: 1, Split: 1}
		if got := s.Counts(); got != want {
			t.Errorf("%+v: counts %+v, want %+v", opt, got, want)
		}
	}
}
