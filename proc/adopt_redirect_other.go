//go:build !amd64 && !arm64

package proc

import (
	"errors"
	"runtime"
	"time"
)

// Redirecting an adopted process's output injects system calls with
// ptrace, which needs each architecture's registers, system-call
// instruction and restart rules (ptrace_amd64.go, ptrace_arm64.go). Only
// amd64 and arm64 have them: elsewhere the process is adopted with its
// output left where it was, and adoptOutput warns.
var errRedirectUnsupported = errors.New("redirecting output is not supported on " + runtime.GOARCH)

// redirection has no steps here: newRedirection always fails.
type redirection struct{}

func newRedirection(pid, outW, errW int) (*redirection, error) {
	return nil, errRedirectUnsupported
}

func (*redirection) step(time.Time) (int, error) { return 0, nil }
func (*redirection) pending() bool               { return false }
func (*redirection) due() time.Time              { return time.Time{} }
func (*redirection) close()                      {}
func (*redirection) processes() int              { return 0 }
func (*redirection) kick(time.Time)              {}

// ptraceReport: without injection dinit traces nothing, so no stop and no
// end is a tracee's; every end goes to the reaper.
func ptraceReport(pid int, code int32) bool { return false }
