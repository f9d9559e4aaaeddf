package main

import (
	"bytes"
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
	seq, names, err := count(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, seq, names)
	want := "lines 4\nservice x total 2 first-half-share 0.500\nservice y total 2 first-half-share 0.500\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
