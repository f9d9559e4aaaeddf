package integration

import (
	"bytes"
	"fmt"
	"strconv"
	"syscall"
	"testing"
)

// checkSequence checks that data holds exactly the lines
// prefix(1) .. prefix(n) in order, each followed by a suffix that suffixOK
// accepts. It reports the first few problems.
func checkSequence(t *testing.T, what string, data []byte, n int, prefix func(dst []byte, i int) []byte, suffixOK func(rest []byte) bool) {
	t.Helper()
	var want []byte
	i, errs := 0, 0
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			t.Errorf("%s: last line has no newline: %s", what, short(string(data)))
			return
		}
		line := data[:nl]
		data = data[nl+1:]
		i++
		want = prefix(want[:0], i)
		if i > n || !bytes.HasPrefix(line, want) || !suffixOK(line[len(want):]) {
			if errs++; errs <= 5 {
				t.Errorf("%s: line %d is %s, want %s...", what, i, short(string(line)), want)
			}
		}
	}
	if i != n {
		t.Errorf("%s: %d lines, want %d", what, i, n)
	}
}

// isTSLogged accepts `,"service":"<name>","stage":"run","logged":"<ts>"}`.
func isTSLogged(name string) func([]byte) bool {
	head := []byte(`,"service":"` + name + `","stage":"run","logged":"`)
	return func(rest []byte) bool {
		r, ok := bytes.CutPrefix(rest, head)
		return ok && len(r) == 26 && isTimestamp(r[:24]) && string(r[24:]) == `"}`
	}
}

// isTimestamp is tsRe.Match for exactly one timestamp, without regexp
// (a million lines per run, and -race).
func isTimestamp(b []byte) bool {
	const layout = "dddd-dd-ddTdd:dd:dd.dddZ"
	if len(b) != len(layout) {
		return false
	}
	for i := range len(layout) {
		if layout[i] == 'd' {
			if b[i] < '0' || b[i] > '9' {
				return false
			}
		} else if b[i] != layout[i] {
			return false
		}
	}
	return true
}

// isEmpty accepts nothing more.
func isEmpty(rest []byte) bool { return len(rest) == 0 }

// Every byte a service writes before it exits reaches dinit's outputs: a
// service writes 1,000,000 JSON lines (and 100,000 stderr lines) and exits
// at once; all of them arrive, in order.
func TestOutputTail(t *testing.T) {
	// Not parallel: it measures dinit's throughput, alone.
	const lines, errEvery = 1_000_000, 10
	files := tree{"tail/run": script(fmt.Sprintf(
		"echo $$ >pid\n"+`exec awk 'BEGIN { for (i = 1; i <= %d; i++) { printf "{\"i\":%%d}\n", i; if (i %% %d == 0) printf "e%%d\n", i / %d > "/dev/stderr" } }'`+"\n",
		lines, errEvery, errEvery))}
	for i, m := range []mode{subreaper, pid1, subreaper} {
		t.Run(fmt.Sprintf("%d-%s", i+1, m), func(t *testing.T) {
			d := start(t, setup{mode: m, files: files, raw: true})
			d.expectExit(0)
			checkSequence(t, "stdout", d.stdout.bytes(), lines, func(dst []byte, i int) []byte {
				dst = append(dst, `{"i":`...)
				return strconv.AppendInt(dst, int64(i), 10)
			}, isTSLogged("tail"))
			// stderr: "<ts> tail/run: e<N>"; timestamps are 24 bytes. The
			// shutdown's reason comes once, among them: awk ends while its
			// output is still being read.
			reason := fmt.Sprintf("dinit: warning: shutting down: tail/run: PID %d finished with status 0\n", d.pidFile("tail/pid"))
			var stripped bytes.Buffer
			reasons := 0
			for _, l := range bytes.SplitAfter(d.stderr.bytes(), []byte("\n")) {
				if len(l) > 25 && isTimestamp(l[:24]) && l[24] == ' ' {
					if string(l[25:]) == reason {
						reasons++
						continue
					}
					stripped.Write(l[25:])
				} else {
					stripped.Write(l)
				}
			}
			if reasons != 1 {
				t.Errorf("stderr: %d lines %q, want 1", reasons, reason)
			}
			checkSequence(t, "stderr", stripped.Bytes(), lines/errEvery, func(dst []byte, i int) []byte {
				dst = append(dst, "tail/run: e"...)
				return strconv.AppendInt(dst, int64(i), 10)
			}, isEmpty)
		})
	}
}

