package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

var infoLevel = []string{"DINIT_LOG_LEVEL=info"}

// The run stage: working directory, environment, stdin, PID, output of
// both streams; ending with 0 stops dinit with 0.
func TestRunStage(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: append(infoLevel, "FOO=bar baz"), files: tree{
			"web/run": script(`echo "{\"pid\":$$}"
echo "cwd=$(pwd)" >&2
echo "stdin=$(readlink /proc/self/fd/0)" >&2
cat
echo "stdin at EOF" >&2
echo "FOO=$FOO DINIT_PID=${DINIT_PID-unset}" >&2
exit 0
`),
		}})
		d.expectExit(0)
		r := d.pidOf("web/run")
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			svc("web", "run", "cwd="+filepath.Join(d.dir, "web")),
			svc("web", "run", "stdin=/dev/null"),
			svc("web", "run", "stdin at EOF"),
			svc("web", "run", "FOO=bar baz DINIT_PID=unset"),
			info("web/run: PID %d finished with status 0", r),
			warn("shutting down: web/run: PID %d finished with status 0", r),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, info("web/run: starting"), info("web/run: running with PID %d", r),
			info("web/run: PID %d finished with status 0", r), warn("shutting down: web/run: PID %d finished with status 0", r), exiting(0))
		d.expectInOrder("stderr", got, svc("web", "run", "cwd="+filepath.Join(d.dir, "web")),
			svc("web", "run", "stdin=/dev/null"), svc("web", "run", "stdin at EOF"))
		d.expectLast("stderr", got, exiting(0))
		d.expectLines("stdout", d.outLines(), []string{jsonOut(fmt.Sprintf(`{"pid":%d}`, r), "web", "run")})
	})
}

// Services start in name order (byte order); entries starting with a dot
// and entries that are not directories are skipped; a symbolic link to a
// directory is a service.
func TestServiceOrder(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		runner := script("exec sleep 1000\n")
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"a/run":            runner,
			"B/run":            runner,
			"10/run":           runner,
			"9/run":            runner,
			".hidden/run":      script("touch ../marker\nexec sleep 1000\n"),
			"plain":            text("x"),
			"linked":           symlink("../elsewhere"),
			"../elsewhere/run": runner,
		}})
		pids := map[string]int{}
		order := []string{"10", "9", "B", "a", "linked"}
		for _, n := range order {
			pids[n] = d.pidOf(n + "/run")
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		var starting []string
		for _, l := range d.errLines() {
			if strings.HasSuffix(l, "/run: starting") {
				starting = append(starting, l)
			}
		}
		var want []string
		for _, n := range order {
			want = append(want, info("%s/run: starting", n))
		}
		d.expectLines("services started", starting, want)
		d.expectNoLine("stderr", d.errLines(), `hidden|plain`)
		if _, err := os.Stat(filepath.Join(d.dir, "marker")); err == nil {
			t.Errorf(".hidden was started")
		}
	})
}

// A service name is JSON-escaped in the appended fields and used as is on
// stderr.
func TestServiceNameEscaping(t *testing.T) {
	t.Parallel()
	name := `q"uo\te`
	d := start(t, setup{mode: subreaper, files: tree{
		name + "/run": script("echo $$ >pid\necho '{\"x\":1}'\necho 'e' >&2\n"),
	}})
	d.expectExit(0)
	d.expectLines("stdout", d.outLines(), []string{`{"x":1,"service":"q\"uo\\te","stage":"run","logged":"TS"}`})
	d.expectLines("stderr", d.errLines(), []string{
		svc(name, "run", "e"),
		warn("shutting down: %s/run: PID %d finished with status 0", name, d.pidFile(name+"/pid")),
	})
}

