//go:build !amd64 && !arm64

package inject

import (
	"errors"
	"runtime"
	"time"
)

// Redirecting an adopted process's output injects system calls with
// ptrace, which needs each architecture's registers, system-call
// instruction and restart rules (trace_amd64.go, trace_arm64.go). Only
// amd64 and arm64 have them: elsewhere the process is adopted with its
// output left where it was, and adoptOutput warns.
var errRedirectUnsupported = errors.New("redirecting output is not supported on " + runtime.GOARCH)

// Redirection has no steps here: New always fails.
type Redirection struct{}

func New(pid, outW, errW int) (*Redirection, error) {
	return nil, errRedirectUnsupported
}

func (*Redirection) Step(time.Time) (int, error) { return 0, nil }
func (*Redirection) Pending() bool               { return false }
func (*Redirection) Due() time.Time              { return time.Time{} }
func (*Redirection) Close()                      {}
func (*Redirection) Processes() int              { return 0 }
func (*Redirection) Kick(time.Time)              {}

// Claim: without injection dinit traces nothing, so no stop and no
// end is a tracee's; every end goes to the reaper.
func Claim(pid int, code int32) bool { return false }
