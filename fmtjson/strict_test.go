package fmtjson

import (
	"encoding/hex"
	"testing"
)

// firstLoneSurrogate is the strict reading of the \u escapes of b, a JSON
// text, written apart from the scanner as the tests' oracle: it walks the
// strings, decodes each \u escape, and returns the offset of the first
// surrogate escape that is not a high one (D800-DBFF) followed at once by a
// low one (DC00-DFFF), or -1.
func firstLoneSurrogate(b []byte) int {
	inString, high := false, -1 // high: offset of a high surrogate escape awaiting its low half
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			inString = c == '"'
			continue
		}
		r := unicodeEscapeAt(b, i)
		low := r >= 0xdc00 && r <= 0xdfff
		switch {
		case high >= 0 && low:
			high = -1
		case high >= 0:
			return high
		case low:
			return i
		case r >= 0xd800 && r <= 0xdbff:
			high = i
		}
		switch {
		case r >= 0:
			i += 5
		case c == '\\':
			i++ // the escaped byte
		case c == '"':
			inString = false
		}
	}
	return high
}

// unicodeEscapeAt returns the code unit of the \uXXXX escape at i, or -1.
func unicodeEscapeAt(b []byte, i int) rune {
	if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
		return -1
	}
	var v [2]byte
	if _, err := hex.Decode(v[:], b[i+2:i+6]); err != nil {
		return -1
	}
	return rune(v[0])<<8 | rune(v[1])
}

// TestFirstLoneSurrogate checks the oracle itself.
func TestFirstLoneSurrogate(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{`{"a":"x"}`, -1},
		{`{"a":"\ud800"}`, 6},
		{`{"a":"\udc00"}`, 6},
		{`{"a":"\ud800\u0041"}`, 6},
		{`{"a":"\ud800\ud800\udc00"}`, 6},
		{`{"a":"\ud800\udc00\udc00"}`, 18},
		{`{"a":"\uD83D\uDE00"}`, -1},
		{`{"a":"\\ud800"}`, -1},
		{`{"a":"\\\ud800"}`, 8},
		{`{"a":"\"\ud800"}`, 8},
		{`{"\udbff":1}`, 2},
		{`{"a":"\ud800x\udc00"}`, 6},
		{`{"a":"\ud800","b":"\udc00"}`, 6},
		{`{"a":"\ud7ff\ue000"}`, -1},
	}
	for _, c := range cases {
		if got := firstLoneSurrogate([]byte(c.in)); got != c.want {
			t.Errorf("%s: %d, want %d", c.in, got, c.want)
		}
	}
}
