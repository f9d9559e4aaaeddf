package linebuf

import (
	"bytes"
	"testing"
)

// benchLine is the 85-byte JSON log line of the throughput goal.
const benchLine = `{"level":"info","msg":"request handled","path":"/api/v1/items","status":200,"ms":12}`

// readOfLines returns size bytes of newline-terminated benchLines; the last
// line is cut, as a real read cuts it.
func readOfLines(size int) []byte {
	lines := bytes.Repeat([]byte(benchLine+"\n"), size/(len(benchLine)+1)+1)
	return lines[:size]
}

// counter is an Emitter that counts, so that the work cannot be elided.
type counter struct{ lines, bytes int }

func (c *counter) Line(b []byte, _ Kind) bool { c.lines++; c.bytes += len(b); return true }

// BenchmarkSplit64KiB splits a continuous stream of 85-byte lines arriving in
// 64 KiB reads: the relay's hot path without formatting.
func BenchmarkSplit64KiB(b *testing.B) {
	const read = 64 << 10
	// A stream whose length is a multiple of both the line and the read, so
	// that cycling through it is one continuous stream.
	stream := bytes.Repeat([]byte(benchLine+"\n"), read)
	c := &counter{}
	var e Emitter = c
	var s Splitter
	b.SetBytes(read)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		off := i % (len(benchLine) + 1) * read
		s.Write(stream[off:off+read], e)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(c.lines), "ns/line")
}
