package fmtjson

import (
	"math/rand/v2"
	"testing"
	"time"
)

// stamp formats t as a fresh Clock shows it.
func stamp(t time.Time) string {
	var c Clock
	c.Set(t)
	return string(c.Bytes())
}

func TestStamp(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 13, 57, 31, 420_000_000, time.UTC), "2026-11-28T13:57:31.420Z"},
		{time.Date(2026, 11, 28, 13, 57, 31, 0, time.UTC), "2026-11-28T13:57:31.000Z"},
		{time.Date(2026, 11, 28, 13, 57, 31, 999_999_999, time.UTC), "2026-11-28T13:57:31.999Z"},
		{time.Date(2026, 11, 28, 13, 57, 31, 5_000_000, time.UTC), "2026-11-28T13:57:31.005Z"},
		{time.Date(2026, 11, 28, 13, 57, 31, 40_900_000, time.UTC), "2026-11-28T13:57:31.040Z"},
		{time.Date(2027, 1, 1, 0, 30, 0, 0, cet), "2026-12-31T23:30:00.000Z"},
		{time.Date(2024, 2, 29, 23, 59, 59, 999_000_000, time.UTC), "2024-02-29T23:59:59.999Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.000Z"},
		{time.Date(999, 5, 6, 7, 8, 9, 0, time.UTC), "0999-05-06T07:08:09.000Z"},
		{time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00.000Z"},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "9999-12-31T23:59:59.999Z"},
		{time.Unix(0, 0), "1970-01-01T00:00:00.000Z"},
		{time.Unix(-1, 0), "1969-12-31T23:59:59.000Z"},
	}
	for _, c := range cases {
		if got := stamp(c.t); got != c.want {
			t.Errorf("%v: got %s want %s", c.t, got, c.want)
		}
	}
}

// TestStampLikeTimeFormat compares with the time package on random times
// of the years a container runs in.
func TestStampLikeTimeFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	zones := []*time.Location{time.UTC, time.FixedZone("x", -7*3600-1800), time.FixedZone("y", 13*3600)}
	for i := 0; i < 100000; i++ {
		tm := time.Unix(0, r.Int64N(1<<62)).In(zones[i%len(zones)])
		want := tm.UTC().Format("2006-01-02T15:04:05.000Z")
		if got := stamp(tm); got != want {
			t.Fatalf("%v: got %s want %s", tm, got, want)
		}
	}
}

func TestClock(t *testing.T) {
	var c Clock
	if got := string(c.Bytes()); got != "0001-01-01T00:00:00.000Z" {
		t.Errorf("zero Clock: %s", got)
	}
	base := time.Date(2026, 11, 28, 13, 57, 31, 999_000_000, time.UTC)
	c.Set(base)
	if got := string(c.Bytes()); got != "2026-11-28T13:57:31.999Z" {
		t.Errorf("got %s", got)
	}
	c.Set(base.Add(999 * time.Microsecond))
	if got := string(c.Bytes()); got != "2026-11-28T13:57:31.999Z" {
		t.Errorf("same millisecond: got %s", got)
	}
	c.Set(base.Add(time.Millisecond)) // rolls over the second
	if got := string(c.Bytes()); got != "2026-11-28T13:57:32.000Z" {
		t.Errorf("rollover: got %s", got)
	}
	c.Set(time.Date(2026, 12, 31, 23, 59, 59, 999_500_000, time.UTC).Add(500 * time.Microsecond))
	if got := string(c.Bytes()); got != "2027-01-01T00:00:00.000Z" {
		t.Errorf("year rollover: got %s", got)
	}
	c.Set(base.In(time.FixedZone("CET", 3600)))
	if got := string(c.Bytes()); got != "2026-11-28T13:57:31.999Z" {
		t.Errorf("non-UTC: got %s", got)
	}
	if len(c.Bytes()) != StampLen {
		t.Errorf("length %d", len(c.Bytes()))
	}
}

// TestClockFormatsOncePerMillisecond marks the cached stamp and checks that
// a Set within the same millisecond leaves it alone.
func TestClockFormatsOncePerMillisecond(t *testing.T) {
	var c Clock
	base := time.Date(2026, 11, 28, 13, 57, 31, 420_000_000, time.UTC)
	c.Set(base)
	c.buf[0] = 'X'
	for d := time.Duration(0); d < time.Millisecond; d += 100 * time.Microsecond {
		c.Set(base.Add(d))
	}
	if c.buf[0] != 'X' {
		t.Errorf("re-formatted within the same millisecond")
	}
	c.Set(base.Add(time.Millisecond))
	if string(c.Bytes()) != "2026-11-28T13:57:31.421Z" {
		t.Errorf("not re-formatted on the next millisecond: %s", c.Bytes())
	}
	c.Set(base) // going back in time also re-formats
	if string(c.Bytes()) != "2026-11-28T13:57:31.420Z" {
		t.Errorf("not re-formatted going back: %s", c.Bytes())
	}
}
