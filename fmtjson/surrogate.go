package fmtjson

// A \uXXXX escape names a UTF-16 code unit. One in D800-DBFF (a high
// surrogate) followed at once by one in DC00-DFFF (a low surrogate) is a pair
// that spells one rune above U+FFFF; a surrogate escape that is not half of
// such a pair is lone. encoding/json accepts it and decodes it to U+FFFD, but
// jq and other strict parsers reject the whole line, so the scanner reports it
// and AppendAugmented writes loneEscape instead.
const (
	highSurrogates = 0xd800 // first high surrogate
	lowSurrogates  = 0xdc00 // first low surrogate
	pastSurrogates = 0xe000 // past the last low surrogate
)

// loneEscape replaces a lone surrogate escape: U+FFFD, what encoding/json
// decodes it to, in an escape of the same length.
const loneEscape = `\ufffd`

// scanUnicodeEscape scans the four hex digits of a \u escape at i, and the
// low surrogate escape after a high one. It returns the index past the
// escape, or past the pair, or -1; lone reports a lone surrogate. The
// surrogate checks run only for escapes in D800-DFFF, so other escapes pay
// one comparison.
func scanUnicodeEscape(b []byte, i int) (end int, lone bool) {
	r := hex4(b, i)
	switch {
	case r < 0:
		return -1, false
	case r < highSurrogates || r >= pastSurrogates:
		return i + 4, false
	case r < lowSurrogates && lowSurrogateAt(b, i+4):
		return i + 10, false
	}
	return i + 4, true
}

// lowSurrogateAt reports whether a \u escape of a low surrogate starts at i.
func lowSurrogateAt(b []byte, i int) bool {
	if len(b)-i < 6 || b[i] != '\\' || b[i+1] != 'u' {
		return false
	}
	r := hex4(b, i+2)
	return r >= lowSurrogates && r < pastSurrogates
}

// hex4 decodes the four hex digits at i, or returns a negative value when
// there are not four: a bad digit's -1 sets the sign bit of the result.
func hex4(b []byte, i int) rune {
	if len(b)-i < 4 {
		return -1
	}
	return rune(hexValue[b[i]])<<12 | rune(hexValue[b[i+1]])<<8 |
		rune(hexValue[b[i+2]])<<4 | rune(hexValue[b[i+3]])
}
