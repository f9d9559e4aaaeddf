//go:build !amd64 && !arm64

package inject

import (
	"runtime"
	"testing"
	"time"
)

// Without injection, New fails with the reason, the stub does nothing, and
// no report is a tracee's.
func TestRedirectUnsupported(t *testing.T) {
	r, err := New(1, 1, 2)
	if r != nil || err != errRedirectUnsupported || err.Error() != "redirecting output is not supported on "+runtime.GOARCH {
		t.Fatalf("New = %v, %v", r, err)
	}
	var stub *Redirection
	if pid, err := stub.Step(time.Now()); pid != 0 || err != nil || stub.Pending() || stub.Processes() != 0 || !stub.Due().IsZero() {
		t.Fatalf("stub: %d, %v", pid, err)
	}
	stub.Kick(time.Now())
	stub.Close()
	if Claim(1, 1) || Claim(1, 4) {
		t.Fatal("claimed a report")
	}
}
