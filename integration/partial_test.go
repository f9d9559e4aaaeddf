package integration

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// partialBudget is dinit's documented budget for all unterminated lines.
const partialBudget = 64 << 20

// Unterminated lines of many services share one budget: 40 services each
// holding a line of 1 MiB - 1 bytes on stdout and on stderr (80 MiB) do not
// all stay in dinit's memory; past the budget the largest are emitted in
// pieces with a warning, and at the end every byte has come out.
func TestPartialLinesShareABudget(t *testing.T) {
	t.Parallel()
	requireMode(t, pid1)
	const n, size = 40, lineLimit - 1
	files := tree{}
	for i := 0; i < n; i++ {
		files[fmt.Sprintf("s%02d/run", i)] = script(fmt.Sprintf(
			"head -c %d /dev/zero | tr '\\0' o\nhead -c %d /dev/zero | tr '\\0' e >&2\ntouch ../written.$$\nexec sleep 1000\n", size, size))
	}
	d := start(t, setup{mode: pid1, env: []string{"DINIT_JSON_STDOUT=0"}, raw: true, files: files})
	waitFiles(t, filepath.Join(d.dir, "written.*"), n)
	d.waitStderr(fmt.Sprintf(`^TS dinit: warning: s\d\d/run: unterminated lines exceed %d bytes in total, emitting it in pieces$`, partialBudget))
	if kb, ok := statusKB(d.dinitPID(), "VmHWM"); ok {
		t.Logf("dinit's peak RSS with %d MiB of unterminated lines: %d KiB", 2*n, kb)
	}
	d.signal(syscall.SIGTERM)
	d.expectExit(0)
	out, errs := d.outLines(), d.errLines()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("s%02d/run: ", i)
		if o := joinedBytes(append(out, errs...), "TS "+name, 'o'); o != size {
			t.Errorf("%s%d bytes of its stdout line came out, want %d", name, o, size)
		}
		if e := joinedBytes(errs, "TS "+name, 'e'); e != size {
			t.Errorf("%s%d bytes of its stderr line came out, want %d", name, e, size)
		}
	}
}

// joinedBytes adds up the lengths of the lines (or pieces) with prefix made
// only of byte c.
func joinedBytes(lines []string, prefix string, c byte) int {
	total := 0
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, prefix); ok && rest != "" && strings.Trim(rest, string(c)) == "" {
			total += len(rest)
		}
	}
	return total
}

// waitFiles waits until pattern matches n files.
func waitFiles(t *testing.T, pattern string, n int) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(10 * time.Millisecond) {
		m, _ := filepath.Glob(pattern)
		if len(m) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d files %s after %v", len(m), n, pattern, waitTimeout)
		}
	}
}
