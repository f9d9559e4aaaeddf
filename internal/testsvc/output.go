package main

import (
	"os"
	"strconv"
	"unicode/utf8"
)

// Output is unbuffered on purpose: each line is one write(2), so it is never held
// back in a buffer (what a test watching for "ready" needs) and never torn (a pipe
// write of at most PIPE_BUF bytes is atomic). Write errors are ignored: a write to a
// closed stdout pipe raises SIGPIPE, which ends the program as it would any other.

func outLine(line []byte) { _, _ = os.Stdout.Write(append(line, '\n')) }

func errLine(line string) { _, _ = os.Stderr.Write([]byte(line + "\n")) }

// msgLine returns {"msg":"<msg>"}; msg must need no escaping.
func msgLine(msg string) []byte { return []byte(`{"msg":"` + msg + `"}`) }

// numbered returns prefix + i + suffix, e.g. {"n":3,"msg":"hello"}.
func numbered(prefix string, i int, suffix string) []byte {
	b := append([]byte(prefix), strconv.Itoa(i)...)
	return append(b, suffix...)
}

// appendJSONString appends s as a JSON string. Control characters, quote and
// backslash are escaped; invalid UTF-8 becomes \ufffd so the result is always valid.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			dst = append(dst, s[:size]...)
		}
		s = s[size:]
	}
	return append(dst, '"')
}
