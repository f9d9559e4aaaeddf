package fmtjson

// MaxDepth is the deepest nesting of objects and arrays that [Object]
// accepts, counting the outer object: the limit of encoding/json, so that
// both agree on what is valid.
const MaxDepth = 10000

// shallowLevels is how many levels live in the word every scan starts with.
const shallowLevels = 64

// deepWords holds one bit for each level beyond the shallow word.
const deepWords = (MaxDepth - shallowLevels + 63) / 64

// bitStack records, for each open container, whether it is an array. The
// first 64 levels live in one word; the 1.2 KB needed for the rest is
// attached only by the rare line that nests deeper (see Object), so that the
// common line does not pay for zeroing it on every call. Both live on the
// goroutine stack, never the heap.
type bitStack struct {
	depth int
	word  uint64
	deep  *[deepWords]uint64
}

// push opens a container. It reports false, changing nothing, when the
// depth would exceed MaxDepth or the deep storage is needed but absent.
func (s *bitStack) push(array bool) bool {
	w, bit := &s.word, s.depth
	if s.depth >= shallowLevels {
		if s.depth >= MaxDepth || s.deep == nil {
			return false
		}
		l := s.depth - shallowLevels
		w, bit = &s.deep[l/64], l%64
	}
	if array {
		*w |= 1 << bit
	} else {
		*w &^= 1 << bit
	}
	s.depth++
	return true
}

// pop closes the innermost container and returns the new depth.
func (s *bitStack) pop() int {
	s.depth--
	return s.depth
}

// inArray reports whether the innermost open container is an array.
func (s *bitStack) inArray() bool {
	l := s.depth - 1
	if l < shallowLevels {
		return s.word>>l&1 == 1
	}
	l -= shallowLevels
	return s.deep[l/64]>>(l%64)&1 == 1
}

// needsDeep reports whether push failed for want of the deep storage.
func (s *bitStack) needsDeep() bool {
	return s.depth == shallowLevels && s.deep == nil
}
