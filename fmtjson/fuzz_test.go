package fmtjson

import "testing"

// seedLines are real stdout lines and edge cases: JSON application logs,
// plain-text logs that are not JSON, and the tricky objects of the tests.
var seedLines = []string{
	`{"level":"info","msg":"request handled","path":"/api/v1/items","status":200,"ms":12}`,
	`{"time":"2026-11-28T13:57:31.420Z","level":"ERROR","msg":"db: connection refused","attempt":3,"err":{"op":"dial","addr":"10.0.0.5:5432"}}`,
	`{"ts":1764338251.42,"caller":"server/main.go:42","msg":"listening","addrs":["0.0.0.0:8080","[::]:8080"],"tls":false,"pid":null}`,
	`{"@timestamp":"2026-11-28T13:57:31Z","log.level":"warn","message":"slow query \"SELECT 1\"","duration_ms":1.5e3}`,
	`172.17.0.1 - - [28/Nov/2026:13:57:31 +0000] "GET /api/v1/items HTTP/1.1" 200 5123 "-" "curl/8.5.0"`,
	`panic: runtime error: index out of range [5] with length 3`,
	"\t/src/main.go:12 +0x1d",
	`goroutine 1 [running]:`,
	`{}`, `{ }`, `{"a":"}"}`, `{not json}`, `[1]`, `"x"`, `{"a":1} {}`, `{"a":1}x`, `{"a":01}`, `{"a":1.}`,
	"{\"a\":\"\x01\"}", `  {"msg":"hi"}  `, "{\"s\":\"\xff\xfe\"}", `{"u":"\ud83d\ude00\u00e9"}`,
	`{"n":[-0,0.5e-10,1E+2,123456789012345678901234567890]}`, `{"a":[[[[{}]]]]}`,
	`{"a":"\ud800"}`, `{"a":"\udc00"}`, `{"a":"\ud800\u0041"}`, `{"a":"\ud800\ud800\udc00"}`, `{"a":"\\ud800"}`,
	`{"a":"\uD83D\uDE00"}`, `{"\ud800":"x"}`, `{"msg":"a long line of text before \udbff and after it"}`,
}

// FuzzObject checks the differential property against encoding/json; it
// must also never panic.
func FuzzObject(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s))
	}
	for _, c := range objectCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		checkAgainstJSON(t, line)
	})
}

// maxFuzzWrapped is the longest line FuzzWrapped checks.
const maxFuzzWrapped = 256

// FuzzWrapped checks AppendWrapped against the quoting model and
// encoding/json on any bytes, JSON or not.
func FuzzWrapped(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s))
	}
	for _, s := range []string{"", "1234567", "12345678", "123456789", "tab\there\r", "bad \xff\xfe", "\u2028\u2029",
		"1234567é9", "123456🐢ab", `C:\dir\ud800 "q"`, "\x00\x1b[0m\x7f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		// Longer lines reach no code that shorter ones miss (the quoting works
		// on words and runes), while the minimizer's search over each new
		// input is quadratic in its length: on kilobyte inputs it took whole
		// runs (0 execs/s for 20s and more).
		if len(line) > maxFuzzWrapped {
			t.Skip()
		}
		checkWrapped(t, line)
	})
}
