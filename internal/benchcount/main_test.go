package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestCountAndReport(t *testing.T) {
	in := `{"a":1,"service":"x","stage":"run"}
{"service":"y","stage":"run"}
not json
{"service":"x"}
{"service":"y"}
`
	seq, names, _, err := count(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, seq, names)
	want := "lines 4\nservice x total 2 first-half-share 0.5000\nservice y total 2 first-half-share 0.5000\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}

func TestRateOfTheSecondHalf(t *testing.T) {
	in := `{"service":"x","logged":"2026-11-29T23:59:58.000Z"}
{"service":"x","logged":"2026-11-29T23:59:59.000Z"}
{"service":"x","logged":"2026-11-29T23:59:59.500Z"}
{"service":"x","logged":"2026-11-29T23:59:59.750Z"}
`
	_, _, ms, err := count(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{86398000, 86399000, 86399500, 86399750}; !slices.Equal(ms, want) {
		t.Fatalf("got %v, want %v", ms, want)
	}
	var out bytes.Buffer
	reportRate(&out, ms)
	if want := "second-half-rate 8\n"; out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
