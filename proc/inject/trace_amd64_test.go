package inject

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The amd64 registers of an injection, hand-made.

// regs are registers stopped 2 bytes after a `syscall` at 0x1000 with
// orig_rax nr and rax ret, and a few others that must not change.
func regs(nr, ret int64) ptRegs {
	return ptRegs{Orig_rax: uint64(nr), Rax: uint64(ret), Rip: 0x1002, Rsp: 0x7ffd0000, Rdi: 3, Rsi: 0x5000, Rdx: 64, Rbx: 42}
}

// with returns r changed by f.
func with(r ptRegs, f func(*ptRegs)) ptRegs {
	f(&r)
	return r
}

// ptRestore from each stop and restart code. The tracee's status cannot
// be read (noPID): no signal is pending.
func TestRestoreAmd64(t *testing.T) {
	rerun := func(nr uint64) func(*ptRegs) { return func(r *ptRegs) { r.Rax, r.Rip = nr, 0x1000 } }
	cases := []struct {
		name string
		at   ptStop
		r    ptRegs
		want ptRegs
	}{
		{"ERESTARTSYS at exit: the call again", ptExit, regs(unix.SYS_READ, -ptErestartSys),
			with(regs(unix.SYS_READ, -ptErestartSys), rerun(unix.SYS_READ))},
		{"ERESTARTNOINTR at exit: the call again", ptExit, regs(unix.SYS_WAIT4, -ptErestartNoIntr),
			with(regs(unix.SYS_WAIT4, -ptErestartNoIntr), rerun(unix.SYS_WAIT4))},
		{"ERESTARTNOHAND at exit: the call again", ptExit, regs(unix.SYS_PAUSE, -ptErestartNoHand),
			with(regs(unix.SYS_PAUSE, -ptErestartNoHand), rerun(unix.SYS_PAUSE))},
		{"ERESTART_RESTARTBLOCK at exit: restart_syscall", ptExit, regs(unix.SYS_CLOCK_NANOSLEEP, -ptErestartRestart),
			with(regs(unix.SYS_CLOCK_NANOSLEEP, -ptErestartRestart), rerun(unix.SYS_RESTART_SYSCALL))},
		{"EINTR at exit: as it is", ptExit, regs(unix.SYS_READ, -int64(unix.EINTR)), regs(unix.SYS_READ, -int64(unix.EINTR))},
		{"a result at exit: as it is", ptExit, regs(unix.SYS_WRITE, 64), regs(unix.SYS_WRITE, 64)},
		{"not in a call at exit: as it is", ptExit, regs(-1, -ptErestartSys), regs(-1, -ptErestartSys)},
		{"ERESTARTSYS at the interrupt stop: the kernel restarts", ptInterrupt, regs(unix.SYS_READ, -ptErestartSys),
			regs(unix.SYS_READ, -ptErestartSys)},
		{"ERESTART_RESTARTBLOCK at the interrupt stop", ptInterrupt, regs(unix.SYS_NANOSLEEP, -ptErestartRestart),
			regs(unix.SYS_NANOSLEEP, -ptErestartRestart)},
		{"not in a call at the interrupt stop", ptInterrupt, regs(-1, 5), regs(-1, 5)},
		{"ERESTARTSYS at an entry stop: the call again, the entered one skipped", ptEntry, regs(unix.SYS_READ, -ptErestartSys),
			with(regs(unix.SYS_READ, -ptErestartSys), func(r *ptRegs) { r.Rax, r.Rip, r.Orig_rax = unix.SYS_READ, 0x1000, ^uint64(0) })},
		{"ERESTART_RESTARTBLOCK at an entry stop", ptEntry, regs(unix.SYS_NANOSLEEP, -ptErestartRestart),
			with(regs(unix.SYS_NANOSLEEP, -ptErestartRestart), func(r *ptRegs) {
				r.Rax, r.Rip, r.Orig_rax = unix.SYS_RESTART_SYSCALL, 0x1000, ^uint64(0)
			})},
		{"a result at an entry stop: the entered call skipped", ptEntry, regs(unix.SYS_GETPID, 77),
			with(regs(unix.SYS_GETPID, 77), func(r *ptRegs) { r.Orig_rax = ^uint64(0) })},
		{"not in a call at an entry stop", ptEntry, regs(-1, 5), regs(-1, 5)},
	}
	for _, c := range cases {
		tr := &ptTracee{tgid: noPID, tid: noPID, at: c.at}
		r := c.r
		ptRestore(tr, &r)
		if r != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, r, c.want)
		}
	}
}

