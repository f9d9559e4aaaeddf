package fmtjson

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// The scanners of single tokens. Each takes the index where the token starts
// (for strings: just past the opening quote) and returns the index just past
// it, or -1 when the bytes are not that token.

// scanString scans a string body up to and including its closing quote.
// repair reports bytes that are not valid UTF-8 or lone surrogate escapes
// (both allowed, see the package doc).
func scanString(b []byte, i int) (end int, repair bool) {
	for {
		// Find the next byte that is not plain content, a word at a time.
		var c byte
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			m := specialInWord(x)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			c = b[i]
		} else if i = skipPlainTail(b, i); i < len(b) {
			c = b[i]
		} else {
			return -1, repair
		}
		switch {
		case c == '"':
			return i + 1, repair
		case c == '\\':
			var lone bool
			if i, lone = scanEscape(b, i+1); i < 0 {
				return -1, repair
			}
			repair = repair || lone
		case c < 0x20:
			return -1, repair // a raw control character
		default:
			r, size := utf8.DecodeRune(b[i:])
			repair = repair || (r == utf8.RuneError && size == 1)
			i += size
		}
	}
}

// scanEscape scans the escape whose letter is at i (just past the '\'),
// and for a high surrogate the low one that may follow it. lone reports a
// surrogate escape that is not half of a pair: valid JSON (encoding/json
// decodes it to U+FFFD), but it needs repair (see the package doc).
func scanEscape(b []byte, i int) (end int, lone bool) {
	switch {
	case i >= len(b):
		return -1, false
	case escapable[b[i]]:
		return i + 1, false
	case b[i] == 'u':
		return scanUnicodeEscape(b, i+1)
	}
	return -1, false
}

// scanNumber scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. What
// follows the number is checked by the caller: in "01" the number is "0" and
// the "1" after it is not a valid continuation.
func scanNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = digitsAfter(b, i+1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		return digitsAfter(b, i)
	}
	return i
}

// digitsAfter scans one or more digits at i.
func digitsAfter(b []byte, i int) int {
	if j := skipDigits(b, i); j > i {
		return j
	}
	return -1
}

// skipDigits returns the index of the first non-digit at or after i.
func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// scanScalar scans a number or one of the literals true, false, null.
func scanScalar(b []byte, i int) int {
	switch b[i] {
	case 't':
		return scanLiteral(b, i, "true")
	case 'f':
		return scanLiteral(b, i, "false")
	case 'n':
		return scanLiteral(b, i, "null")
	}
	return scanNumber(b, i)
}

// scanLiteral scans the literal lit at i.
func scanLiteral(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}
