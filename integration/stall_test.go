package integration

import (
	"bytes"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// maxRSSKB bounds dinit's memory while its stdout is stalled and a service
// floods it (SPEC 6: output is buffered up to a bound, then backpressure).
const maxRSSKB = 256 << 10

// A stalled reader of dinit's stdout stops neither signal handling nor the
// shutdown, memory stays bounded, and once the reader resumes every line
// arrives.
func TestStalledStdout(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, pauseStdout: true, raw: true, files: tree{
			"flood/run": script(helper("count")),
		}})
		r := d.pidOf("flood/run")
		// The stall itself: nobody reads dinit's stdout while the service
		// writes as fast as it can.
		time.Sleep(2 * time.Second)
		d.signal(syscall.SIGTERM)
		d.waitStream(d.stderr, `^TS dinit: info: got signal 15, terminating services$`, 1, 5*time.Second)
		d.waitStream(d.stderr, fmt.Sprintf(`^TS dinit: info: flood/run: sending SIGTERM to PID %d$`, r), 1, 5*time.Second)
		if kb, ok := statusKB(d.dinitPID(), "VmHWM"); !ok {
			t.Errorf("cannot read dinit's VmHWM")
		} else if kb > maxRSSKB {
			t.Errorf("dinit's peak RSS is %d KiB while stdout is stalled, want at most %d KiB", kb, maxRSSKB)
		} else {
			t.Logf("dinit's peak RSS while stalled: %d KiB", kb)
		}
		d.stdout.resume()
		d.expectExit(0)
		// {"i":1} ... {"i":N}, then {"done":N}.
		out := d.stdout.bytes()
		last := bytes.LastIndexByte(out[:max(len(out)-1, 0)], '\n') + 1
		done := out[last:]
		const head = `{"done":`
		var n int
		if bytes.HasPrefix(done, []byte(head)) {
			end := bytes.IndexByte(done, ',')
			n, _ = strconv.Atoi(string(done[len(head):max(end, len(head))]))
		}
		if n == 0 {
			t.Fatalf("last stdout line is %s, want {\"done\":N,...} with N > 0", short(string(done)))
		}
		if !isTSLogged("flood")(bytes.TrimSuffix(done[bytes.IndexByte(done, ','):], []byte("\n"))) {
			t.Errorf("last stdout line %s lacks the appended fields", short(string(done)))
		}
		checkSequence(t, "stdout", out[:last], n, func(dst []byte, i int) []byte {
			dst = append(dst, `{"i":`...)
			return strconv.AppendInt(dst, int64(i), 10)
		}, isTSLogged("flood"))
		t.Logf("%d lines went through the stall", n)
		want := append(d.preamble(),
			info("flood/run: starting"),
			info("flood/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("flood/run: terminating"),
			info("flood/run: sending SIGTERM to PID %d", r),
			info("flood/run: PID %d finished with status 0", r),
			exiting(0),
		)
		d.expectLines("stderr", d.errLines(), want)
	})
}
