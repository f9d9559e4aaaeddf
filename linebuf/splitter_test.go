package linebuf

import (
	"math"
	"strings"
	"testing"
	"unsafe"
)

// cases are exact expectations; every test below runs them under many
// chunkings of the same stream.
var cases = []struct {
	name  string
	in    string
	limit int
	want  []rec
}{
	{"empty", "", 8, nil},
	{"one line", "abc\n", 8, []rec{{"abc", Whole}}},
	{"no final newline", "abc\ndef", 8, []rec{{"abc", Whole}, {"def", Whole}}},
	{"crlf", "a\r\nb\r\n", 8, []rec{{"a", Whole}, {"b", Whole}}},
	{"only one cr removed", "a\r\r\n", 8, []rec{{"a\r", Whole}}},
	{"inner cr kept", "a\rb\n", 8, []rec{{"a\rb", Whole}}},
	{"empty lines dropped", "\n\na\n\n\nb\n\n", 8, []rec{{"a", Whole}, {"b", Whole}}},
	{"cr only lines dropped", "\r\n\r\na\r\n\r", 8, []rec{{"a", Whole}}},
	{"final cr dropped", "a\nb\r", 8, []rec{{"a", Whole}, {"b", Whole}}},
	{"limit-1", "1234567\n", 8, []rec{{"1234567", Whole}}},
	{"limit", "12345678\n", 8, []rec{{"12345678", Whole}}},
	{"limit at eof", "12345678", 8, []rec{{"12345678", Whole}}},
	{"limit+1", "123456789\n", 8, []rec{{"12345678", FirstPiece}, {"9", Piece}}},
	{"limit+1 at eof", "123456789", 8, []rec{{"12345678", FirstPiece}, {"9", Piece}}},
	{"2*limit", "1234567812345678\nx\n", 8, []rec{
		{"12345678", FirstPiece}, {"12345678", Piece}, {"x", Whole}}},
	{"3*limit+5", strings.Repeat("abcdefgh", 3) + "12345\nnext\n", 8, []rec{
		{"abcdefgh", FirstPiece}, {"abcdefgh", Piece}, {"abcdefgh", Piece}, {"12345", Piece},
		{"next", Whole}}},
	{"limit with crlf counts the cr", "12345678\r\n", 8, []rec{{"12345678", FirstPiece}}},
	{"limit-1 with crlf", "1234567\r\n", 8, []rec{{"1234567", Whole}}},
	{"overlong crlf tail trimmed", "123456789\r\n", 8, []rec{{"12345678", FirstPiece}, {"9", Piece}}},
	{"cr inside a cut piece kept", "1234567\r9\n", 8, []rec{{"1234567\r", FirstPiece}, {"9", Piece}}},
	{"overlong then short", "123456789abcdefgh\nok\r\n", 8, []rec{
		{"12345678", FirstPiece}, {"9abcdefg", Piece}, {"h", Piece}, {"ok", Whole}}},
	{"two overlong lines warn twice", "123456789\n123456789\n", 8, []rec{
		{"12345678", FirstPiece}, {"9", Piece}, {"12345678", FirstPiece}, {"9", Piece}}},
	{"limit 1", "ab\nc\n\n", 1, []rec{{"a", FirstPiece}, {"b", Piece}, {"c", Whole}}},
	{"default limit", "x\n", 0, []rec{{"x", Whole}}},
	{"negative limit", "x\n", -5, []rec{{"x", Whole}}},
}

func TestCasesOneWrite(t *testing.T) {
	for _, c := range cases {
		got := split(t, []byte(c.in), c.limit)
		if ok, diff := same(got, c.want); !ok {
			t.Errorf("%s:\n%s", c.name, diff)
		}
	}
}

// TestCasesEverySplitPoint cuts each stream at every one and every two
// points: whatever the reads look like, the lines are the same.
func TestCasesEverySplitPoint(t *testing.T) {
	for _, c := range cases {
		in := []byte(c.in)
		for i := 0; i <= len(in); i++ {
			for j := i; j <= len(in); j++ {
				got := split(t, in, c.limit, i, j-i)
				if ok, diff := same(got, c.want); !ok {
					t.Fatalf("%s, cut at %d and %d:\n%s", c.name, i, j, diff)
				}
			}
		}
	}
}

func TestCasesByteByByte(t *testing.T) {
	for _, c := range cases {
		sizes := make([]int, len(c.in))
		for i := range sizes {
			sizes[i] = 1
		}
		got := split(t, []byte(c.in), c.limit, sizes...)
		if ok, diff := same(got, c.want); !ok {
			t.Errorf("%s:\n%s", c.name, diff)
		}
	}
}

// TestCasesMatchReference keeps the table and the reference model honest
// with each other.
func TestCasesMatchReference(t *testing.T) {
	for _, c := range cases {
		limit := c.limit
		if limit <= 0 {
			limit = DefaultLimit
		}
		if ok, diff := same(reference([]byte(c.in), limit), c.want); !ok {
			t.Errorf("%s: reference disagrees with the table:\n%s", c.name, diff)
		}
	}
}

