package fmtjson

// scan is the state of one Object call: a pushdown automaton over the
// tokens of the line whose stack holds one bit per level. It can stop when
// the nesting outgrows the shallow stack and resume, so that the deep stack
// is only set up for lines that need it.
type scan struct {
	b      []byte
	i      int  // where the next value starts (on resume)
	repair bool // saw invalid UTF-8 or a lone surrogate escape in a string
	stack  bitStack
}

// run scans values from m.i to the end of the outer object and returns
// Valid, ValidRepair, Invalid, or needDeep with the state saved to resume.
//
// The grammar is walked as two nested loops instead of a state switch: the
// outer loop starts a value, the inner one handles what may follow a value
// (',' or closing brackets). Position and flags live in locals; the loops run
// once per token, never calling a function per byte.
func (m *scan) run() Status {
	b, i, repair := m.b, m.i, m.repair
	arr := m.stack.depth > 0 && m.stack.inArray()
	for {
		// A value starts at i (after skipping space).
		if i = skipSpace(b, i); i >= len(b) {
			return Invalid
		}
		switch c := b[i]; c {
		case '"':
			var r bool
			i, r = scanString(b, i+1)
			repair = repair || r
		case '{', '[':
			if !m.stack.push(c == '[') {
				return m.deeper(i, repair)
			}
			arr = c == '['
			if i = skipSpace(b, i+1); i >= len(b) {
				return Invalid
			}
			if b[i] == ']' && arr || b[i] == '}' && !arr {
				break // empty: the closer is handled below as after a value
			}
			if !arr {
				if i, repair = scanName(b, i, repair); i < 0 {
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
					i, repair = scanName(b, i+1, repair)
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
				return verdict(i == len(b), repair)
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
func scanName(b []byte, i int, repair bool) (int, bool) {
	if i = skipSpace(b, i); i >= len(b) || b[i] != '"' {
		return -1, repair
	}
	i, r := scanString(b, i+1)
	if i < 0 {
		return -1, repair
	}
	if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
		return -1, repair
	}
	return i + 1, repair || r
}

// deeper saves the state for runDeep, or rejects a line nested beyond
// MaxDepth.
func (m *scan) deeper(i int, repair bool) Status {
	if !m.stack.needsDeep() {
		return Invalid
	}
	m.i, m.repair = i, repair
	return needDeep
}

// verdict turns the end of the scan into a Status: the outer object must
// end the line.
func verdict(atEnd, repair bool) Status {
	switch {
	case !atEnd:
		return Invalid
	case repair:
		return ValidRepair
	}
	return Valid
}
