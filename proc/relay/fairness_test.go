package relay

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"golang.org/x/sys/unix"
)

// flood is n services that keep their stdout pipe full, relayed to a stdout
// sink that a slow reader drains by a fixed amount per turn of the loop.
type flood struct {
	t      *testing.T
	l      *loop.Loop
	o      *Output
	ws     []int    // write ends, nonblocking
	chunks [][]byte // what each service writes: whole lines, one pipe page
	lines  []int    // lines of each service taken by the reader
	full   bool     // the sink has been full after a turn's reads
}

// fairLine is the length of every line, newline included: a 1 KiB read
// holds exactly 16 lines, so every read is worth the same.
const fairLine = 64

func newFlood(t *testing.T, n int) *flood {
	l, err := loop.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := testOutput(LevelWarn, false)
	o.loop = l
	// Small reads and one-page pipes: many reads per service in little data.
	o.readBuf = make([]byte, 1024)
	f := &flood{t: t, l: l, o: o, lines: make([]int, n)}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%03d", i)
		_, w, err := o.NewSource(name, "run", true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sys.Close(w) })
		if _, err := unix.FcntlInt(uintptr(w), unix.F_SETPIPE_SZ, 4096); err != nil {
			t.Fatal(err)
		}
		if err := unix.SetNonblock(w, true); err != nil {
			t.Fatal(err)
		}
		line := name + strings.Repeat("x", fairLine-1-len(name)) + "\n"
		f.ws = append(f.ws, w)
		f.chunks = append(f.chunks, []byte(strings.Repeat(line, 4096/fairLine)))
	}
	return f
}

// refill tops every pipe up: one atomic page per write, until it is full.
func (f *flood) refill() {
	for i, w := range f.ws {
		for {
			if _, err := unix.Write(w, f.chunks[i]); err != nil {
				if err != unix.EAGAIN {
					f.t.Fatal(err)
				}
				break
			}
		}
	}
}

// turn is one turn of the loop (events, reads), then the reader takes up to
// max bytes of whole lines; count says whether they are tallied.
func (f *flood) turn(max int, count bool) int {
	f.refill()
	if _, err := f.l.Poll(time.Now()); err != nil {
		f.t.Fatal(err)
	}
	if f.o.HasReady() {
		f.o.ReadTurn()
	}
	f.full = f.full || f.o.backpressured()
	buf := f.o.stdout.buf
	n := bytes.LastIndexByte(buf[:min(max, len(buf))], '\n') + 1
	if count {
		f.tally(buf[:n])
	}
	f.o.stdout.buf = buf[:copy(buf, buf[n:])]
	return n
}

// tally counts the lines of each service in out: "<ts> sNNN/run: ...".
func (f *flood) tally(out []byte) {
	for len(out) > 0 {
		end := bytes.IndexByte(out, '\n')
		var i int
		if _, err := fmt.Sscanf(string(out[25:29]), "s%03d", &i); err != nil {
			f.t.Fatalf("line %q: %v", out[:end], err)
		}
		f.lines[i]++
		out = out[end+1:]
	}
}

// shares runs the flood with a reader slower than the services and returns
// each service's share of what the reader took, relative to a fair share.
func (f *flood) shares() []float64 {
	const readerPerTurn = 8 << 10 // far less than n full pipes
	// Warm up until the sink is full: from then on the reader sets the pace.
	for deadline := time.Now().Add(10 * time.Second); !f.full; {
		if time.Now().After(deadline) {
			f.t.Fatal("the sink never filled up")
		}
		f.turn(readerPerTurn, false)
	}
	// Measure over 40 reads' worth of lines per service.
	total := len(f.lines) * 40 * 1024
	for taken := 0; taken < total; {
		taken += f.turn(readerPerTurn, true)
	}
	sum := 0
	for _, n := range f.lines {
		sum += n
	}
	out := make([]float64, len(f.lines))
	for i, n := range f.lines {
		out[i] = float64(n) * float64(len(f.lines)) / float64(sum)
	}
	return out
}

// jain is Jain's fairness index: 1 when all shares are equal, 1/n when one
// service takes everything.
func jain(shares []float64) float64 {
	var sum, sq float64
	for _, s := range shares {
		sum += s
		sq += s * s
	}
	return sum * sum / (float64(len(shares)) * sq)
}

// Fan-in under backpressure: services flooding a slow reader each get
// their share of its output, within 10 %.
func TestFanInIsFairUnderBackpressure(t *testing.T) {
	for _, n := range []int{10, 100} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			shares := newFlood(t, n).shares()
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, s := range shares {
				lo, hi = math.Min(lo, s), math.Max(hi, s)
			}
			t.Logf("%d services: shares of the fair share from %.3f to %.3f, Jain index %.4f", n, lo, hi, jain(shares))
			if lo < 0.9 || hi > 1.1 {
				t.Errorf("shares %.2f", shares)
			}
		})
	}
}
