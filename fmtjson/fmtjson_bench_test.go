package fmtjson

import (
	"testing"
	"time"
)

// benchLine is the 85-byte JSON log line of the throughput goal.
const benchLine = `{"level":"info","msg":"request handled","path":"/api/v1/items","status":200,"ms":12}`

// BenchmarkObjectAugment is the per-line work of JSON mode: validate, then
// append the fields into a reused output buffer.
func BenchmarkObjectAugment(b *testing.B) {
	line := []byte(benchLine)
	meta := AppendMeta(nil, "web", "run")
	var c Clock
	c.Set(time.Now())
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	for b.Loop() {
		obj, st := Object(line)
		dst = AppendAugmented(dst[:0], obj, st, meta, c.Bytes())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/line")
}

func BenchmarkObject(b *testing.B) {
	benchObject(b, benchLine)
}

// BenchmarkObjectLongStrings is a line dominated by a long message, where
// the eight-bytes-at-a-time string scan matters.
func BenchmarkObjectLongStrings(b *testing.B) {
	benchObject(b, `{"level":"error","msg":"`+longMessage+`","stack":"`+longMessage+`"}`)
}

// BenchmarkObjectRejectPlain is a plain-text line, rejected at a glance.
func BenchmarkObjectRejectPlain(b *testing.B) {
	benchObject(b, `172.17.0.1 - - [28/Nov/2026:13:57:31 +0000] "GET /api/v1/items HTTP/1.1" 200 5123 "-" "curl/8.5.0"`)
}

const longMessage = "connection to the upstream database failed after three attempts; retrying in five seconds with exponential backoff"

func benchObject(b *testing.B, s string) {
	line := []byte(s)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		Object(line)
	}
}

// wrapLine and wrapLineShort are plain-text lines of 85 and 20 bytes with
// their newline (as benchLine), the common input of AppendWrapped.
const (
	wrapLine      = `2026-11-28 13:57:31 INFO request handled path=/api/v1/items status=200 ms=9 size=512`
	wrapLineShort = `listening on :8080.`
)

// BenchmarkWrapped is the per-line work of wrap mode on a plain line:
// quote it and add the fields into a reused output buffer.
func BenchmarkWrapped(b *testing.B) {
	benchWrapped(b, wrapLine)
}

func BenchmarkWrappedShort(b *testing.B) {
	benchWrapped(b, wrapLineShort)
}

// BenchmarkWrappedJSONLine wraps a line full of quotes, as a JSON line on
// stderr would be: the escaping path.
func BenchmarkWrappedJSONLine(b *testing.B) {
	benchWrapped(b, benchLine)
}

// BenchmarkWrappedUTF8 is a line with multi-byte runes, decoded one by one.
func BenchmarkWrappedUTF8(b *testing.B) {
	benchWrapped(b, "2026-11-28 INFO żółw wszedł do wody, 日本語のログ行です, emoji 🐢 ok")
}

func benchWrapped(b *testing.B, s string) {
	line := []byte(s)
	meta := AppendMeta(nil, "web", "run")
	tail := []byte(`,"stream":"stderr"`)
	var c Clock
	c.Set(time.Now())
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendWrapped(dst[:0], line, meta, c.Bytes(), tail)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/line")
}

func BenchmarkAppendPrefixed(b *testing.B) {
	ts, src, line := []byte(testStamp), []byte("web/run"), []byte(benchLine)
	dst := make([]byte, 0, 4096)
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	for b.Loop() {
		dst = AppendPrefixed(dst[:0], ts, src, line)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/line")
}

func BenchmarkClockSet(b *testing.B) {
	var c Clock
	t := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c.Set(t.Add(time.Duration(i) * time.Millisecond)) // a new millisecond each time
	}
}
