package fmtjson

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// replacement is U+FFFD encoded in UTF-8.
const replacement = "\uFFFD"

// appendRepaired appends b, the body of an object that [Object] found
// ValidRepair, with what encoding/json would decode to U+FFFD written so
// that every parser reads it that way: each byte that is not part of a valid
// UTF-8 sequence becomes U+FFFD (exactly where utf8.DecodeRune reports
// RuneError of size 1), each lone surrogate escape becomes \ufffd.
//
// Escapes are stepped over whole, by the scanner's own scanEscape, so that
// in "\\ud800" the escaped backslash is seen and "ud800" stays text. Only
// the body of a valid object may contain a backslash (inside strings), so
// the walk needs no other state.
func appendRepaired(dst, b []byte) []byte {
	start := 0
	for i := skipToRepair(b, 0); i < len(b); i = skipToRepair(b, i) {
		if b[i] == '\\' {
			end, lone := scanEscape(b, i+1)
			if end < 0 {
				end = len(b) // not from a valid object: copied as is
			}
			if lone {
				dst = append(append(dst, b[start:i]...), loneEscape...)
				start = end
			}
			i = end
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(append(dst, b[start:i]...), replacement...)
			start = i + 1
		}
		i += size
	}
	return append(dst, b[start:]...)
}

// skipToRepair returns the index of the first '\\' or non-ASCII byte at or
// after i, the only places appendRepaired has to look at, or len(b).
func skipToRepair(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := escapeOrHighInWord(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != '\\' && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}