// The output a service writes while it is being stopped arrives too.
func TestShutdownTail(t *testing.T) {
	t.Parallel()
	const lines = 20000
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run": script(fmt.Sprintf(`trap 'exec awk "BEGIN { for (i = 1; i <= %d; i++) printf \"{\\\"bye\\\":%%d}\\n\", i }"' TERM
echo '{"ready":true}'
while :; do sleep 0.05; done
`, lines)),
		}})
		d.waitStdout(`^\{"ready":true,`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		out := d.stdout.bytes()
		first := bytes.IndexByte(out, '\n') + 1
		checkSequence(t, "stdout after the ready line", out[first:], lines, func(dst []byte, i int) []byte {
			dst = append(dst, `{"bye":`...)
			return strconv.AppendInt(dst, int64(i), 10)
		}, isTSLogged("web"))
	})
}

// Several services writing at once: every line arrives whole, and the
// lines of each source keep their order. (The services stay up after
// writing: the first one to end would stop the others.)
func TestConcurrentOutput(t *testing.T) {
	t.Parallel()
	const services, lines, errEvery = 4, 100_000, 5
	files := tree{}
	for i := range services {
		files[fmt.Sprintf("s%d/run", i)] = script(fmt.Sprintf(
			`awk 'BEGIN { for (i = 1; i <= %d; i++) { printf "{\"s\":%d,\"i\":%%d}\n", i; if (i %% %d == 0) printf "s%d e%%d\n", i / %d > "/dev/stderr" } }'`+"\nexec sleep 1000\n",
			lines, i, errEvery, i, errEvery))
	}
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, files: files})
		for s := range services {
			d.waitStderr(fmt.Sprintf(`^TS s%d/run: s%d e%d$`, s, s, lines/errEvery))
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		outs := make([]bytes.Buffer, services)
		for _, l := range bytes.SplitAfter(d.stdout.bytes(), []byte("\n")) {
			if len(l) > 6 && l[5] >= '0' && l[5] < '0'+services {
				outs[l[5]-'0'].Write(l)
			} else if len(l) > 0 {
				t.Errorf("unexpected stdout line %s", short(string(l)))
			}
		}
		errs := make([]bytes.Buffer, services)
		// The last stderr line is the shutdown's reason: every line of the
		// services was out before the signal.
		stderr := d.stderr.bytes()
		last := bytes.LastIndexByte(stderr[:max(len(stderr)-1, 0)], '\n') + 1
		if got, want := normalizeLine(bytes.TrimSuffix(stderr[last:], []byte("\n"))), warn("shutting down: got signal 15"); got != want {
			t.Errorf("stderr: last line is %s, want %q", short(got), want)
		} else {
			stderr = stderr[:last]
		}
		for _, l := range bytes.SplitAfter(stderr, []byte("\n")) {
			// "<ts> sN/run: sN eK"
			if len(l) > 37 && isTimestamp(l[:24]) && l[26] >= '0' && l[26] < '0'+services {
				errs[l[26]-'0'].Write(l[25:])
			} else if len(l) > 0 {
				t.Errorf("unexpected stderr line %s", short(string(l)))
			}
		}
		for s := range services {
			checkSequence(t, fmt.Sprintf("stdout of s%d", s), outs[s].Bytes(), lines, func(dst []byte, i int) []byte {
				dst = fmt.Appendf(dst, `{"s":%d,"i":`, s)
				return strconv.AppendInt(dst, int64(i), 10)
			}, isTSLogged(fmt.Sprintf("s%d", s)))
			checkSequence(t, fmt.Sprintf("stderr of s%d", s), errs[s].Bytes(), lines/errEvery, func(dst []byte, i int) []byte {
				dst = fmt.Appendf(dst, "s%d/run: s%d e", s, s)
				return strconv.AppendInt(dst, int64(i), 10)
			}, isEmpty)
		}
	})
}