func TestSampleAllChunkSizes(t *testing.T) {
	in := []byte(sample)
	for limit := 1; limit <= 130; limit += 7 {
		want := reference(in, limit)
		for size := 1; size <= len(in); size++ {
			var sizes []int
			for n := 0; n < len(in); n += size {
				sizes = append(sizes, size)
			}
			if ok, diff := same(split(t, in, limit, sizes...), want); !ok {
				t.Fatalf("limit %d, reads of %d bytes:\n%s", limit, size, diff)
			}
		}
	}
}

// zeroCopy checks that every line it gets lies inside the current read.
type zeroCopy struct {
	t    *testing.T
	read []byte
	n    int
}

func (z *zeroCopy) Line(b []byte, k Kind) bool {
	start := uintptr(unsafe.Pointer(unsafe.SliceData(z.read)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if p < start || p+uintptr(len(b)) > start+uintptr(len(z.read)) {
		z.t.Errorf("line %q was copied", b)
	}
	z.n++
	return true
}

func TestLinesInsideReadAreNotCopied(t *testing.T) {
	read := []byte("one\ntwo\r\n\nthree-is-long\n")
	var s Splitter
	s.Init(8)
	z := &zeroCopy{t: t, read: read}
	s.Write(read, z) // one, two, three-is, -long
	if z.n != 4 || buffered(&s) != 0 || s.part != nil {
		t.Errorf("lines=%d Buffered=%d held=%v", z.n, buffered(&s), s.part != nil)
	}
}

func TestPartialIsCopiedAndReleased(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit}
	read := []byte("done\npart")
	s.Write(read, r)
	if buffered(&s) != 4 || s.part == nil {
		t.Fatalf("Buffered=%d held=%v, want 4 and a buffer", buffered(&s), s.part != nil)
	}
	copy(read, "XXXXXXXXX") // the caller reuses its read buffer
	s.Write([]byte("ial\nnext"), r)
	if buffered(&s) != 4 {
		t.Errorf("Buffered=%d, want 4", buffered(&s))
	}
	s.Write([]byte("\n"), r)
	if buffered(&s) != 0 || s.part != nil {
		t.Errorf("after a completed line: Buffered=%d held=%v", buffered(&s), s.part != nil)
	}
	want := []rec{{"done", Whole}, {"partial", Whole}, {"next", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

func TestStorageNeverExceedsLimit(t *testing.T) {
	var s Splitter
	s.Init(8)
	r := &recorder{t: t, s: &s, limit: 8}
	for i := 0; i < 100; i++ {
		s.Write([]byte("abc"), r)
		if buffered(&s) > 8 || buffered(&s) == 0 {
			t.Fatalf("Buffered()=%d after %d writes", buffered(&s), i+1)
		}
	}
	s.Write([]byte("\n"), r)
	if buffered(&s) != 0 || s.part != nil || s.long {
		t.Fatalf("held after the line ended: %d", buffered(&s))
	}
	if len(r.got) != 38 || r.got[0].k != FirstPiece || r.got[37] != (rec{"cabc", Piece}) {
		t.Errorf("got %d pieces, first %v, last %v", len(r.got), r.got[0], r.got[len(r.got)-1])
	}
}

func TestZeroValueUsesDefaultLimit(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: DefaultLimit}
	long := strings.Repeat("x", DefaultLimit+10)
	s.Write([]byte(long+"\nshort\n"), r)
	want := []rec{{long[:DefaultLimit], FirstPiece}, {long[:10], Piece}, {"short", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff[:200])
	}
}

func TestInitDiscardsPartialAndCloseResets(t *testing.T) {
	var s Splitter
	r := &recorder{t: t, s: &s, limit: 4}
	s.Init(4)
	s.Write([]byte("abcdef"), r) // overlong, partial "ef" pending
	s.Init(4)
	if buffered(&s) != 0 || s.part != nil || s.long {
		t.Fatalf("Init kept state: %d %v", buffered(&s), s.long)
	}
	s.Write([]byte("xy"), r)
	s.Close(r)
	s.Close(r) // a second Close emits nothing
	s.Write([]byte("z\n"), r)
	want := []rec{{"abcd", FirstPiece}, {"xy", Whole}, {"z", Whole}}
	if ok, diff := same(r.got, want); !ok {
		t.Error(diff)
	}
}

func TestInitClampsHugeLimit(t *testing.T) {
	var s Splitter
	s.Init(math.MaxInt) // beyond int32 on 64-bit architectures
	if s.lim() != 1<<31-1 {
		t.Errorf("lim()=%d", s.lim())
	}
}

func TestSplitterIsSmall(t *testing.T) {
	if n := unsafe.Sizeof(Splitter{}); n > 16 {
		t.Errorf("Splitter is %d bytes, want <= 16 (one per pipe)", n)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Whole: "Whole", FirstPiece: "FirstPiece", Piece: "Piece", 9: "Kind(?)"} {
		if k.String() != want {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}
