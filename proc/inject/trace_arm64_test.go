package inject

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The arm64 registers of an injection, hand-made (built and vetted here,
// run on arm64 only).

// `svc #0` counts at a 4-byte boundary only.
func TestIndexInsnArm64(t *testing.T) {
	svc := []byte{0x01, 0x00, 0x00, 0xd4}
	for _, c := range []struct {
		code []byte
		want int
	}{
		{svc, 0},
		{append([]byte{0x1f, 0x20, 0x03, 0xd5}, svc...), 4},
		{append([]byte{0x00, 0x00}, svc...), -1}, // unaligned
		{svc[:3], -1},
		{nil, -1},
	} {
		if got := ptIndexInsn(c.code); got != c.want {
			t.Errorf("ptIndexInsn(% x) = %d, want %d", c.code, got, c.want)
		}
	}
}

// An injected call: pc at the svc, the number in x8, the arguments in x0
// to x5; everything else kept.
func TestSetCallArm64(t *testing.T) {
	var r ptRegs
	r.Sp, r.Regs[6], r.Regs[19] = 0x7ffd0000, 66, 99
	ptSetCall(&r, 0x7f00, unix.SYS_MMAP, []uintptr{1, 2, 3, 4, 5, 6})
	want := ptRegs{Sp: 0x7ffd0000, Pc: 0x7f00}
	want.Regs[8], want.Regs[6], want.Regs[19] = unix.SYS_MMAP, 66, 99
	for i := range 6 {
		want.Regs[i] = uint64(i + 1)
	}
	if r != want {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}
	if ptPC(&r) != 0x7f00 || ptResult(&r) != 1 {
		t.Fatalf("pc %#x, result %d", ptPC(&r), ptResult(&r))
	}
}

// A partial write is not recognised at a stop on arm64 (x0 holds the
// result, not the descriptor).
func TestWroteInPartArm64(t *testing.T) {
	tr := &ptTracee{}
	tr.saved.Regs[8], tr.saved.Regs[0], tr.saved.Regs[2] = unix.SYS_WRITE, 1, 200<<10
	if ptWroteInPart(tr, []fdSwitch{{fd: 1}}) {
		t.Fatal("recognised")
	}
}

// ptTestInsn is a system-call instruction, for the vDSO scan tests.
var ptTestInsn = []byte{0x01, 0x00, 0x00, 0xd4}
