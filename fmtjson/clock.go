package fmtjson

import "time"

// StampLen is the length of a timestamp: "2026-11-28T13:57:31.420Z".
const StampLen = len("2006-01-02T15:04:05.000Z")

// The timestamps dinit writes are RFC 3339, which allows only four-digit
// years: times outside these bounds are clamped to them rather than written
// in a form that parsers reject.
var (
	minStamp = time.Date(0, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxStamp = time.Date(9999, time.December, 31, 23, 59, 59, 999999999, time.UTC)
)

// Clock caches the formatted UTC timestamp of the current millisecond. The
// event loop reads the time once per iteration and sets it here; formatting
// then happens at most once per millisecond however many lines are relayed.
// The zero Clock holds the zero time.
type Clock struct {
	ms    int64 // Unix milliseconds that buf shows, when valid
	valid bool
	buf   [StampLen]byte
}

// Set makes the Clock show t in UTC, re-formatting only when the millisecond
// changed.
func (c *Clock) Set(t time.Time) {
	ms := t.UnixMilli()
	if c.valid && ms == c.ms {
		return
	}
	c.ms, c.valid = ms, true
	formatStamp(&c.buf, t)
}

// Bytes returns the formatted stamp. It points into c: the next Set changes
// it, so it is appended to output, not kept.
func (c *Clock) Bytes() []byte {
	if !c.valid {
		c.Set(time.Time{})
	}
	return c.buf[:]
}

// formatStamp writes t as "2006-01-02T15:04:05.000Z" in UTC. It is written
// by hand because time.AppendFormat parses its layout on every call.
func formatStamp(buf *[StampLen]byte, t time.Time) {
	t = t.UTC()
	if t.Before(minStamp) {
		t = minStamp
	} else if t.After(maxStamp) {
		t = maxStamp
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	put2(buf[0:], year/100)
	put2(buf[2:], year%100)
	buf[4] = '-'
	put2(buf[5:], int(month))
	buf[7] = '-'
	put2(buf[8:], day)
	buf[10] = 'T'
	put2(buf[11:], hour)
	buf[13] = ':'
	put2(buf[14:], minute)
	buf[16] = ':'
	put2(buf[17:], sec)
	buf[19] = '.'
	ms := t.Nanosecond() / 1e6
	buf[20] = byte('0' + ms/100)
	put2(buf[21:], ms%100)
	buf[23] = 'Z'
}

// put2 writes v (0..99) as two digits.
func put2(b []byte, v int) {
	b[0] = byte('0' + v/10)
	b[1] = byte('0' + v%10)
}
