package fmtjson

// Status is the verdict of [Object].
type Status uint8

const (
	// Invalid: the line is not exactly one JSON object.
	Invalid Status = iota
	// Valid: one JSON object, valid UTF-8, no lone surrogate escape.
	Valid
	// ValidRepair: valid, but [AppendAugmented] repairs it: its strings hold
	// invalid UTF-8 bytes and/or lone surrogate escapes (see the package doc).
	ValidRepair
	// needDeep is internal: the scan stopped at nesting level 64 and must
	// resume with the deep stack attached.
	needDeep
)

// String returns the name of the constant.
func (s Status) String() string {
	switch s {
	case Invalid:
		return "Invalid"
	case Valid:
		return "Valid"
	case ValidRepair:
		return "ValidRepair"
	}
	return "Status(?)"
}

// Object decides in one pass whether line, once JSON whitespace is trimmed
// from both ends, is exactly one JSON object (RFC 8259, nesting at most
// [MaxDepth]), and returns the trimmed object. For Invalid, obj is nil.
//
// It accepts what encoding/json's Valid accepts, plus the requirement that
// the value be an object.
func Object(line []byte) (obj []byte, st Status) {
	obj = trimSpace(line)
	// Cheap first look: most lines that are not JSON fail here.
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return nil, Invalid
	}
	m := scan{b: obj}
	if st = m.run(); st == needDeep {
		st = m.runDeep()
	}
	if st == Invalid {
		return nil, Invalid
	}
	return obj, st
}

// runDeep resumes the scan with the deep stack attached. m is a copy, so the
// array's address stays within this frame and the array on the stack. It is
// not inlined so that Object's own frame stays small.
//
//go:noinline
func (m scan) runDeep() Status {
	var deep [deepWords]uint64
	m.stack.deep = &deep
	return m.run()
}
