package relay

// Text that dinit did not write itself (service and process names, command
// lines, error texts that quote paths) goes into line prefixes and into our
// messages with its control characters escaped: a newline in a name would
// otherwise start a line that looks like one of ours, and an escape
// sequence would drive the terminal of whoever reads the log.
//
// The form: '\n', '\r' and '\t' as those two characters, every other byte
// below 0x20 and 0x7f as \xHH (lower-case hex). Other bytes, '\' included,
// are kept: escaping is then idempotent, so a label escaped once is not
// escaped again when a message quotes it.

const hexDigits = "0123456789abcdef"

// appendEscaped appends s with its control characters escaped.
func appendEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != 0x7f {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscape(dst, c)
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// appendEscape appends the escaped form of one control character.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
}
