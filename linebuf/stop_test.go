package linebuf

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
)

// An emitter that asks to stop gets nothing more from that Write: the rest
// of the read comes back untouched, as a sub-slice of it.
func TestWriteStopsAfterTheLine(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit, stops: 1}
	read := []byte("a\nb\r\nc\n")
	rest := s.Write(read, r)
	if string(rest) != "b\r\nc\n" || &rest[0] != &read[2] {
		t.Fatalf("rest %q, want the read from \"b\" on", rest)
	}
	r.stopped = false
	if rest = s.Write(rest, r); len(rest) != 0 {
		t.Fatalf("rest %q after a Write that was not stopped", rest)
	}
	want := []rec{{"a", Whole}, {"b", Whole}, {"c", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

// A stop asked during the first piece of an overlong line takes effect at
// the end of that line: the line is never left half emitted.
func TestWriteStopsAtTheEndOfAnOverlongLine(t *testing.T) {
	var s Splitter
	s.Init(4)
	r := &recorder{t: t, s: &s, limit: 4, stops: 1}
	rest := s.Write([]byte("abcdefghij\nxy\n"), r)
	want := []rec{{"abcd", FirstPiece}, {"efgh", Piece}, {"ij", Piece}}
	if ok, diff := same(r.got, want); !ok || string(rest) != "xy\n" {
		t.Fatalf("rest %q\n%s", rest, diff)
	}
}

// A stop while a partial line completes: the rest after that line's end.
func TestWriteStopsWhenThePartialLineEnds(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit, stops: 1}
	s.Write([]byte("par"), r)
	rest := s.Write([]byte("tial\nnext\n"), r)
	if string(rest) != "next\n" || buffered(&s) != 0 {
		t.Fatalf("rest %q, buffered %d", rest, buffered(&s))
	}
}

// Whatever calls ask to stop, the lines are the same as without stops.
func TestCasesStopping(t *testing.T) {
	for _, stops := range []uint64{^uint64(0), 0x5555555555555555, 0x8421} {
		for _, c := range cases {
			in := []byte(c.in)
			for i := 0; i <= len(in); i++ {
				got := splitStopping(t, in, c.limit, stops, i)
				if ok, diff := same(got, c.want); !ok {
					t.Fatalf("%s, stops %x, cut at %d:\n%s", c.name, stops, i, diff)
				}
			}
		}
	}
}

func TestCutEmitsThePartialLineAsAPiece(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit}
	s.Write([]byte("one\nabc"), r)
	s.Cut(r)
	if s.part != nil || s.Held() != 0 {
		t.Fatalf("storage kept after Cut: held %d", s.Held())
	}
	s.Write([]byte("de"), r)
	s.Write([]byte("f\nnext\n"), r)
	want := []rec{{"one", Whole}, {"abc", FirstPiece}, {"def", Piece}, {"next", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

// Cut inside a line already emitted in pieces adds a Piece, not a second
// FirstPiece (the caller warns once per line).
func TestCutInsideAnOverlongLine(t *testing.T) {
	var s Splitter
	s.Init(4)
	r := &recorder{t: t, s: &s, limit: 4}
	s.Write([]byte("abcdefg"), r)
	s.Cut(r)
	s.Cut(r) // nothing held: nothing emitted
	s.Write([]byte("hijkl\r\n"), r)
	s.Write([]byte("z\n"), r)
	want := []rec{{"abcd", FirstPiece}, {"efg", Piece}, {"hijk", Piece}, {"l", Piece}, {"z", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

// A cut line that ends right after the cut emits no empty piece, and the
// next line is Whole again; Close after a cut emits nothing.
func TestCutThenLineEnd(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit}
	s.Write([]byte("abc"), r)
	s.Cut(r)
	s.Write([]byte("\r\nx\n"), r)
	s.Write([]byte("y"), r)
	s.Cut(r)
	s.Close(r)
	s.Write([]byte("w\n"), r)
	want := []rec{{"abc", FirstPiece}, {"x", Whole}, {"y", FirstPiece}, {"w", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

func TestHeldIsTheStorageCapacity(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit}
	if s.Held() != 0 {
		t.Fatalf("idle Splitter holds %d", s.Held())
	}
	s.Write([]byte(strings.Repeat("x", 5000)), r)
	if s.Held() < 5000 || s.Held() != cap(s.part.B) {
		t.Fatalf("Held %d for a 5000-byte partial line (cap %d)", s.Held(), cap(s.part.B))
	}
	s.Write([]byte("\n"), r)
	if s.Held() != 0 {
		t.Fatalf("Held %d after the line ended", s.Held())
	}
}

// Cuts at random points never lose or reorder a byte: joining each line's
// pieces gives the lines of the stream (a cut may keep a '\r' that the end
// of the line would have trimmed, so trailing '\r's are ignored, and lines
// left empty by that are skipped).
func TestCutsKeepEveryByte(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte("ab\r\n\n")
	for iter := 0; iter < 2000; iter++ {
		stream := make([]byte, rng.Intn(80))
		for i := range stream {
			stream[i] = alphabet[rng.Intn(len(alphabet))]
		}
		limit := rng.Intn(10) + 1
		var s Splitter
		s.Init(limit)
		r := &recorder{t: t, s: &s, limit: limit}
		for p := stream; len(p) > 0; {
			n := min(rng.Intn(7), len(p))
			r.write(p[:n])
			p = p[n:]
			if rng.Intn(3) == 0 {
				s.Cut(r)
			}
		}
		s.Close(r)
		if got, want := joined(r.got), joined(reference(stream, limit)); got != want {
			t.Fatalf("stream %q limit %d:\ngot  %s\nwant %s", stream, limit, got, want)
		}
	}
}

// joined joins each line's pieces, trims trailing '\r's and skips lines
// left empty.
func joined(recs []rec) string {
	var lines [][]byte
	for _, r := range recs {
		if r.k == Piece && len(lines) > 0 {
			lines[len(lines)-1] = append(lines[len(lines)-1], r.s...)
		} else {
			lines = append(lines, []byte(r.s))
		}
	}
	var kept [][]byte
	for _, l := range lines {
		if l = bytes.TrimRight(l, "\r"); len(l) > 0 {
			kept = append(kept, l)
		}
	}
	return string(bytes.Join(kept, []byte("|")))
}
