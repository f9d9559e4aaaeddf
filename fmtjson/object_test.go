package fmtjson

import (
	"strings"
	"testing"
)

// objectCases are exact verdicts; obj is the expected trimmed object (empty
// when Invalid).
var objectCases = []struct {
	in  string
	obj string
	st  Status
}{
	// The examples of the brief and the spec.
	{`  {"msg":"hi"}  `, `{"msg":"hi"}`, Valid},
	{`{}`, `{}`, Valid},
	{`{ }`, `{ }`, Valid},
	{"{\t\r\n }", "{\t\r\n }", Valid},
	{`{"a":"}"}`, `{"a":"}"}`, Valid},
	{`{not json}`, ``, Invalid},
	{`[1]`, ``, Invalid},
	{`"x"`, ``, Invalid},
	{`{"a":1} {}`, ``, Invalid},
	{`{"a":1}x`, ``, Invalid},
	{`{"a":01}`, ``, Invalid},
	{`{"a":1.}`, ``, Invalid},
	{"{\"a\":\"\x01\"}", ``, Invalid},
	// Whitespace and trimming.
	{"\t {\"a\":1}\r\n", `{"a":1}`, Valid},
	{"{\"a\":1}\r", `{"a":1}`, Valid},
	{` { "a" : 1 , "b" : [ 1 , 2 ] } `, `{ "a" : 1 , "b" : [ 1 , 2 ] }`, Valid},
	{"\v{}", ``, Invalid}, // \v is not JSON whitespace
	{"{}\f", ``, Invalid},
	{"\u00a0{}", ``, Invalid},
	{``, ``, Invalid},
	{`   `, ``, Invalid},
	{`{`, ``, Invalid},
	{`}`, ``, Invalid},
	{`{}}`, ``, Invalid},
	{`{{}}`, ``, Invalid},
	{`{"a"}`, ``, Invalid},
	{`{"a":}`, ``, Invalid},
	{`{"a" 1}`, ``, Invalid},
	{`{a:1}`, ``, Invalid},
	{`{'a':1}`, ``, Invalid},
	{`{"a":1,}`, ``, Invalid},
	{`{,"a":1}`, ``, Invalid},
	{`{"a":1,,"b":2}`, ``, Invalid},
	{`{"a":1 "b":2}`, ``, Invalid},
	{`{"a":1}{"b":2}`, ``, Invalid},
	{`{"a":[1,2}`, ``, Invalid},
	{`{"a":[1,2]]}`, ``, Invalid},
	{`{"a":{"b":1]}`, ``, Invalid},
	{`{"a":[}`, ``, Invalid},
	{`{"a":[,1]}`, ``, Invalid},
	{`{"a":[1,]}`, ``, Invalid},
	{`{"a":"x"}"}`, ``, Invalid},
	{`{"a":"unterminated}`, ``, Invalid},
	{`{"a":1}   x}`, ``, Invalid},
	// Nested containers.
	{`{"a":[]}`, `{"a":[]}`, Valid},
	{`{"a":[[],[[]],{}]}`, `{"a":[[],[[]],{}]}`, Valid},
	{`{"a":{"b":{"c":[1,{"d":null}]}}}`, `{"a":{"b":{"c":[1,{"d":null}]}}}`, Valid},
	{`{"a":[ ]}`, `{"a":[ ]}`, Valid},
	// Literals.
	{`{"t":true,"f":false,"n":null}`, `{"t":true,"f":false,"n":null}`, Valid},
	{`{"t":tru}`, ``, Invalid},
	{`{"t":True}`, ``, Invalid},
	{`{"t":nul}`, ``, Invalid},
	{`{"t":nulll}`, ``, Invalid},
	{`{"t":truefalse}`, ``, Invalid},
	{`{"t":undefined}`, ``, Invalid},
	{`{"t":NaN}`, ``, Invalid},
	// Numbers.
	{`{"n":0}`, `{"n":0}`, Valid},
	{`{"n":-0}`, `{"n":-0}`, Valid},
	{`{"n":-0.0e-0}`, `{"n":-0.0e-0}`, Valid},
	{`{"n":123456789012345678901234567890}`, `{"n":123456789012345678901234567890}`, Valid},
	{`{"n":1.5E+10}`, `{"n":1.5E+10}`, Valid},
	{`{"n":1e5}`, `{"n":1e5}`, Valid},
	{`{"n":[0,1,-1,0.5,10.25e3]}`, `{"n":[0,1,-1,0.5,10.25e3]}`, Valid},
	{`{"n":-}`, ``, Invalid},
	{`{"n":+1}`, ``, Invalid},
	{`{"n":.5}`, ``, Invalid},
	{`{"n":00}`, ``, Invalid},
	{`{"n":-01}`, ``, Invalid},
	{`{"n":1.e5}`, ``, Invalid},
	{`{"n":1e}`, ``, Invalid},
	{`{"n":1e+}`, ``, Invalid},
	{`{"n":1E-}`, ``, Invalid},
	{`{"n":0x10}`, ``, Invalid},
	{`{"n":1_000}`, ``, Invalid},
	{`{"n":Infinity}`, ``, Invalid},
	{`{"n":--1}`, ``, Invalid},
	{`{"n":1.5.5}`, ``, Invalid},
	// Strings and escapes.
	{`{"s":"\"\\\/\b\f\n\r\t"}`, `{"s":"\"\\\/\b\f\n\r\t"}`, Valid},
	{`{"s":"\u00e9\u20AC\ud83d\ude00"}`, `{"s":"\u00e9\u20AC\ud83d\ude00"}`, Valid},
	{`{"s":"\u12"}`, ``, Invalid},
	{`{"s":"\u12G4"}`, ``, Invalid},
	{`{"s":"\x41"}`, ``, Invalid},
	{`{"s":"\a"}`, ``, Invalid},
	{`{"s":"\'"}`, ``, Invalid},
	{`{"s":"\`, ``, Invalid},
	{`{"s":"\"}`, ``, Invalid},
	{"{\"s\":\"tab\there\"}", ``, Invalid},
	{"{\"s\":\"nl\nhere\"}", ``, Invalid},
	{"{\"s\":\"\x1f\"}", ``, Invalid},
	{"{\"s\":\"\x7f\"}", "{\"s\":\"\x7f\"}", Valid}, // DEL is allowed raw
	{`{"":""}`, `{"":""}`, Valid},
	{`{"s":"żółw 🐢 日本語"}`, `{"s":"żółw 🐢 日本語"}`, Valid},
	{"{\"s\":\"a long plain string that crosses several eight-byte words\"}", "{\"s\":\"a long plain string that crosses several eight-byte words\"}", Valid},
	{`{"k\"ey":1}`, `{"k\"ey":1}`, Valid},
	{"{\"ke\x02y\":1}", ``, Invalid},
	// Invalid UTF-8: still an object, to be repaired.
	{"{\"s\":\"\xff\"}", "{\"s\":\"\xff\"}", ValidRepair},
	{"{\"s\xc3\":1}", "{\"s\xc3\":1}", ValidRepair},
	{"{\"s\":\"\xed\xa0\x80\"}", "{\"s\":\"\xed\xa0\x80\"}", ValidRepair}, // an encoded surrogate
	{"{\"s\":\"\xc0\xaf\"}", "{\"s\":\"\xc0\xaf\"}", ValidRepair},         // overlong '/'
	{"{\"s\":\"\xe2\x82\"}", "{\"s\":\"\xe2\x82\"}", ValidRepair},         // truncated €
	// Lone surrogate escapes: valid JSON, to be repaired; pairs are fine.
	{`{"s":"\ud800"}`, `{"s":"\ud800"}`, ValidRepair},
	{`{"s":"\udc00"}`, `{"s":"\udc00"}`, ValidRepair},
	{`{"s":"\ud800\u0041"}`, `{"s":"\ud800\u0041"}`, ValidRepair},
	{`{"s":"\ud800\ud800\udc00"}`, `{"s":"\ud800\ud800\udc00"}`, ValidRepair},
	{`{"s":"\ud800\udc00\udc00"}`, `{"s":"\ud800\udc00\udc00"}`, ValidRepair},
	{`{"s":"\ud800x\udc00"}`, `{"s":"\ud800x\udc00"}`, ValidRepair},
	{`{"s":"\udc00\ud800"}`, `{"s":"\udc00\ud800"}`, ValidRepair},
	{`{"s":"\\\ud800"}`, `{"s":"\\\ud800"}`, ValidRepair},
	{`{"\udbff":1}`, `{"\udbff":1}`, ValidRepair},
	{`{"s":"\\ud800"}`, `{"s":"\\ud800"}`, Valid}, // an escaped backslash, then text
	{`{"s":"\uD83D\uDE00"}`, `{"s":"\uD83D\uDE00"}`, Valid},
	{`{"s":"\udbff\udfff\ud7ff\ue000"}`, `{"s":"\udbff\udfff\ud7ff\ue000"}`, Valid},
	{`{"s":"\ud800\u12G4"}`, ``, Invalid},
	{`{"s":"\ud800\u"}`, ``, Invalid},
	{`{"s":"\ud800\"}`, ``, Invalid},
	{`{"s":"\ud800`, ``, Invalid},
	{"{\"s\":1}\xff", ``, Invalid},
	{"{\"s\":1\xff}", ``, Invalid},
	{"{\xff:1}", ``, Invalid},
}

func TestObjectCases(t *testing.T) {
	for _, c := range objectCases {
		obj, st := Object([]byte(c.in))
		if string(obj) != c.obj || st != c.st {
			t.Errorf("Object(%q) = %q, %v; want %q, %v", c.in, obj, st, c.obj, c.st)
		}
	}
}

// TestObjectReturnsSubslice checks that obj is the caller's bytes, not a copy.
func TestObjectReturnsSubslice(t *testing.T) {
	line := []byte(`  {"a":1}  `)
	obj, _ := Object(line)
	if &obj[0] != &line[2] || len(obj) != 7 {
		t.Errorf("obj is not line[2:9]")
	}
}

// nest returns an object nested depth levels deep (the outer object counts),
// the inner levels alternating arrays and objects as kinds says.
func nest(depth int, kinds func(level int) bool) string {
	var open, close strings.Builder
	open.WriteString(`{"a":`)
	closers := []string{"}"}
	for l := 1; l < depth; l++ {
		if kinds(l) {
			open.WriteString(`[0,`)
			closers = append(closers, "]")
		} else {
			open.WriteString(`{"b":1,"c":`)
			closers = append(closers, "}")
		}
	}
	open.WriteString("0")
	for i := len(closers) - 1; i >= 0; i-- {
		close.WriteString(closers[i])
	}
	return open.String() + close.String()
}

func TestObjectDepth(t *testing.T) {
	kinds := map[string]func(int) bool{
		"arrays":      func(int) bool { return true },
		"objects":     func(int) bool { return false },
		"alternating": func(l int) bool { return l%2 == 0 },
		"irregular":   func(l int) bool { return l%3 == 0 || l%7 == 0 },
	}
	depths := []int{1, 2, 63, 64, 65, 66, 127, 128, 129, 130, 1000, MaxDepth - 1, MaxDepth, MaxDepth + 1, MaxDepth + 64}
	for name, kind := range kinds {
		for _, d := range depths {
			_, st := Object([]byte(nest(d, kind)))
			want := Valid
			if d > MaxDepth {
				want = Invalid
			}
			if st != want {
				t.Errorf("%s, depth %d: %v, want %v", name, d, st, want)
			}
		}
	}
}

// TestObjectDepthWrongCloser swaps one closing bracket at each level around
// the shallow/deep boundary: the bit stack must remember every level's kind.
func TestObjectDepthWrongCloser(t *testing.T) {
	kind := func(l int) bool { return l%3 == 0 || l%5 == 0 }
	const depth = 200
	good := nest(depth, kind)
	closeAt := len(good) - depth // the closers are the last depth bytes
	for i := closeAt; i < len(good)-1; i++ {
		b := []byte(good)
		if b[i] == ']' {
			b[i] = '}'
		} else {
			b[i] = ']'
		}
		if _, st := Object(b); st != Invalid {
			t.Fatalf("closer %d swapped: %v", i-closeAt, st)
		}
	}
}

func TestStatusString(t *testing.T) {
	for st, want := range map[Status]string{Invalid: "Invalid", Valid: "Valid", ValidRepair: "ValidRepair", 7: "Status(?)"} {
		if st.String() != want {
			t.Errorf("%d: %q", st, st.String())
		}
	}
}
