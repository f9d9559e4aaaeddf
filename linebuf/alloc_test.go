//go:build !race

package linebuf

import "testing"

// nop is an Emitter that does nothing, held in an interface variable as the
// event loop holds its emitter.
type nop struct{}

func (nop) Line([]byte, Kind) bool { return true }

// TestWriteDoesNotAllocate covers the steady state of a busy pipe: reads
// whose last line straddles into the next read, so the pooled storage is
// taken and returned on every read.
func TestWriteDoesNotAllocate(t *testing.T) {
	var e Emitter = nop{}
	read := readOfLines(64 << 10)
	var s Splitter
	s.Write(read, e) // warm the pool
	if n := testing.AllocsPerRun(1000, func() { s.Write(read, e) }); n != 0 {
		t.Errorf("Write allocates %v times per read", n)
	}
}

func TestOverlongDoesNotAllocate(t *testing.T) {
	var e Emitter = nop{}
	read := []byte("0123456789abcdef0123456789\nxyz0123456789")
	var s Splitter
	s.Init(8)
	s.Write(read, e)
	if n := testing.AllocsPerRun(1000, func() { s.Write(read, e) }); n != 0 {
		t.Errorf("Write allocates %v times per read", n)
	}
}
