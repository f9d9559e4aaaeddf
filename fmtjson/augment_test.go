package fmtjson

import (
	"testing"
	"unicode/utf8"
)

const testStamp = "2026-11-28T13:57:31.420Z"

// augment runs Object and AppendAugmented as the relay does.
func augment(line, service, stage string) (string, Status) {
	obj, st := Object([]byte(line))
	meta := AppendMeta(nil, service, stage)
	return string(AppendAugmented(nil, obj, st, meta, []byte(testStamp))), st
}

func TestAppendAugmented(t *testing.T) {
	const tail = `"service":"web","stage":"run","logged":"` + testStamp + `"}` + "\n"
	cases := []struct{ in, want string }{
		{`{"msg":"hi"}`, `{"msg":"hi",` + tail},
		{`  {"msg":"hi"}  `, `{"msg":"hi",` + tail},
		{`{}`, `{` + tail},
		{`{ }`, `{` + tail},
		{"{\t\r\n}", `{` + tail},
		{`{"a":1 }`, `{"a":1,` + tail},
		{`{ "a" : [ 1 ] }`, `{ "a" : [ 1 ],` + tail},
		{`{"a":{}}`, `{"a":{},` + tail},
		{`{"a":"{"}`, `{"a":"{",` + tail},
		{`{"a":"}"}`, `{"a":"}",` + tail},
		{`{"service":"old"}`, `{"service":"old",` + tail},
		{"{\"s\":\"\xff\"}", "{\"s\":\"\uFFFD\"," + tail},
		{"{\"s\":\"a\xffb\xfe\xfdc\"}", "{\"s\":\"a\uFFFDb\uFFFD\uFFFDc\"," + tail},
		{"{\"s\":\"\xed\xa0\x80\"}", "{\"s\":\"\uFFFD\uFFFD\uFFFD\"," + tail},
		{"{\"s\":\"\xe2\x82\"}", "{\"s\":\"\uFFFD\uFFFD\"," + tail},
		{"{\"s\xc3\":\"ok é\"}", "{\"s\uFFFD\":\"ok é\"," + tail},
	}
	for _, c := range cases {
		got, _ := augment(c.in, "web", "run")
		if got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("%q: output is not valid UTF-8", c.in)
		}
	}
}

// TestAppendAugmentedSurrogates: each lone surrogate escape becomes \ufffd,
// pairs and escaped backslashes stay as written.
func TestAppendAugmentedSurrogates(t *testing.T) {
	const tail = `"service":"web","stage":"run","logged":"` + testStamp + `"}` + "\n"
	cases := []struct {
		in, want string
		st       Status
	}{
		{`{"a":"\ud800"}`, `{"a":"\ufffd",` + tail, ValidRepair},
		{`{"a":"\udc00"}`, `{"a":"\ufffd",` + tail, ValidRepair},
		{`{"a":"\uDBFF"}`, `{"a":"\ufffd",` + tail, ValidRepair},
		{`{"a":"\ud800\u0041"}`, `{"a":"\ufffd\u0041",` + tail, ValidRepair},
		{`{"a":"\ud800\ud800\udc00"}`, `{"a":"\ufffd\ud800\udc00",` + tail, ValidRepair},
		{`{"a":"\ud800\udc00\udc00"}`, `{"a":"\ud800\udc00\ufffd",` + tail, ValidRepair},
		{`{"a":"\udc00\ud800"}`, `{"a":"\ufffd\ufffd",` + tail, ValidRepair},
		{`{"a":"\ud800x\udc00"}`, `{"a":"\ufffdx\ufffd",` + tail, ValidRepair},
		{`{"a":"\\\ud800"}`, `{"a":"\\\ufffd",` + tail, ValidRepair},
		{`{"a":"\"\ud800\/"}`, `{"a":"\"\ufffd\/",` + tail, ValidRepair},
		{`{"\ud800":"x"}`, `{"\ufffd":"x",` + tail, ValidRepair},
		{`{"a":"0123456789\ud800abcdefgh","b":[1,"\udfff"]}`, `{"a":"0123456789\ufffdabcdefgh","b":[1,"\ufffd"],` + tail, ValidRepair},
		{"{\"a\":\"\xff\\ud800é\\uD83D\\uDE00\"}", "{\"a\":\"\uFFFD\\ufffdé\\uD83D\\uDE00\"," + tail, ValidRepair},
		{`{"a":"\\ud800"}`, `{"a":"\\ud800",` + tail, Valid},
		{`{"a":"\uD83D\uDE00"}`, `{"a":"\uD83D\uDE00",` + tail, Valid},
	}
	for _, c := range cases {
		got, st := augment(c.in, "web", "run")
		if got != c.want || st != c.st {
			t.Errorf("%s:\n got %s (%v)\nwant %s (%v)", c.in, got, st, c.want, c.st)
		}
	}
}

func TestAppendAugmentedEscapesService(t *testing.T) {
	got, _ := augment(`{}`, "we\"b\x01", "run")
	want := `{"service":"we\"b\u0001","stage":"run","logged":"` + testStamp + `"}` + "\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestAppendAugmentedInvalidAppendsNothing(t *testing.T) {
	dst := []byte("keep")
	out := AppendAugmented(dst, []byte(`{not json}`), Invalid, []byte("m"), []byte("t"))
	if string(out) != "keep" {
		t.Errorf("got %q", out)
	}
	if out := AppendAugmented(dst, []byte(`{`), Valid, nil, nil); string(out) != "keep" {
		t.Errorf("short obj: got %q", out)
	}
}

func TestAppendAugmentedAppends(t *testing.T) {
	obj, st := Object([]byte(`{"a":1}`))
	out := AppendAugmented([]byte("prev\n"), obj, st, []byte(`"m":"`), []byte("T"))
	if want := "prev\n" + `{"a":1,"m":"T"}` + "\n"; string(out) != want {
		t.Errorf("got %q want %q", out, want)
	}
}

func TestAppendMeta(t *testing.T) {
	got := string(AppendMeta([]byte("x"), "web", "run"))
	if want := `x"service":"web","stage":"run","logged":"`; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestAppendPrefixed(t *testing.T) {
	got := string(AppendPrefixed([]byte("x"), []byte(testStamp), []byte("web/run"), []byte("hello world")))
	if want := "x" + testStamp + " web/run: hello world\n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	got = string(AppendPrefixed(nil, []byte(testStamp), []byte("sleep/42"), nil))
	if want := testStamp + " sleep/42: \n"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}
