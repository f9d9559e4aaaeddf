package fmtjson

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkAgainstJSON is the differential property shared by the tests and
// FuzzObject: Object agrees with encoding/json on what is one JSON object,
// says ValidRepair exactly for invalid UTF-8 or a lone surrogate escape, and
// AppendAugmented's output decodes to the input's members plus dinit's three
// fields, as one valid UTF-8 JSON object without lone surrogate escapes,
// ending in a newline.
func checkAgainstJSON(t testing.TB, line []byte) {
	t.Helper()
	obj, st := Object(line)
	trimmed := bytes.Trim(line, " \t\r\n")
	want := len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed)
	if (st != Invalid) != want {
		t.Fatalf("Object(%q) = %v; encoding/json says object=%v", line, st, want)
	}
	if !want {
		return
	}
	if !bytes.Equal(obj, trimmed) {
		t.Fatalf("Object(%q) returned %q, want %q", line, obj, trimmed)
	}
	needsRepair := !utf8.Valid(trimmed) || firstLoneSurrogate(trimmed) >= 0
	if (st == ValidRepair) != needsRepair {
		t.Fatalf("Object(%q) = %v but utf8.Valid = %v, first lone surrogate at %d",
			line, st, utf8.Valid(trimmed), firstLoneSurrogate(trimmed))
	}
	checkAugmented(t, obj, st)
}

// checkAugmented checks the output of AppendAugmented for a valid object.
func checkAugmented(t testing.TB, obj []byte, st Status) {
	t.Helper()
	meta := AppendMeta(nil, "wé\"b", "run")
	out := AppendAugmented(make([]byte, 0, 4), obj, st, meta, []byte(testStamp))
	if !utf8.Valid(out) || len(out) == 0 || out[len(out)-1] != '\n' {
		t.Fatalf("%q: output %q is not valid UTF-8 ending in a newline", obj, out)
	}
	if _, st2 := Object(out); st2 != Valid {
		t.Fatalf("%q: output %q is not a valid object: %v", obj, out, st2)
	}
	if at := firstLoneSurrogate(out); at >= 0 {
		t.Fatalf("%q: output %q has a lone surrogate escape at %d", obj, out, at)
	}
	got := decode(t, out)
	want := decode(t, obj)
	want["service"], want["stage"], want["logged"] = "wé\"b", "run", testStamp
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: output %q decodes to\n%v\nwant\n%v", obj, out, got, want)
	}
}

// decode decodes one object, keeping numbers as written.
func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

func TestDifferentialTables(t *testing.T) {
	for _, c := range objectCases {
		checkAgainstJSON(t, []byte(c.in))
	}
	for _, s := range seedLines {
		checkAgainstJSON(t, []byte(s))
	}
}

func TestDifferentialDepth(t *testing.T) {
	for _, d := range []int{64, 65, MaxDepth, MaxDepth + 1} {
		checkAgainstJSON(t, []byte(nest(d, func(l int) bool { return l%2 == 0 })))
	}
}

func TestDifferentialGenerated(t *testing.T) {
	n := 50000
	if testing.Short() {
		n = 5000
	}
	valid := 0
	for _, line := range corpus(42, n) {
		checkAgainstJSON(t, line)
		if _, st := Object(line); st != Invalid {
			valid++
		}
	}
	// The generator must keep producing both kinds, or the test proves little.
	if valid < n/4 || valid > n*3/4 {
		t.Errorf("%d of %d generated lines are valid objects", valid, n)
	}
}

// TestDifferentialEveryByte puts every byte value at every position class
// of a small object.
func TestDifferentialEveryByte(t *testing.T) {
	templates := []string{`{"a":"_"}`, `{"a":_}`, `{"a":1_}`, `{_"a":1}`, `{"a":[1_]}`, `{"a":"\_"}`, `{"a":1.5e_1}`, `_{}`, `{}_`,
		`{"a":"\ud800_"}`, `{"a":"\ud800\_"}`, `{"a":"\ud800\u_c00"}`, `{"a":"\u_800"}`}
	for _, tpl := range templates {
		for c := 0; c < 256; c++ {
			line := bytes.Replace([]byte(tpl), []byte("_"), []byte{byte(c)}, 1)
			checkAgainstJSON(t, line)
		}
	}
}
