//go:build amd64 || arm64

package inject

import "errors"

// Reasons an injection gives up, worded for "cannot redirect output of PID
// N: <reason>".
var (
	errPtZombie  = errors.New("the process has ended (zombie)")
	errPtGone    = errors.New("the process ended while its output was being redirected")
	errPtTimeout = errors.New("the process did not stop in time (uninterruptible sleep?)")
	errPtBudget  = errors.New("the process took too long to go through its stops")
	errPtAdrift  = errors.New("the process has not stopped since an earlier attempt")
	errPtWriting = errors.New("the process is in the middle of writing its output")
	errPtAborted = errors.New("the redirection was abandoned")
	errPtStrict  = errors.New("the process runs in seccomp strict mode")
	errPtSandbox = errors.New("the process runs under a seccomp filter of its own")
	errPtABI     = errors.New("the process is not a 64-bit process of dinit's architecture")
	errPtNoInsn  = errors.New("no system-call instruction found in its vDSO")
	errPtBusy    = errors.New("the process kept stopping for other reasons")
)
