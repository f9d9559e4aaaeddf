package linebuf_test

import (
	"fmt"

	"github.com/dinit-dev/dinit/linebuf"
)

type printer struct{}

func (printer) Line(b []byte, k linebuf.Kind) bool { fmt.Printf("%v %q\n", k, b); return true }

func ExampleSplitter() {
	var s linebuf.Splitter
	s.Init(8)
	s.Write([]byte("hello\r\nwor"), printer{})
	s.Write([]byte("ld\n\nan overlong line\nbye"), printer{})
	s.Close(printer{})
	// Output:
	// Whole "hello"
	// Whole "world"
	// FirstPiece "an overl"
	// Piece "ong line"
	// Whole "bye"
}
