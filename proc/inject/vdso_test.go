//go:build amd64 || arm64

package inject

import (
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Finding the vDSO and a system-call instruction in it, from files made
// for the purpose.

// writeFile writes b to a new file in a temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// auxv is an auxiliary vector of (type, value) pairs, as /proc/PID/auxv
// holds it (64-bit little-endian), ending with AT_NULL.
func auxv(pairs ...uint64) []byte {
	var b []byte
	for _, v := range append(pairs, 0, 0) {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func TestAuxvVDSO(t *testing.T) {
	const atPagesz, atSysinfoEhdr, atEntry = 6, 33, 9
	cases := []struct {
		name string
		b    []byte
		want uintptr
	}{
		{"among others", auxv(atPagesz, 4096, atSysinfoEhdr, 0x7ffc1000, atEntry, 0x401000), 0x7ffc1000},
		{"first", auxv(atSysinfoEhdr, 0x7f0000000000), 0x7f0000000000},
		{"absent", auxv(atPagesz, 4096, atEntry, 0x401000), 0},
		{"empty", nil, 0},
		{"cut in its value", auxv(atPagesz, 4096, atSysinfoEhdr, 0x7ffc1000)[:24], 0},
	}
	for _, c := range cases {
		if got := auxvVDSO(writeFile(t, "auxv", c.b)); got != c.want {
			t.Errorf("%s: %#x, want %#x", c.name, got, c.want)
		}
	}
	if got := auxvVDSO(filepath.Join(t.TempDir(), "none")); got != 0 {
		t.Errorf("no file: %#x", got)
	}
}

func TestVDSOBounds(t *testing.T) {
	const maps = "55d0c0000000-55d0c0002000 r--p 00000000 fd:01 1234  /usr/bin/sleep\n" +
		"7ffd4a1f0000-7ffd4a211000 rw-p 00000000 00:00 0  [stack]\n" +
		"7ffd4a2f8000-7ffd4a2fc000 r--p 00000000 00:00 0  [vvar]\n" +
		"7ffd4a2fc000-7ffd4a2fe000 r-xp 00000000 00:00 0  [vdso]\n"
	start, end, err := vdsoBounds(writeFile(t, "maps", []byte(maps)))
	if start != 0x7ffd4a2fc000 || end != 0x7ffd4a2fe000 || err != nil {
		t.Fatalf("vdsoBounds = %#x, %#x, %v", start, end, err)
	}
	for name, bad := range map[string]string{
		"no vdso":       "7ffd4a1f0000-7ffd4a211000 rw-p 00000000 00:00 0  [stack]\n",
		"not hex":       "7ffd4a2fc00g-7ffd4a2fe000 r-xp 00000000 00:00 0  [vdso]\n",
		"no range":      "7ffd4a2fc000 r-xp 00000000 00:00 0  [vdso]\n",
		"empty range":   "7ffd4a2fe000-7ffd4a2fe000 r-xp 00000000 00:00 0  [vdso]\n",
		"reversed":      "7ffd4a2fe000-7ffd4a2fc000 r-xp 00000000 00:00 0  [vdso]\n",
		"over a MiB":    "7ffd40000000-7ffd40101000 r-xp 00000000 00:00 0  [vdso]\n",
		"vdso not last": "7ffd4a2fc000-7ffd4a2fe000 r-xp 00000000 00:00 0  [vdso] (deleted)\n",
		"empty":         "",
	} {
		if start, end, err := vdsoBounds(writeFile(t, "maps", []byte(bad))); start != 0 || end != 0 || err != errPtNoInsn {
			t.Errorf("%s: %#x, %#x, %v; want %v", name, start, end, err, errPtNoInsn)
		}
	}
	if _, _, err := vdsoBounds(filepath.Join(t.TempDir(), "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no file: %v", err)
	}
}

// fakeVDSO writes a maps file naming a vDSO at [start, start+size) and a
// mem file with insn at each of the offsets in it; it returns their paths.
func fakeVDSO(t *testing.T, start, size uintptr, at ...int) (maps, mem string) {
	t.Helper()
	line := []byte(hex(start) + "-" + hex(start+size) + " r-xp 00000000 00:00 0  [vdso]\n")
	maps = writeFile(t, "maps", line)
	b := make([]byte, start+size)
	for i := range b[start:] {
		b[int(start)+i] = 0xcc
	}
	for _, off := range at {
		copy(b[int(start)+off:], ptTestInsn)
	}
	return maps, writeFile(t, "mem", b)
}

func hex(v uintptr) string { return strconv.FormatUint(uint64(v), 16) }

// The scan finds the first instruction away from pc, in the vDSO only.
func TestScanFakeVDSO(t *testing.T) {
	const start, size = 0x2000, 0x1000
	maps, mem := fakeVDSO(t, start, size, 0x100, 0x400)
	for _, c := range []struct {
		pc   uintptr
		want uintptr
	}{
		{0, start + 0x100},
		{start + 0x100, start + 0x400},                            // stopped at the first one
		{start + 0x100 + uintptr(len(ptTestInsn)), start + 0x400}, // stopped right after it
		{start + 0x300, start + 0x100},
	} {
		if got, err := ptScanVDSO(maps, mem, c.pc); got != c.want || err != nil {
			t.Errorf("pc %#x: %#x, %v; want %#x", c.pc, got, err, c.want)
		}
	}
	if got, err := ptScanVDSO(maps, mem, start+0x400); got != start+0x100 || err != nil {
		t.Errorf("pc at the second: %#x, %v", got, err)
	}
	maps, mem = fakeVDSO(t, start, size, 0x100)
	if got, err := ptScanVDSO(maps, mem, start+0x100); got != 0 || err != errPtNoInsn {
		t.Errorf("the only one at pc: %#x, %v; want %v", got, err, errPtNoInsn)
	}
	maps, mem = fakeVDSO(t, start, size)
	if got, err := ptScanVDSO(maps, mem, 0); got != 0 || err != errPtNoInsn {
		t.Errorf("none: %#x, %v; want %v", got, err, errPtNoInsn)
	}
	if _, err := ptScanVDSO(maps, filepath.Join(t.TempDir(), "none"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no mem file: %v", err)
	}
	if _, err := ptScanVDSO(filepath.Join(t.TempDir(), "none"), mem, 0); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("no maps file: %v", err)
	}
}
