package status

import (
	"testing"
	"time"
)

// serveInBackground serves ts from a goroutine of its own (the benchmark's
// goroutine is the client) until the returned func is called.
func serveInBackground(ts *testServer) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			if _, err := ts.loop.Poll(time.Now().Add(10 * time.Millisecond)); err != nil {
				panic(err)
			}
			if ts.Pending() {
				ts.Serve(time.Now())
			}
		}
	}()
	return func() { close(quit); <-done }
}

// BenchmarkQuery is what dinit check costs when dinit is a subreaper beside
// us: PID 1's name refused, the walk of our ancestors, the scan of
// /proc/net/unix, then the exchange. SPEC 11 wants well under 100 ms:
//
//	go test -run '^$' -bench Query -benchtime 200x ./proc/status/
func BenchmarkQuery(b *testing.B) {
	ts := realSubreaper(b)
	defer serveInBackground(ts)()
	for b.Loop() {
		if _, err := Query("status", time.Second); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryPID1 is the common case: dinit is PID 1, the first name
// tried.
func BenchmarkQueryPID1(b *testing.B) {
	ns := &fakeNS{t: b, ino: fakeIno()}
	ts := listenAs(b, SocketName(ns.ino, 1))
	defer serveInBackground(ts)()
	w := ns.where()
	for b.Loop() {
		if _, err := w.query("status", time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
