// Command benchcount reads dinit's JSON stdout and reports, per service,
// how many lines it relayed in all and within the first half of the output
// (while every service was still flooding), for the fairness benchmark, and
// the rate of the second half of the output by its "logged" timestamps: the
// steady state, once every service runs (the start of 100 services takes a
// good part of a short run).
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
)

var (
	key    = []byte(`"service":"`)
	logged = []byte(`"logged":"`)
)

func main() {
	seq, names, ms, err := count(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcount:", err)
		os.Exit(1)
	}
	report(os.Stdout, seq, names)
	reportRate(os.Stdout, ms)
}

// count returns the service of every line, in order (as an index into
// names: millions of lines are kept as one byte each), and the time each was
// logged, in milliseconds of the day.
func count(r io.Reader) (seq []uint8, names []string, ms []int32, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<21)
	index := map[string]uint8{}
	for sc.Scan() {
		b := sc.Bytes()
		i := bytes.Index(b, key)
		if i < 0 {
			continue
		}
		rest := b[i+len(key):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			continue
		}
		n, ok := index[string(rest[:j])]
		if !ok {
			if len(names) == 256 {
				return nil, nil, nil, fmt.Errorf("more than 256 services")
			}
			n = uint8(len(names))
			names = append(names, string(rest[:j]))
			index[names[n]] = n
		}
		seq = append(seq, n)
		ms = append(ms, loggedMs(b))
	}
	return seq, names, ms, sc.Err()
}

// loggedMs is the "logged" time of a line ("...T13:57:31.420Z") in
// milliseconds of the day, or -1.
func loggedMs(b []byte) int32 {
	i := bytes.Index(b, logged)
	if i < 0 || len(b) < i+len(logged)+24 {
		return -1
	}
	t := b[i+len(logged)+11 : i+len(logged)+23] // 13:57:31.420
	d := func(j, n int) int32 {
		v := int32(0)
		for _, c := range t[j : j+n] {
			v = v*10 + int32(c-'0')
		}
		return v
	}
	return ((d(0, 2)*60+d(3, 2))*60+d(6, 2))*1000 + d(9, 3)
}

// reportRate prints the lines per second of the second half of the output.
func reportRate(w io.Writer, ms []int32) {
	if len(ms) < 2 || ms[len(ms)/2] < 0 || ms[len(ms)-1] <= ms[len(ms)/2] {
		fmt.Fprintln(w, "second-half-rate 0")
		return
	}
	n := len(ms) - len(ms)/2
	fmt.Fprintf(w, "second-half-rate %.0f\n", float64(n)/(float64(ms[len(ms)-1]-ms[len(ms)/2])/1e3))
}

func report(w io.Writer, seq []uint8, names []string) {
	total, half := make([]int, len(names)), make([]int, len(names))
	for i, n := range seq {
		total[n]++
		if i < len(seq)/2 {
			half[n]++
		}
	}
	byName := make([]int, len(names))
	for i := range byName {
		byName[i] = i
	}
	sort.Slice(byName, func(a, b int) bool { return names[byName[a]] < names[byName[b]] })
	fmt.Fprintf(w, "lines %d\n", len(seq))
	for _, n := range byName {
		share := 0.0
		if len(seq) > 1 {
			share = float64(half[n]) / float64(len(seq)/2)
		}
		fmt.Fprintf(w, "service %s total %d first-half-share %.4f\n", names[n], total[n], share)
	}
}