// sigBit is sig in a signal mask.
func sigBit(sig unix.Signal) uint64 { return 1 << (sig - 1) }

// With a signal pending that the restored mask lets through, the
// registers go back exactly at a syscall-exit stop: the kernel delivers
// it and decides how the call resumes. Here the "tracee" is this thread,
// with SIGUSR2 blocked and pending.
func TestRestoreWithASignalPending(t *testing.T) {
	ptLock(t)
	block := unix.Sigset_t{}
	block.Val[0] = sigBit(unix.SIGUSR2)
	var old unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &block, &old); err != nil {
		t.Fatal(err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil) // the runtime's handler takes it and does nothing
	tr := &ptTracee{tgid: unix.Getpid(), tid: unix.Gettid(), at: ptExit}
	if ptSignalPending(tr) {
		t.Fatal("a signal pending before any was sent")
	}
	if err := unix.Tgkill(tr.tgid, tr.tid, unix.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	if !ptSignalPending(tr) {
		t.Fatal("SIGUSR2 not seen pending")
	}
	r := regs(unix.SYS_READ, -ptErestartSys)
	ptRestore(tr, &r)
	if r != regs(unix.SYS_READ, -ptErestartSys) {
		t.Fatalf("restored to %+v; want the registers exactly as saved", r)
	}
	tr.mask = sigBit(unix.SIGUSR2) // its own mask blocks it: not ours to leave to the kernel
	if ptSignalPending(tr) {
		t.Fatal("a signal its mask blocks counts as pending")
	}
	r = regs(unix.SYS_READ, -ptErestartSys)
	ptRestore(tr, &r)
	if r != with(regs(unix.SYS_READ, -ptErestartSys), func(r *ptRegs) { r.Rax, r.Rip = unix.SYS_READ, 0x1000 }) {
		t.Fatalf("restored to %+v; want the call again", r)
	}
}

// An injected call: rip at the instruction, the number in rax, orig_rax
// -1, the arguments in rdi, rsi, rdx, r10, r8, r9; everything else kept.
func TestSetCallAmd64(t *testing.T) {
	r := regs(unix.SYS_READ, -ptErestartSys)
	ptSetCall(&r, 0x7f00, unix.SYS_MMAP, []uintptr{1, 2, 3, 4, 5, 6})
	want := ptRegs{Rip: 0x7f00, Rax: unix.SYS_MMAP, Orig_rax: ^uint64(0), Rdi: 1, Rsi: 2, Rdx: 3, R10: 4, R8: 5, R9: 6,
		Rsp: 0x7ffd0000, Rbx: 42}
	if r != want {
		t.Fatalf("got  %+v\nwant %+v", r, want)
	}
	r = regs(unix.SYS_READ, 0)
	ptSetCall(&r, 0x7f00, unix.SYS_GETPID, nil)
	if r.Rax != unix.SYS_GETPID || r.Rdi != 3 || r.Rsi != 0x5000 || ptPC(&r) != 0x7f00 {
		t.Fatalf("no arguments: %+v", r)
	}
	r.Rax = 1234
	if ptResult(&r) != 1234 {
		t.Fatalf("result %d", ptResult(&r))
	}
}

// `syscall` is 0f 05, anywhere.
func TestIndexInsnAmd64(t *testing.T) {
	for _, c := range []struct {
		code []byte
		want int
	}{
		{[]byte{0x0f, 0x05}, 0},
		{[]byte{0x90, 0x0f, 0x05, 0xc3}, 1},
		{[]byte{0x48, 0x0f, 0x0f, 0x05}, 2},
		{[]byte{0x05, 0x0f}, -1},
		{[]byte{0x0f}, -1},
		{nil, -1},
	} {
		if got := ptIndexInsn(c.code); got != c.want {
			t.Errorf("ptIndexInsn(% x) = %d, want %d", c.code, got, c.want)
		}
	}
}

// ptTestInsn is a system-call instruction, for the vDSO scan tests.
var ptTestInsn = []byte{0x0f, 0x05}
