package proc

import "strconv"

// appendf is the small printf our messages need: %d (int), %s and %v
// (string, []byte, error or a String method), %q (quoted string), %%. fmt would
// bring reflect and about 300 KiB into a binary meant for FROM scratch images.
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
	if verb == 'q' {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}