// log/run reads the service's stdout; its stdout is the service's stdout
// (stage run), its stderr is stage log; it ends at EOF when run ended.
func TestLogStage(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run": script(`echo '"first"'
echo '"second"'
echo 'run stderr' >&2
exit 0
`),
			"web/log/run": script(`echo "log cwd=$(pwd)" >&2
while IFS= read -r line; do
	printf '{"via":"log","line":%s}\n' "$line"
done
echo 'log saw EOF' >&2
`),
		}})
		d.expectExit(0)
		r, l := d.pidOf("web/run"), d.pidOf("web/log")
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("web/log: starting"),
			info("web/log: running with PID %d", l),
			svc("web", "log", "log cwd="+filepath.Join(d.dir, "web", "log")),
			svc("web", "run", "run stderr"),
			svc("web", "log", "log saw EOF"),
			info("web/run: PID %d finished with status 0", r),
			warn("shutting down: web/run: PID %d finished with status 0", r),
			info("web/log: PID %d finished with status 0", l),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, info("web/run: PID %d finished with status 0", r),
			warn("shutting down: web/run: PID %d finished with status 0", r), exiting(0))
		d.expectInOrder("stderr", got, svc("web", "log", "log saw EOF"), exiting(0))
		d.expectLast("stderr", got, exiting(0))
		d.expectLines("stdout", d.outLines(), []string{
			jsonOut(`{"via":"log","line":"first"}`, "web", "run"),
			jsonOut(`{"via":"log","line":"second"}`, "web", "run"),
		})
	})
}

// A log/run that ends while run still runs starts the shutdown; the log
// program is never signalled.
func TestLogEndsFirst(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run":     script("exec sleep 1000\n"),
			"web/log/run": script("exit 0\n"),
		}})
		d.expectExit(0)
		r, l := d.pidOf("web/run"), d.pidOf("web/log")
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("web/log: starting"),
			info("web/log: running with PID %d", l),
			info("web/log: PID %d finished with status 0", l),
			warn("shutting down: web/log: PID %d finished with status 0", l),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-6:]...)
	})
}

// At a shutdown, log programs are not signalled: they end at EOF, once run
// has ended.
func TestLogNotSignalled(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run":     script("echo '{\"a\":1}'\nexec sleep 1000\n"),
			"web/log/run": script("exec cat\n"),
		}})
		r, l := d.pidOf("web/run"), d.pidOf("web/log")
		d.waitStdout(`^\{"a":1,`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("web/log: starting"),
			info("web/log: running with PID %d", l),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			info("web/log: PID %d finished with status 0", l),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		// run and log may end in the same instant: either order.
		d.expectInOrder("stderr", got, want[len(want)-7:len(want)-2]...)
		d.expectInOrder("stderr", got, want[len(want)-4], want[len(want)-2], want[len(want)-1])
		d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"a":1}`, "web", "run")})
	})
}

// A terminate program replaces SIGTERM: cwd is the service directory,
// DINIT_PID is run's PID, its output is stage term.
func TestTerminateProgram(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run": script("exec sleep 1000\n"),
			"web/terminate": script(`echo "{\"term_for\":$DINIT_PID}"
echo "term cwd=$(pwd)" >&2
kill -TERM "$DINIT_PID"
`),
		}})
		r := d.pidOf("web/run")
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		tp := d.pidOf("web/term")
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/term: starting"),
			info("web/term: running with PID %d", tp),
			svc("web", "term", "term cwd="+filepath.Join(d.dir, "web")),
			info("web/term: PID %d finished with status 0", tp),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-9:len(want)-4]...)
		d.expectLast("stderr", got, exiting(0))
		d.expectLines("stdout", d.outLines(), []string{jsonOut(fmt.Sprintf(`{"term_for":%d}`, r), "web", "term")})
	})
}

// Exit code 115: the service disabled itself, the others keep running.
func TestDisabledItself(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"a/run": script("exit 115\n"),
			"b/run": script("exec sleep 1000\n"),
		}})
		a, b := d.pidOf("a/run"), d.pidOf("b/run")
		d.waitStderr(`^TS dinit: info: a/run: PID \d+ finished and disabled itself$`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("a/run: starting"),
			info("a/run: running with PID %d", a),
			info("b/run: starting"),
			info("b/run: running with PID %d", b),
			info("a/run: PID %d finished and disabled itself", a),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("b/run: terminating"),
			info("b/run: sending SIGTERM to PID %d", b),
			info("b/run: PID %d finished with signal 15", b),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-6:]...)
	})
}

// Only descriptors 0, 1 and 2 are open in run, log/run and terminate:
// nothing of dinit's leaks.
func TestServiceDescriptors(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run":       script(helper("fds", "run")),
			"web/log/run":   script(helper("fds", "log")),
			"web/terminate": script(helper("fds", "term")),
			"sleeper/run":   script("exec sleep 1000\n"),
		}})
		d.waitStdout(`"role":"run"`)
		d.waitStdout(`"role":"log"`)
		sleeper := d.pidOf("sleeper/run")
		if m == subreaper {
			// Seen from outside too, for a program that is not ours.
			fds, err := fdTargets(sleeper)
			if err != nil {
				t.Errorf("reading the descriptors of sleeper/run: %v", err)
			} else if want := []string{"0:/dev/null", "1:pipe", "2:pipe"}; !slices.Equal(fds, want) {
				t.Errorf("descriptors of sleeper/run (from /proc) = %q, want %q", fds, want)
			}
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		d.expectSameLines("stdout", d.outLines(), []string{
			jsonOut(`{"role":"run","fds":"0:/dev/null 1:pipe 2:pipe"}`, "web", "run"),
			jsonOut(`{"role":"log","fds":"0:pipe 1:pipe 2:pipe"}`, "web", "run"),
			jsonOut(`{"role":"term","fds":"0:/dev/null 1:pipe 2:pipe"}`, "web", "term"),
		})
		d.expectNoLine("stderr", d.errLines(), `^TS web/`)
	})
}
