package fmtjson

// scan is the state of one Object call: a pushdown automaton over the
// tokens of the line whose stack holds one bit per level. It can stop when
// the nesting outgrows the shallow stack and resume, so that the deep stack
// is only set up for lines that need it.
type scan struct {
	b     []byte
	i     int  // where the next value starts (on resume)
	bad   bool // saw invalid UTF-8 in a string
	stack bitStack
}

// run scans values from m.i to the end of the outer object and returns
// Valid, ValidBadUTF8, Invalid, or needDeep with the state saved to resume.
//
// The grammar is walked as two nested loops instead of a state switch: the
// outer loop starts a value, the inner one handles what may follow a value
// (',' or closing brackets). Position and flags live in locals; the loops run
// once per token, never calling a function per byte.
func (m *scan) run() Status {
	b, i, bad := m.b, m.i, m.bad
	arr := m.stack.depth > 0 && m.stack.inArray()
	for {
		// A value starts at i (after skipping space).
		if i = skipSpace(b, i); i >= len(b) {
			return Invalid
		}
		switch c := b[i]; c {
		case '"':
			var badStr bool
			i, badStr = scanString(b, i+1)
			bad = bad || badStr
		case '{', '[':
			if !m.stack.push(c == '[') {
				return m.deeper(i, bad)
			}
			arr = c == '['
			if i = skipSpace(b, i+1); i >= len(b) {
				return Invalid
			}
			if b[i] == ']' && arr || b[i] == '}' && !arr {
				break // empty: the closer is handled below as after a value
			}
			if !arr {
				if i, bad = scanName(b, i, bad); i < 0 {
					return Invalid
				}
			}
			continue // the first value of the container
		default:
			i = scanScalar(b, i)
		}
		// After a value: a separator starts the next value, or closers end
		// containers.
		for {
			if i < 0 {
				return Invalid
			}
			if i = skipSpace(b, i); i >= len(b) {
				return Invalid
			}
			c := b[i]
			if c == ',' {
				if !arr {
					i, bad = scanName(b, i+1, bad)
				} else {
					i++
				}
				break
			}
			if c != ']' && c != '}' || (c == ']') != arr {
				return Invalid
			}
			i++
			if m.stack.pop() == 0 {
				return verdict(i == len(b), bad)
			}
			arr = m.stack.inArray()
		}
		if i < 0 {
			return Invalid
		}
	}
}

// scanName scans a member name and the ':' after it, from i (before any
// space), returning the index past the ':', or -1.
func scanName(b []byte, i int, bad bool) (int, bool) {
	if i = skipSpace(b, i); i >= len(b) || b[i] != '"' {
		return -1, bad
	}
	i, badStr := scanString(b, i+1)
	if i < 0 {
		return -1, bad
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return -1, bad
	}
	return i + 1, bad || badStr
}

// deeper saves the state for runDeep, or rejects a line nested beyond
// MaxDepth.
func (m *scan) deeper(i int, bad bool) Status {
	if !m.stack.needsDeep() {
		return Invalid
	}
	m.i, m.bad = i, bad
	return needDeep
}

// verdict turns the end of the scan into a Status: the outer object must
// end the line.
func verdict(atEnd, bad bool) Status {
	switch {
	case !atEnd:
		return Invalid
	case bad:
		return ValidBadUTF8
	}
	return Valid
}
