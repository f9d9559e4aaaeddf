// Command benchcount reads dinit's JSON stdout and reports, per service,
// how many lines it relayed in all and within the first half of the output
// (while every service was still flooding), for the fairness benchmark.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
)

var key = []byte(`"service":"`)

func main() {
	seq, names, err := count(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcount:", err)
		os.Exit(1)
	}
	report(os.Stdout, seq, names)
}

// count returns the service of every line, in order (as an index into
// names: millions of lines are kept as one byte each).
func count(r io.Reader) (seq []uint8, names []string, err error) {
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
				return nil, nil, fmt.Errorf("more than 256 services")
			}
			n = uint8(len(names))
			names = append(names, string(rest[:j]))
			index[names[n]] = n
		}
		seq = append(seq, n)
	}
	return seq, names, sc.Err()
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
		fmt.Fprintf(w, "service %s total %d first-half-share %.3f\n", names[n], total[n], share)
	}
}
