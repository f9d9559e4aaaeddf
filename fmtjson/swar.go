package fmtjson

import (
	"encoding/binary"
	"math/bits"
)

// String bodies are mostly plain ASCII, so they are skipped eight bytes at a
// time ("SIMD within a register"): a few subtractions per word tell whether
// it holds a byte that needs a closer look.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialInWord returns a nonzero mask when the 8 bytes of x (little-endian)
// hold a byte < 0x20, '"', '\\' or >= 0x80; the lowest set bit is in the
// first such byte.
//
// Per byte v, the high bit of v-0x20 is set for v < 0x20 (or v >= 0xa0),
// that of (v^'"')-1 for v == '"' (or v >= 0x80), likewise for '\\', and v's
// own high bit for v >= 0x80: so a plain byte (0x20..0x7f but '"' and '\\')
// sets none. A subtraction that wraps borrows from the next byte and may set
// bits above the first special byte, never below it: the lowest bit is exact.
func specialInWord(x uint64) uint64 {
	ctl := x - 0x20*ones
	q := (x ^ '"'*ones) - ones
	bs := (x ^ '\\'*ones) - ones
	return (ctl | q | bs | x) & highs
}

// escapeOrHighInWord returns a nonzero mask when the 8 bytes of x hold a
// '\\' or a byte >= 0x80, the lowest set bit in the first such byte (as in
// specialInWord): where appendRepaired has something to look at.
func escapeOrHighInWord(x uint64) uint64 {
	return ((x ^ '\\'*ones) - ones | x) & highs
}

// skipPlain returns the index of the first byte at or after i that is not
// plain string content, or len(b). appendEscaped uses it to find the next
// byte it may not write raw: slog's safe set (safeASCII) is exactly the plain
// bytes of specialInWord, DEL included. (scanString has the same word loop
// inline, with its own use of the byte found.)
func skipPlain(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := specialInWord(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	return skipPlainTail(b, i)
}

// skipPlainTail returns the index of the first byte at or after i that is
// not plain string content, or len(b) when there is none, for i within the
// last 7 bytes of b (the word loops of scanString and skipPlain do the rest).
//
// It re-reads the last word of b and shifts out the bytes before i: the zero
// bytes shifted in count as special and so stop the scan at len(b). This
// keeps the tail out of a byte-by-byte loop; only lines shorter than a word
// need one.
func skipPlainTail(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	if len(b) < 8 {
		for i < len(b) && plainInString[b[i]] {
			i++
		}
		return i
	}
	x := binary.LittleEndian.Uint64(b[len(b)-8:]) >> (8 * (i - (len(b) - 8)))
	return min(i+bits.TrailingZeros64(specialInWord(x))>>3, len(b))
}
