package fmtjson

// AppendAugmented appends obj, an object accepted by [Object] with status
// st, with dinit's fields inserted before its closing brace, then '\n':
//
//	obj without '}' + "," (unless obj has no members) + meta + ts + `"}`
//
// meta comes from [AppendMeta] and ts from [Clock.Bytes]. Whitespace before
// the closing brace is dropped, so `{ }` gives `{"service":...}`. For
// ValidRepair each byte that is not valid UTF-8 is replaced by U+FFFD and
// each lone surrogate escape by \ufffd (see the package doc). For Invalid
// nothing is appended: such a line goes to stderr instead.
func AppendAugmented(dst, obj []byte, st Status, meta, ts []byte) []byte {
	if st != Valid && st != ValidRepair || len(obj) < 2 {
		return dst
	}
	// The last non-space byte before the closing brace ends the last member,
	// or is the opening brace itself: no value ends in '{'.
	body := trimRightSpace(obj[:len(obj)-1])
	if st == ValidRepair {
		dst = appendRepaired(dst, body)
	} else {
		dst = append(dst, body...)
	}
	if body[len(body)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, meta...)
	dst = append(dst, ts...)
	return append(dst, '"', '}', '\n')
}

// AppendPrefixed appends the plain form of a line, `<ts> <source>: <line>`
// and '\n', where source is precomputed by the caller (e.g. "web/run").
func AppendPrefixed(dst, ts, source, line []byte) []byte {
	dst = append(dst, ts...)
	dst = append(dst, ' ')
	dst = append(dst, source...)
	dst = append(dst, ':', ' ')
	dst = append(dst, line...)
	return append(dst, '\n')
}
