package fmtjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// quoteModel is the byte-at-a-time reading of the escaping rules (the
// loop AppendString had before the word-at-a-time one): the oracle for
// AppendQuoted and AppendString.
func quoteModel(s string) string {
	dst := make([]byte, 1, 2+6*len(s))
	dst[0] = '"'
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safeASCII[c] {
				dst = append(dst, c)
			} else {
				dst = appendEscapedASCII(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if esc := runeEscape(r, size); esc != "" {
			dst = append(dst, esc...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return string(append(dst, '"'))
}

const stderrTail = `,"stream":"stderr"`

// wrapped runs AppendWrapped with service "web", stage "run" and testStamp.
func wrapped(line, tail string) string {
	meta := AppendMeta(nil, "web", "run")
	var t []byte
	if tail != "" {
		t = []byte(tail)
	}
	return string(AppendWrapped(nil, []byte(line), meta, []byte(testStamp), t))
}

func TestAppendWrapped(t *testing.T) {
	const fields = `,"service":"web","stage":"run","logged":"` + testStamp + `"`
	cases := []struct{ in, msg string }{
		{``, `""`},
		{`hello world`, `"hello world"`},
		{`1234567`, `"1234567"`},     // shorter than a word
		{`12345678`, `"12345678"`},   // one word
		{`123456789`, `"123456789"`}, // a word and a tail of one
		{`say "hi" \ bye`, `"say \"hi\" \\ bye"`},
		{`{"not":"an object"`, `"{\"not\":\"an object\""`},
		{`C:\dir\ud800`, `"C:\\dir\\ud800"`}, // a backslash stays text
		{"col1\tcol2\r", `"col1\tcol2\r"`},
		{"nl\nhere", `"nl\nhere"`},
		{"\x00\x01\x1b[31mred\x1b[0m\x7f", "\"\\u0000\\u0001\\u001b[31mred\\u001b[0m\x7f\""},
		{"bad \xff\xfe utf-8", `"bad \ufffd\ufffd utf-8"`},
		{"\xed\xa0\x80 encoded surrogate", `"\ufffd\ufffd\ufffd encoded surrogate"`},
		{"cut \xe2\x82", `"cut \ufffd\ufffd"`},
		{"line\u2028sep\u2029par", `"line\u2028sep\u2029par"`},
		{"1234567é9", `"1234567é9"`},             // é across the first word boundary
		{"123456🐢ab", `"123456🐢ab"`},             // a 4-byte rune across it
		{"12345678901234😀", `"12345678901234😀"`}, // ... and across the end
		{"żółw 日本語 <&>", `"żółw 日本語 <&>"`},
		{"1234567\"", `"1234567\""`},
		{"12345678\\", `"12345678\\"`},
		{"abcdefgh\x01", `"abcdefgh\u0001"`},
	}
	for _, c := range cases {
		for _, tail := range []string{"", stderrTail} {
			want := `{"msg":` + c.msg + fields + tail + "}\n"
			if got := wrapped(c.in, tail); got != want {
				t.Errorf("%q, tail %q:\n got %s\nwant %s", c.in, tail, got, want)
			}
		}
		if got := string(AppendQuoted(nil, []byte(c.in))); got != c.msg {
			t.Errorf("AppendQuoted(%q) = %s, want %s", c.in, got, c.msg)
		}
	}
}

func TestAppendWrappedAppends(t *testing.T) {
	out := AppendWrapped([]byte("prev\n"), []byte("x"), []byte(`"m":"`), []byte("T"), []byte(`,"k":1`))
	if want := "prev\n" + `{"msg":"x","m":"T","k":1}` + "\n"; string(out) != want {
		t.Errorf("got %q want %q", out, want)
	}
}

// TestQuoteEveryPosition puts each kind of byte or rune that is not copied
// as is at every position of texts around the word size, after every
// prefix length, and compares both AppendQuoted and AppendString with the
// model: this covers the word loop, the tail and their boundary.
func TestQuoteEveryPosition(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\x00", "\x1f", "\x7f", " ", "é", "€", "🐢", "\u2028", "\xff", "\xe2\x82", "\xf0\x9f\x90"}
	for n := 0; n <= 26; n++ {
		for _, sp := range specials {
			for pos := 0; pos <= n; pos++ {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos)
				checkQuote(t, s)
				checkQuote(t, sp+s+sp)
			}
		}
	}
}

func checkQuote(t testing.TB, s string) {
	t.Helper()
	want := quoteModel(s)
	if got := string(AppendQuoted([]byte("x"), []byte(s))); got != "x"+want {
		t.Fatalf("AppendQuoted(%q) = %s, want %s", s, got[1:], want)
	}
	if got := AppendString(nil, s); string(got) != want {
		t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
	}
}

// checkWrapped is the differential property of AppendWrapped shared by the
// tests and FuzzWrapped: the output is exactly the model's, one valid UTF-8
// JSON object (for Object and the strict checker) ending in a newline, and
// decodes to msg == the line as encoding/json would read it (each invalid
// byte a U+FFFD, as a conversion to runes does), plus dinit's fields and the
// tail's, and nothing else. It is kept cheap (one decode, into a struct):
// the fuzzer's minimizer runs it thousands of times per new input.
func checkWrapped(t testing.TB, line []byte) {
	t.Helper()
	meta := AppendMeta(nil, "wé\"b", "run")
	head := `{"msg":` + quoteModel(string(line)) + "," + string(meta) + testStamp + `"`
	buf := make([]byte, 0, len(head)+len(stderrTail)+2)
	if out := AppendWrapped(buf, line, meta, []byte(testStamp), nil); string(out) != head+"}\n" {
		t.Fatalf("%q, no tail: got %s\nwant %s}", line, out, head)
	}
	out := AppendWrapped(make([]byte, 0, 4), line, meta, []byte(testStamp), []byte(stderrTail))
	if string(out) != head+stderrTail+"}\n" {
		t.Fatalf("%q: got %s\nwant %s%s}", line, out, head, stderrTail)
	}
	if !utf8.Valid(out) {
		t.Fatalf("%q: output %q is not valid UTF-8", line, out)
	}
	if obj, st := Object(out); st != Valid || len(obj) != len(out)-1 {
		t.Fatalf("%q: output %q is %v for Object", line, out, st)
	}
	if at := firstLoneSurrogate(out); at >= 0 {
		t.Fatalf("%q: output %q has a lone surrogate escape at %d", line, out, at)
	}
	var got wrappedFields
	d := json.NewDecoder(bytes.NewReader(out))
	d.DisallowUnknownFields()
	if err := d.Decode(&got); err != nil {
		t.Fatalf("%q: output %q does not decode: %v", line, out, err)
	}
	want := wrappedFields{string([]rune(string(line))), "wé\"b", "run", testStamp, "stderr"}
	if got != want {
		t.Fatalf("%q: output %q decodes to\n%+v\nwant\n%+v", line, out, got, want)
	}
}

// wrappedFields are the members of a wrapped line with stderrTail.
type wrappedFields struct {
	Msg     string `json:"msg"`
	Service string `json:"service"`
	Stage   string `json:"stage"`
	Logged  string `json:"logged"`
	Stream  string `json:"stream"`
}

func TestWrappedDifferential(t *testing.T) {
	for _, s := range seedLines {
		checkWrapped(t, []byte(s))
	}
	for _, c := range objectCases {
		checkWrapped(t, []byte(c.in))
	}
	for _, line := range corpus(7, 5000) {
		checkWrapped(t, line)
	}
	for c := 0; c < 256; c++ {
		for _, tpl := range []string{"_", "ab_cdefgh", "abcdefg_", "abcdefgh_", "_\\ud800_"} {
			checkWrapped(t, []byte(strings.ReplaceAll(tpl, "_", string([]byte{byte(c)}))))
		}
	}
}
