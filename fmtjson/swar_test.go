package fmtjson

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// firstSpecial is the byte-by-byte model of specialInWord: the index of the
// first byte that is not plain string content, or 8.
func firstSpecial(w []byte) int {
	for i, c := range w {
		if !plainInString[c] {
			return i
		}
	}
	return 8
}

// swarFirst is what the scanner derives from specialInWord.
func swarFirst(w []byte) int {
	m := specialInWord(binary.LittleEndian.Uint64(w))
	if m == 0 {
		return 8
	}
	return bits.TrailingZeros64(m) >> 3
}

// TestSpecialInWordEveryByte puts every byte value at every position of an
// otherwise plain word, and every pair of special bytes in every order, to
// cover the borrows between bytes.
func TestSpecialInWordEveryByte(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := []byte("abcdefgh")
			w[pos] = byte(c)
			if got, want := swarFirst(w), firstSpecial(w); got != want {
				t.Fatalf("%q: got %d want %d", w, got, want)
			}
		}
	}
	specials := []byte{0x00, 0x1f, '"', '\\', 0x80, 0xa0, 0xff, 0x20, 0x7f, 0x21, 0x5d, 0x23}
	for p1 := 0; p1 < 8; p1++ {
		for p2 := 0; p2 < 8; p2++ {
			for _, c1 := range specials {
				for _, c2 := range specials {
					w := []byte("ABCDEFGH")
					w[p1], w[p2] = c1, c2
					if got, want := swarFirst(w), firstSpecial(w); got != want {
						t.Fatalf("%q: got %d want %d", w, got, want)
					}
				}
			}
		}
	}
}

func TestSpecialInWordRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	w := make([]byte, 8)
	for n := 0; n < 1_000_000; n++ {
		for i := range w {
			if r.IntN(3) == 0 {
				w[i] = byte(r.IntN(256))
			} else {
				w[i] = byte(0x20 + r.IntN(0x60))
			}
		}
		if got, want := swarFirst(w), firstSpecial(w); got != want {
			t.Fatalf("%q: got %d want %d", w, got, want)
		}
	}
}

// TestSkipPlainTail checks skipPlainTail and skipPlain from every starting
// point of buffers around the word size, with the special byte at every
// place or absent.
func TestSkipPlainTail(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for sp := -1; sp < n; sp++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'a' + byte(i)
			}
			if sp >= 0 {
				b[sp] = '"'
			}
			for i := 0; i <= n; i++ {
				want := i
				for want < n && plainInString[b[want]] {
					want++
				}
				if i >= n-7 {
					if got := skipPlainTail(b, i); got != want {
						t.Fatalf("%q from %d: got %d want %d", b, i, got, want)
					}
				}
				if got := skipPlain(b, i); got != want {
					t.Fatalf("skipPlain(%q, %d) = %d want %d", b, i, got, want)
				}
			}
		}
	}
}

// TestEscapeOrHighInWord checks escapeOrHighInWord against its byte model at
// every position, alone and in pairs (for the borrows), and skipToRepair
// from every start in buffers around the word size.
func TestEscapeOrHighInWord(t *testing.T) {
	isStop := func(c byte) bool { return c == '\\' || c >= 0x80 }
	first := func(w []byte) int {
		for i, c := range w {
			if isStop(c) {
				return i
			}
		}
		return 8
	}
	got := func(w []byte) int {
		return bits.TrailingZeros64(escapeOrHighInWord(binary.LittleEndian.Uint64(w))) >> 3
	}
	for p1 := 0; p1 < 8; p1++ {
		for p2 := 0; p2 < 8; p2++ {
			for c1 := 0; c1 < 256; c1++ {
				for _, c2 := range []byte{0x00, '\\', '[', ']', 0x7f, 0x80, 0xdc, 0xff} {
					w := []byte("ABCDEFGH")
					w[p2], w[p1] = c2, byte(c1)
					if g, want := got(w), first(w); g != want {
						t.Fatalf("%q: got %d want %d", w, g, want)
					}
				}
			}
		}
	}
	for n := 0; n <= 20; n++ {
		for sp := -1; sp < n; sp++ {
			b := []byte("abcdefghijklmnopqrst"[:n])
			if sp >= 0 {
				b[sp] = '\\'
			}
			for i := 0; i <= n; i++ {
				want := i
				for want < n && !isStop(b[want]) {
					want++
				}
				if g := skipToRepair(b, i); g != want {
					t.Fatalf("%q from %d: got %d want %d", b, i, g, want)
				}
			}
		}
	}
}
