package fmtjson

// Byte-class tables, indexed by byte: one load and test per byte instead of
// a chain of comparisons in the scanner's loops.
var (
	// space: the four whitespace bytes of RFC 8259.
	space = byteSet(" \t\r\n")
	// hexValue: the value of each digit of a \uXXXX escape, -1 for other
	// bytes (so that a decoded escape with a bad digit is negative).
	hexValue = hexTable()
	// escapable: the bytes that may follow '\' in a string (besides 'u').
	escapable = byteSet(`"\/bfnrt`)
	// plainInString: bytes that stand for themselves inside a string: not a
	// control character, '"', '\\', nor part of a multi-byte sequence.
	plainInString = byteRange(0x20, 0x7f, `"\`)
	// safeASCII: ASCII bytes written raw by AppendString (as slog's safeSet).
	safeASCII = asciiPart(plainInString)
)

// byteSet returns a table that is true for the bytes of s.
func byteSet(s string) (t [256]bool) {
	for i := 0; i < len(s); i++ {
		t[s[i]] = true
	}
	return t
}

// byteRange returns a table that is true for lo..hi, except the bytes of not.
func byteRange(lo, hi byte, not string) (t [256]bool) {
	for c := int(lo); c <= int(hi); c++ {
		t[c] = true
	}
	for i := 0; i < len(not); i++ {
		t[not[i]] = false
	}
	return t
}

// hexTable returns the table of hexValue.
func hexTable() (t [256]int8) {
	for c := range t {
		t[c] = -1
	}
	for i := 0; i < 16; i++ {
		t["0123456789abcdef"[i]] = int8(i)
		t["0123456789ABCDEF"[i]] = int8(i)
	}
	return t
}

// asciiPart returns the first 128 entries of t.
func asciiPart(t [256]bool) (a [128]bool) {
	copy(a[:], t[:128])
	return a
}

// skipSpace returns the index of the first non-whitespace byte of b at or
// after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && space[b[i]] {
		i++
	}
	return i
}

// trimSpace removes JSON whitespace from both ends of b.
func trimSpace(b []byte) []byte {
	b = b[skipSpace(b, 0):]
	return trimRightSpace(b)
}

// trimRightSpace removes JSON whitespace from the end of b.
func trimRightSpace(b []byte) []byte {
	n := len(b)
	for n > 0 && space[b[n-1]] {
		n--
	}
	return b[:n]
}
