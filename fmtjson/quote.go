package fmtjson

import "unicode/utf8"

// hexDigits spells the \u00XX escapes.
const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string with quotes, escaping it the way
// log/slog's JSON handler does: '"' and '\\' with a backslash, '\n' '\r' '\t'
// by name, other control characters as \u00XX, U+2028 and U+2029 as \u2028
// and \u2029 (JavaScript line terminators), and each invalid UTF-8 byte as
// \ufffd. '<', '>' and '&' are kept (no HTML escaping: this is a log), and
// so is DEL, as slog does.
func AppendString(dst []byte, s string) []byte {
	// appendEscaped only reads its text and keeps no reference to it, so the
	// compiler converts s without a copy (-gcflags=-m: zero-copy).
	return append(appendEscaped(append(dst, '"'), []byte(s)), '"')
}

// AppendQuoted is [AppendString] for bytes, such as a line read from a
// service.
func AppendQuoted(dst, b []byte) []byte {
	return append(appendEscaped(append(dst, '"'), b), '"')
}

// appendEscaped appends b escaped, without the quotes. Runs of bytes written
// raw are found a word at a time and copied whole, so plain ASCII costs a
// scan and one copy.
func appendEscaped(dst, b []byte) []byte {
	start := 0
	for i := skipPlain(b, 0); i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			dst = appendEscapedASCII(append(dst, b[start:i]...), c)
			start = i + 1
			i = skipPlain(b, start)
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if esc := runeEscape(r, size); esc != "" {
			dst = append(append(dst, b[start:i]...), esc...)
			start = i + size
		}
		// In non-Latin text runes follow runes: look for plain bytes again
		// only after ASCII.
		if i += size; i < len(b) && b[i] < utf8.RuneSelf {
			i = skipPlain(b, i)
		}
	}
	return append(dst, b[start:]...)
}

// appendEscapedASCII appends the escape of one ASCII byte that may not appear
// raw in a JSON string.
func appendEscapedASCII(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

// runeEscape returns the escape for a decoded non-ASCII rune, or "" when it
// is kept as is.
func runeEscape(r rune, size int) string {
	switch {
	case r == utf8.RuneError && size == 1:
		return `\ufffd`
	case r == '\u2028':
		return `\u2028`
	case r == '\u2029':
		return `\u2029`
	}
	return ""
}

// AppendMeta appends the fixed middle of the fields dinit adds to a JSON
// line, up to the opening quote of the timestamp:
//
//	"service":<service>,"stage":<stage>,"logged":"
//
// It is computed once per source; [AppendAugmented] adds the timestamp and
// the closing `"}`.
func AppendMeta(dst []byte, service, stage string) []byte {
	dst = append(dst, `"service":`...)
	dst = AppendString(dst, service)
	dst = append(dst, `,"stage":`...)
	dst = AppendString(dst, stage)
	return append(dst, `,"logged":"`...)
}
