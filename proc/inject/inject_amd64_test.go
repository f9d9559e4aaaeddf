package inject

import (
	"testing"

	"golang.org/x/sys/unix"
)

// ptPauseNr blocks until a signal's handler ran: pause.
const ptPauseNr = unix.SYS_PAUSE

// The stop right after a write that wrote only part of its bytes to a
// descriptor we switch is recognised from the registers: orig_rax the call,
// rdi the descriptor, rdx the count, rax the result.
func TestWroteInPart(t *testing.T) {
	sw := []fdSwitch{{fd: 1}, {fd: 2, stderr: true}}
	cases := []struct {
		name          string
		nr, fd, count uint64
		ret           int64
		want          bool
	}{
		{"partial write to stdout", unix.SYS_WRITE, 1, 200 << 10, 64 << 10, true},
		{"whole write to stdout", unix.SYS_WRITE, 1, 200 << 10, 200 << 10, false},
		{"partial write to another fd", unix.SYS_WRITE, 7, 200 << 10, 64 << 10, false},
		{"interrupted before writing", unix.SYS_WRITE, 2, 200 << 10, -512, false},
		{"writev to stderr", unix.SYS_WRITEV, 2, 3, 100, true},
		{"partial sendto", unix.SYS_SENDTO, 1, 9000, 4000, true},
		{"read", unix.SYS_READ, 1, 100, 10, false},
		{"not in a call", ^uint64(0), 1, 100, 10, false},
	}
	for _, c := range cases {
		tr := &ptTracee{}
		tr.saved.Orig_rax, tr.saved.Rdi, tr.saved.Rdx, tr.saved.Rax = c.nr, c.fd, c.count, uint64(c.ret)
		if got := ptWroteInPart(tr, sw); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
