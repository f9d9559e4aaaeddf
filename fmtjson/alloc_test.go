//go:build !race

package fmtjson

import (
	"strings"
	"testing"
	"time"
)

// The relay formats every line through these functions: they must not
// allocate once the destination has room.

func TestObjectDoesNotAllocate(t *testing.T) {
	for _, line := range [][]byte{[]byte(benchLine), []byte(nest(MaxDepth, func(l int) bool { return l%2 == 0 }))} {
		if n := testing.AllocsPerRun(100, func() { Object(line) }); n != 0 {
			t.Errorf("Object allocates %v times (line of %d bytes)", n, len(line))
		}
	}
}

func TestAppendAugmentedDoesNotAllocate(t *testing.T) {
	meta := AppendMeta(nil, "web", "run")
	ts := []byte(testStamp)
	dst := make([]byte, 0, 4096)
	for _, line := range []string{benchLine, "{\"s\":\"bad \xff utf-8\"}", `{"s":"lone \ud800 \\ud800 \udbff\udc00"}`} {
		obj, st := Object([]byte(line))
		if n := testing.AllocsPerRun(1000, func() { AppendAugmented(dst[:0], obj, st, meta, ts) }); n != 0 {
			t.Errorf("AppendAugmented(%v) allocates %v times", st, n)
		}
	}
}

func TestAppendPrefixedDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 4096)
	ts, src, line := []byte(testStamp), []byte("web/run"), []byte("a plain log line")
	if n := testing.AllocsPerRun(1000, func() { AppendPrefixed(dst[:0], ts, src, line) }); n != 0 {
		t.Errorf("AppendPrefixed allocates %v times", n)
	}
}

func TestClockSetDoesNotAllocate(t *testing.T) {
	var c Clock
	now := time.Now()
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		i++
		c.Set(now.Add(time.Duration(i) * time.Millisecond)) // re-formats every time
		c.Bytes()
	}); n != 0 {
		t.Errorf("Clock.Set allocates %v times", n)
	}
}

// TestAppendStringDoesNotAllocate also guards the zero-copy conversion of
// AppendString's argument: a copy of a string over 32 bytes would allocate.
func TestAppendStringDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 256)
	for _, s := range []string{"wé\"b\x01\xff\u2028", strings.Repeat("a long message é\n", 8)} {
		if n := testing.AllocsPerRun(1000, func() { AppendString(dst[:0], s) }); n != 0 {
			t.Errorf("AppendString(%q) allocates %v times", s, n)
		}
	}
}

func TestAppendQuotedDoesNotAllocate(t *testing.T) {
	dst := make([]byte, 0, 256)
	b := []byte("wé\"b\x01\xff\u2028 and a longer plain run of text")
	if n := testing.AllocsPerRun(1000, func() { AppendQuoted(dst[:0], b) }); n != 0 {
		t.Errorf("AppendQuoted allocates %v times", n)
	}
}

func TestAppendWrappedDoesNotAllocate(t *testing.T) {
	meta := AppendMeta(nil, "web", "run")
	ts, tail := []byte(testStamp), []byte(`,"stream":"stderr"`)
	dst := make([]byte, 0, 4096)
	for _, line := range []string{wrapLine, wrapLineShort, benchLine, "bad \xff \x01 \u2028 é"} {
		b := []byte(line)
		if n := testing.AllocsPerRun(1000, func() { AppendWrapped(dst[:0], b, meta, ts, tail) }); n != 0 {
			t.Errorf("AppendWrapped(%q) allocates %v times", line, n)
		}
	}
}
