package fmtjson

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestAppendString(t *testing.T) {
	cases := []struct{ in, want string }{
		{``, `""`},
		{`web`, `"web"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\n\r\t", `"\n\r\t"`},
		{"\x00\x01\x1f\b\f", `"\u0000\u0001\u001f\u0008\u000c"`},
		{"\x7f", "\"\x7f\""},
		{`<a href="x">&`, `"<a href=\"x\">&"`},
		{"żółw 🐢", `"żółw 🐢"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"a\xffb", `"a\ufffdb"`},
		{"\xed\xa0\x80", `"\ufffd\ufffd\ufffd"`},
		{"\xe2\x82", `"\ufffd\ufffd"`},
		{"é\xc3", `"é\ufffd"`},
	}
	for _, c := range cases {
		if got := string(AppendString(nil, c.in)); got != c.want {
			t.Errorf("AppendString(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestAppendStringLikeSlog compares with log/slog's JSON handler, whose
// escaping AppendString and AppendQuoted follow, on every byte value and
// some runes.
func TestAppendStringLikeSlog(t *testing.T) {
	var inputs []string
	for c := 0; c < 256; c++ {
		inputs = append(inputs, "a"+string([]byte{byte(c)})+"b")
	}
	inputs = append(inputs, "\u2028x\u2029", "日本", "\U0001F422", "\xf0\x9f\x90")
	for _, s := range inputs {
		var buf bytes.Buffer
		h := slog.NewJSONHandler(&buf, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey || a.Key == slog.LevelKey {
					return slog.Attr{}
				}
				return a
			},
		})
		slog.New(h).Info(s)
		want := strings.TrimSuffix(strings.TrimPrefix(buf.String(), `{"msg":`), "}\n")
		if got := string(AppendString(nil, s)); got != want {
			t.Errorf("%q: got %s, slog %s", s, got, want)
		}
		if got := string(AppendQuoted(nil, []byte(s))); got != want {
			t.Errorf("%q: AppendQuoted %s, slog %s", s, got, want)
		}
	}
}

// TestAppendStringRoundTrip decodes the output with encoding/json.
func TestAppendStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"\\", "\x00\x1f\x7f", "ü€🐢", "bad\xff\xfe", "\u2028"} {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %s does not decode: %v", s, out, err)
		}
		// encoding/json decodes each invalid byte to one U+FFFD, as a
		// conversion to runes does.
		if want := string([]rune(s)); back != want {
			t.Errorf("%q: decoded %q, want %q", s, back, want)
		}
	}
}
