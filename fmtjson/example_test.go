package fmtjson_test

import (
	"fmt"
	"os"
	"time"

	"github.com/dinit-dev/dinit/fmtjson"
)

// Example shows the relay of one stdout line: a JSON object gets dinit's
// fields, anything else takes the prefixed form.
func Example() {
	meta := fmtjson.AppendMeta(nil, "web", "run") // once per source
	source := []byte("web/run")
	var clock fmtjson.Clock
	clock.Set(time.Date(2026, 11, 28, 13, 57, 31, 420_000_000, time.UTC)) // once per loop iteration

	out := make([]byte, 0, 4096) // reused for every line
	for _, line := range []string{`  {"msg":"hi"}  `, `{}`, `plain text`} {
		if obj, st := fmtjson.Object([]byte(line)); st != fmtjson.Invalid {
			out = fmtjson.AppendAugmented(out, obj, st, meta, clock.Bytes())
		} else {
			out = fmtjson.AppendPrefixed(out, clock.Bytes(), source, []byte(line))
		}
	}
	os.Stdout.Write(out)
	fmt.Printf("%s\n", fmtjson.AppendString(nil, "quote \" and \xff"))
	// Output:
	// {"msg":"hi","service":"web","stage":"run","logged":"2026-11-28T13:57:31.420Z"}
	// {"service":"web","stage":"run","logged":"2026-11-28T13:57:31.420Z"}
	// 2026-11-28T13:57:31.420Z web/run: plain text
	// "quote \" and \ufffd"
}
