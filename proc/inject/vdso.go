//go:build amd64 || arm64

package inject

import (
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

// Where the system-call instruction we run comes from: the tracee's vDSO,
// which the kernel maps into every process (see doc.go for why).
// Every process of one architecture gets the same vDSO image, at its own
// address: the instruction's offset is found once in ours, and a tracee's
// vDSO base is read from its auxiliary vector (AT_SYSINFO_EHDR), a small
// copy made at exec. Reading its /proc/PID/maps instead walks its mappings
// under their lock, which took up to half a millisecond here. The
// instruction is checked in the tracee (one PTRACE_PEEKTEXT) before use;
// if anything differs, its vDSO is scanned.

// ptFindInsn returns the address of a system-call instruction in the
// tracee's vDSO, away from where it stopped.
func ptFindInsn(t *ptTracee) (uintptr, error) {
	pc := ptPC(&t.saved)
	if off, ok := ptOwnInsnOffset(); ok {
		if base := auxvVDSO(taskPath(t.tgid, t.tid, "auxv")); base != 0 {
			if addr := base + off; ptAwayFrom(addr, pc) && ptIsInsnAt(t.tid, addr) {
				return addr, nil
			}
		}
	}
	return ptScanVDSO(taskPath(t.tgid, t.tid, "maps"), taskPath(t.tgid, t.tid, "mem"), pc)
}

// ptOwnInsnOffset is the offset of the first system-call instruction in
// our own vDSO.
var ptOwnInsnOffset = sync.OnceValues(func() (uintptr, bool) {
	base := auxvVDSO("/proc/self/auxv")
	addr, err := ptScanVDSO("/proc/self/maps", "/proc/self/mem", 0)
	if base == 0 || err != nil || addr < base {
		return 0, false
	}
	return addr - base, true
})

// ptAwayFrom: not the instruction the tracee stopped at or just after.
// The kernel compares the program counter with a restart address (on
// arm64), which ours must never match.
func ptAwayFrom(addr, pc uintptr) bool { return addr+8 <= pc || addr >= pc+8 }

// ptIsInsnAt checks that the tracee has a system-call instruction at addr.
func ptIsInsnAt(tid int, addr uintptr) bool {
	var word [8]byte
	n, err := unix.PtracePeekText(tid, addr, word[:])
	return err == nil && n == len(word) && ptIndexInsn(word[:]) == 0
}

// auxvVDSO reads AT_SYSINFO_EHDR from an auxv file: 0 when absent.
func auxvVDSO(path string) uintptr {
	const atSysinfoEhdr = 33
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for ; len(b) >= 16; b = b[16:] {
		if binary.LittleEndian.Uint64(b) == atSysinfoEhdr {
			return uintptr(binary.LittleEndian.Uint64(b[8:]))
		}
	}
	return 0
}

// ptScanVDSO finds a system-call instruction in a process's vDSO, as its
// maps and mem files show it, away from pc. (For a tracee they are read
// through the seized thread: an exited main thread has no memory to show.)
func ptScanVDSO(maps, mem string, pc uintptr) (uintptr, error) {
	start, end, err := vdsoBounds(maps)
	if err != nil {
		return 0, err
	}
	fd, err := unix.Open(mem, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer sys.Close(fd)
	buf := make([]byte, end-start)
	n, err := unix.Pread(fd, buf, int64(start))
	if err != nil {
		return 0, err
	}
	for off := 0; ; {
		i := ptIndexInsn(buf[off:n])
		if i < 0 {
			return 0, errPtNoInsn
		}
		if addr := start + uintptr(off+i); ptAwayFrom(addr, pc) {
			return addr, nil
		}
		off += i + 1
	}
}

// vdsoBounds reads the [vdso] mapping from a maps file.
func vdsoBounds(path string) (start, end uintptr, err error) {
	maps, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(maps), "\n") {
		if !strings.HasSuffix(line, "[vdso]") {
			continue
		}
		lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-")
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if ok && err1 == nil && err2 == nil && b > a && b-a <= 1<<20 {
			return uintptr(a), uintptr(b), nil
		}
	}
	return 0, 0, errPtNoInsn
}

// taskPath is /proc/PID/task/TID/name.
func taskPath(pid, tid int, name string) string {
	return procRoot + "/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/" + name
}
