package linebuf

import (
	"strings"
	"testing"
)

// FuzzSplitter feeds a stream in reads whose sizes come from chunks, with a
// small limit so that overlong lines are common and an emitter that asks to
// stop on the calls set in stops, and checks the lines against
// the bytes.Split reference and the storage bound (the recorder and split
// check the bound during and after every write).
func FuzzSplitter(f *testing.F) {
	seeds := []string{
		sample,
		"",
		"\n",
		"\r\n\r\n",
		"a\r\r\n",
		"12345678\r\n",
		"123456789\r\n",
		strings.Repeat("abcdefgh", 3) + "12345\nnext",
		"no newline at all",
		strings.Repeat("x", 300) + "\r",
	}
	for _, s := range seeds {
		f.Add([]byte(s), []byte{1, 7, 0, 64, 3}, uint8(8), uint64(0))
		f.Add([]byte(s), []byte{255}, uint8(0), uint64(0b1011))
		f.Add([]byte(s), []byte{5}, uint8(3), ^uint64(0))
	}
	f.Fuzz(func(t *testing.T, stream, chunks []byte, limit uint8, stops uint64) {
		lim := int(limit)%64 + 1
		got := splitStopping(t, stream, lim, stops, sizes(chunks, len(stream))...)
		if ok, diff := same(got, reference(stream, lim)); !ok {
			t.Fatalf("limit %d, chunks %v:\n%s", lim, chunks, diff)
		}
	})
}

// sizes turns the fuzzer's chunk bytes into read sizes covering n bytes,
// repeating them cyclically (a 0 is an empty read, which must be harmless).
func sizes(chunks []byte, n int) []int {
	if len(chunks) == 0 {
		return nil
	}
	var out []int
	for i, done := 0, 0; done < n && i < 4*n+len(chunks); i++ {
		c := int(chunks[i%len(chunks)])
		out = append(out, c)
		done += c
	}
	return out
}
