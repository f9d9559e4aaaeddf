package relay

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// With stderr never read, our messages stop growing its buffer: debug and
// info go first, then warnings and errors; service lines are never dropped
// (they come under backpressure instead). Once the reader has caught up, a
// warning says how many messages were lost.
func TestMessagesAreDroppedWhileStderrIsNotRead(t *testing.T) {
	o := testOutput(LevelDebug, false) // a sink that is never flushed
	arg := strings.Repeat("a", 100_000)
	peak, infos, warns := 0, 0, 0
	for i := 0; i < 4000; i++ {
		o.Infof("orphan: %s", arg)
		o.Debugf("orphan: %s", arg)
		o.Warnf("warning: %s", arg)
		o.Errorf("error: %s", arg)
		peak = max(peak, o.stderr.pending())
	}
	infos = bytes.Count(o.stderr.buf, []byte(" dinit: info: "))
	warns = bytes.Count(o.stderr.buf, []byte(" dinit: warning: ")) + bytes.Count(o.stderr.buf, []byte(" dinit: error: "))
	if bound := msgDropAll + len(appendf(nil, "warning: %s", arg)) + 64; peak > bound { // one message past the cap
		t.Fatalf("stderr holds %d bytes, bound %d", peak, bound)
	}
	if infos == 0 || warns <= infos || infos+warns >= 4*4000 {
		t.Fatalf("kept %d info and %d warnings/errors of 4000 each: info must go first", infos, warns)
	}
	kept := infos + warns + bytes.Count(o.stderr.buf, []byte(" dinit: debug: "))
	// A service's line is never dropped, however full stderr is.
	s := testSource(o, "web", "run", false)
	s.Line([]byte("still here"), 0)
	o.stderr.buf = o.stderr.buf[:0] // the reader has taken everything
	o.Warnf("after")
	const ts = "2026-11-28T13:57:31.420Z"
	want := ts + " dinit: warning: dropped " + strconv.Itoa(4*4000-kept) + " messages while stderr was not read\n" +
		ts + " dinit: warning: after\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestServiceLinesAreNeverDropped(t *testing.T) {
	o := testOutput(LevelWarn, true)
	o.stderr.buf = make([]byte, msgDropAll) // full: our messages are dropped
	s := testSource(o, "web", "run", true)
	s.Line([]byte("not json"), 0)
	t2 := testSource(o, "web", "run", false)
	t2.Line([]byte("stderr line"), 0)
	o.Warnf("dropped")
	const ts = "2026-11-28T13:57:31.420Z"
	want := ts + " dinit: warning: web/run: not JSON stdout: not json\n" + ts + " web/run: stderr line\n"
	if got := string(o.stderr.buf[msgDropAll:]); got != want || o.dropped != 1 {
		t.Fatalf("got %q (dropped %d), want %q", got, o.dropped, want)
	}
}

// The count of dropped messages comes out at the next flush once stderr
// has room, without waiting for another message of ours.
func TestDroppedCountIsLoggedWhenStderrDrains(t *testing.T) {
	o := testOutput(LevelWarn, false)
	var r int
	o.stderr, r = pipeSink(t)
	for i := 0; o.dropped == 0; i++ {
		if i == 10_000 {
			t.Fatalf("nothing dropped with %d bytes pending", o.stderr.pending())
		}
		o.Warnf("%s", strings.Repeat("w", 1000))
		o.Flush() // the pipe fills up and is never read
	}
	var got []byte
	for i := 0; o.stderr.pending() > 0 || o.dropped > 0; i++ {
		if i == 10_000 {
			t.Fatalf("%d bytes still pending, %d dropped", o.stderr.pending(), o.dropped)
		}
		got = append(got, drain(t, r)...)
		o.Flush()
	}
	got = append(got, drain(t, r)...)
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	last := tsRe.ReplaceAllString(lines[len(lines)-1], "TS")
	if last != "TS dinit: warning: dropped 1 message while stderr was not read" {
		t.Fatalf("last line %q", last)
	}
}

// With only errors logged, the count of dropped ones is an error too.
func TestDroppedCountAtLevelError(t *testing.T) {
	o := testOutput(LevelError, false)
	o.stderr.buf = make([]byte, msgDropAll)
	o.Errorf("lost")
	o.Warnf("not logged at this level")
	o.stderr.buf = o.stderr.buf[:0]
	o.Flush() // stderr (fd -1) holds nothing: nothing is written
	if got := string(o.stderr.buf); got != "2026-11-28T13:57:31.420Z dinit: error: dropped 1 message while stderr was not read\n" {
		t.Fatalf("got %q", got)
	}
}

func TestErrorLineInEachLogFormat(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 5e6, time.UTC)
	msg := `invalid DINIT_LOG_LEVEL value "lo\"ud"`
	if got := string(ErrorLine(now, msg, LogText)); got != "2026-11-29T10:00:00.005Z dinit: error: "+msg+"\n" {
		t.Errorf("text: %q", got)
	}
	want := `{"logged":"2026-11-29T10:00:00.005Z","level":"error","msg":"invalid DINIT_LOG_LEVEL value \"lo\\\"ud\""}` + "\n"
	if got := string(ErrorLine(now, msg, LogJSON)); got != want {
		t.Errorf("json: %q\nwant %q", got, want)
	}
}
