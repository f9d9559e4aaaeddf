package relay

import (
	"errors"
	"strings"
	"testing"
)

// A name may hold any byte but '/' and NUL: control characters in it must
// not start a new line (forging one of ours) or drive a terminal.
const forgedName = "x\n2026-01-01T00:00:00.000Z dinit: error: forged\x1b[2J\x7f\r\t"

const escapedName = `x\n2026-01-01T00:00:00.000Z dinit: error: forged\x1b[2J\x7f\r\t`

func TestLabelsEscapeControlCharacters(t *testing.T) {
	o := pipeOutput(t, LevelWarn, false)
	s := newTestSource(t, o, forgedName, false)
	s.split([]byte("hi\n"))
	want := "2026-11-28T13:57:31.420Z " + escapedName + "/run: hi\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestMessageArgumentsEscapeControlCharacters(t *testing.T) {
	o := testOutput(LevelWarn, false)
	o.Warnf("%s: reaping process with PID %d: %v", forgedName, 7, errors.New("a\nb"))
	o.Warnf("%q", "q\n\x1b")
	const ts = "2026-11-28T13:57:31.420Z"
	want := ts + " dinit: warning: " + escapedName + `: reaping process with PID 7: a\nb` + "\n" +
		ts + ` dinit: warning: "q\n\x1b"` + "\n"
	if got := string(o.stderr.buf); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// Escaping is idempotent (a backslash stays as it is), so a label escaped
// once in a line prefix is not escaped again as a message argument.
func TestEscapingIsIdempotent(t *testing.T) {
	once := string(appendEscaped(nil, forgedName))
	if once != escapedName || string(appendEscaped(nil, once)) != once {
		t.Fatalf("once %q, twice %q", once, appendEscaped(nil, once))
	}
	if got := string(appendEscaped(nil, `a\b é`)); got != `a\b é` {
		t.Fatalf("printable text changed: %q", got)
	}
}

func TestLongMessageArgumentsAreCut(t *testing.T) {
	long := strings.Repeat("c", 100_000)
	tests := []struct {
		format string
		arg    any
		want   string
	}{
		{"%s", long, long[:1024] + "...[98976 bytes cut]"},
		{"%v", errors.New(long[:1025]), long[:1024] + "...[1 bytes cut]"},
		{"%s", long[:1024], long[:1024]},
		{"%q", long[:2000], `"` + long[:1024] + `"...[976 bytes cut]`},
		// Never inside a UTF-8 sequence: "é" is 2 bytes, byte 1024 is inside one.
		{"%s", long[:1023] + "éz", long[:1023] + "...[3 bytes cut]"},
		// Cut before escaping: at most 1024 bytes of the argument are shown.
		{"%s", strings.Repeat("\n", 1030), strings.Repeat(`\n`, 1024) + "...[6 bytes cut]"},
	}
	for _, tt := range tests {
		if got := string(appendf(nil, tt.format, tt.arg)); got != tt.want {
			t.Errorf("%s of %d bytes: got %.60q...%q", tt.format, len(tt.want), got, got[max(0, len(got)-30):])
		}
	}
}
