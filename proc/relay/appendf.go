package relay

import (
	"strconv"
	"unicode/utf8"
)

// msgArgMax is the most bytes of one argument that a message of ours shows:
// a command line of 100 KB, logged for each of many orphans, must not fill
// our memory while stderr is slow. A longer argument is cut, on a UTF-8
// boundary, and followed by "...[N bytes cut]".
const msgArgMax = 1 << 10

// appendf is the small printf our messages need: %d (int), %s and %v
// (string, []byte, error or a String method), %q (quoted string), %%. fmt would
// add about 150 KiB to a binary meant for FROM scratch images (148 KiB
// measured: static, stripped, amd64, go1.26; see scripts/importfence.sh).
//
// The format is ours; the arguments are text we did not write: %s and %v
// escape control characters (see escape.go), %q quotes, and each shows at
// most msgArgMax bytes of its argument.
func appendf(b []byte, format string, args ...any) []byte {
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		verb := format[i]
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if len(args) == 0 {
			b = append(b, "%!"...)
			b = append(b, verb)
			continue
		}
		b = appendArg(b, verb, args[0])
		args = args[1:]
	}
	return b
}

func appendArg(b []byte, verb byte, arg any) []byte {
	var s string
	switch v := arg.(type) {
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case string:
		s = v
	case []byte:
		s = string(v)
	case error:
		s = v.Error()
	case interface{ String() string }:
		s = v.String()
	default:
		s = "?"
	}
	shown, cut := cutArg(s)
	if verb == 'q' {
		b = strconv.AppendQuote(b, shown)
	} else {
		b = appendEscaped(b, shown)
	}
	if cut > 0 {
		b = append(b, "...["...)
		b = strconv.AppendInt(b, int64(cut), 10)
		b = append(b, " bytes cut]"...)
	}
	return b
}

// cutArg returns at most msgArgMax bytes of s, ending on a UTF-8 boundary,
// and how many bytes it left out.
func cutArg(s string) (string, int) {
	if len(s) <= msgArgMax {
		return s, 0
	}
	n := msgArgMax
	for i := 0; i < utf8.UTFMax-1 && !utf8.RuneStart(s[n]); i++ {
		n--
	}
	return s[:n], len(s) - n
}
