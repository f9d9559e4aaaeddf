package integration

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
)

// TERM, INT and QUIT shut down gracefully: each run gets SIGTERM or its
// terminate program, and dinit exits 0.
func TestShutdownSignals(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: infoLevel, files: tree{
					"a/run":       script("exec sleep 1000\n"),
					"b/run":       script("trap 'echo \"{\\\"b\\\":\\\"got TERM\\\"}\"; exit 0' TERM\n" + ready("b") + "while :; do sleep 0.05; done\n"),
					"c/run":       script("exec sleep 1000\n"),
					"c/terminate": script("echo \"stopping $DINIT_PID\" >&2\nkill -TERM \"$DINIT_PID\"\n"),
				}})
				a, b, c := d.pidOf("a/run"), d.pidOf("b/run"), d.pidOf("c/run")
				d.waitReady("b")
				d.signal(sig)
				d.expectExit(0)
				tp := d.pidOf("c/term")
				want := append(d.preamble(),
					info("a/run: starting"),
					info("a/run: running with PID %d", a),
					info("b/run: starting"),
					info("b/run: running with PID %d", b),
					info("c/run: starting"),
					info("c/run: running with PID %d", c),
					info("got signal %d, terminating services", int(sig)),
					warn("shutting down: got signal %d", int(sig)),
					info("a/run: terminating"),
					info("a/run: sending SIGTERM to PID %d", a),
					info("b/run: terminating"),
					info("b/run: sending SIGTERM to PID %d", b),
					info("c/run: terminating"),
					info("c/term: starting"),
					info("c/term: running with PID %d", tp),
					svc("c", "term", fmt.Sprintf("stopping %d", c)),
					info("c/term: PID %d finished with status 0", tp),
					info("a/run: PID %d finished with signal 15", a),
					info("b/run: PID %d finished with status 0", b),
					info("c/run: PID %d finished with signal 15", c),
					exiting(0),
				)
				got := d.errLines()
				d.expectSameLines("stderr", got, want)
				d.expectInOrder("stderr", got, info("got signal %d, terminating services", int(sig)),
					warn("shutting down: got signal %d", int(sig)), info("a/run: terminating"),
					info("a/run: sending SIGTERM to PID %d", a), info("a/run: PID %d finished with signal 15", a))
				d.expectInOrder("stderr", got, info("c/run: terminating"), info("c/term: starting"),
					info("c/term: running with PID %d", tp), info("c/run: PID %d finished with signal 15", c))
				d.expectLast("stderr", got, exiting(0))
				d.expectLines("stdout", d.outLines(), []string{readyOut("b"), jsonOut(`{"b":"got TERM"}`, "b", "run")})
			})
		})
	}
}

// A second TERM or INT during the shutdown is logged and changes nothing.
func TestSignalDuringShutdown(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run": script(`trap 'echo "{\"trapped\":\"TERM\"}"; while [ ! -e stop ]; do sleep 0.05; done; exit 0' TERM
` + ready("web") + `while :; do sleep 0.05; done
`),
		}})
		r := d.pidOf("web/run")
		d.waitReady("web")
		d.signal(syscall.SIGTERM)
		d.waitStdout(`^\{"trapped":"TERM"`)
		d.signal(syscall.SIGTERM)
		d.waitStderr(`^TS dinit: info: got signal 15, already terminating services$`)
		d.signal(syscall.SIGINT)
		d.waitStderr(`^TS dinit: info: got signal 2, already terminating services$`)
		if err := touch(filepath.Join(d.dir, "web", "stop")); err != nil {
			t.Fatal(err)
		}
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("got signal 15, already terminating services"),
			info("got signal 2, already terminating services"),
			info("web/run: PID %d finished with status 0", r),
			exiting(0),
		)
		d.expectLines("stderr", d.errLines(), want)
	})
}

// HUP, USR1, USR2 and WINCH are forwarded to the running services, which
// keep running.
func TestForwardedSignals(t *testing.T) {
	t.Parallel()
	traps := ""
	for _, s := range []string{"HUP", "USR1", "USR2", "WINCH"} {
		traps += fmt.Sprintf("trap 'echo \"{\\\"signal\\\":\\\"%s\\\"}\"' %s\n", s, s)
	}
	trapper := script(traps + "echo '{\"ready\":true}'\n" + loop)
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{"a/run": trapper, "b/run": trapper}})
		a, b := d.pidOf("a/run"), d.pidOf("b/run")
		d.waitStream(d.stdout, `^\{"ready":true`, 2, waitTimeout)
		sigs := []struct {
			sig  syscall.Signal
			name string
		}{{syscall.SIGHUP, "HUP"}, {syscall.SIGUSR1, "USR1"}, {syscall.SIGUSR2, "USR2"}, {syscall.SIGWINCH, "WINCH"}}
		var wantErr []string
		wantOut := []string{jsonOut(`{"ready":true}`, "a", "run"), jsonOut(`{"ready":true}`, "b", "run")}
		for _, s := range sigs {
			d.signal(s.sig)
			d.waitStderr(fmt.Sprintf(`^TS dinit: info: got signal %d, forwarding it to running services$`, int(s.sig)))
			d.waitStream(d.stdout, fmt.Sprintf(`^\{"signal":"%s"`, s.name), 2, waitTimeout)
			wantErr = append(wantErr, info("got signal %d, forwarding it to running services", int(s.sig)))
			for _, n := range []string{"a", "b"} {
				wantOut = append(wantOut, jsonOut(fmt.Sprintf(`{"signal":"%s"}`, s.name), n, "run"))
			}
		}
		if !d.running() {
			t.Fatal("dinit exited after forwarded signals")
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("a/run: starting"),
			info("a/run: running with PID %d", a),
			info("b/run: starting"),
			info("b/run: running with PID %d", b),
		)
		want = append(want, wantErr...)
		want = append(want,
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("a/run: terminating"),
			info("a/run: sending SIGTERM to PID %d", a),
			info("b/run: terminating"),
			info("b/run: sending SIGTERM to PID %d", b),
			info("a/run: PID %d finished with signal 15", a),
			info("b/run: PID %d finished with signal 15", b),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, wantErr...)
		d.expectSameLines("stdout", d.outLines(), wantOut)
	})
}

// Other catchable signals are logged and ignored: not forwarded, no
// shutdown.
func TestIgnoredSignals(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"web/run": script(`trap 'echo "{\"signal\":\"ALRM\"}"' ALRM
trap 'echo "{\"signal\":\"TTIN\"}"' TTIN
` + ready("web") + loop),
		}})
		r := d.pidOf("web/run")
		d.waitReady("web")
		d.signal(syscall.SIGALRM)
		d.waitStderr(`^TS dinit: info: got signal 14, ignoring it$`)
		d.signal(syscall.SIGTTIN)
		d.waitStderr(`^TS dinit: info: got signal 21, ignoring it$`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("got signal 14, ignoring it"),
			info("got signal 21, ignoring it"),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0),
		)
		d.expectLines("stderr", d.errLines(), want)
		d.expectLines("stdout", d.outLines(), []string{readyOut("web")})
	})
}

// SIGPIPE is ignored without a word above debug level.
func TestSigpipe(t *testing.T) {
	t.Parallel()
	t.Run("info", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: infoLevel, files: tree{"web/run": script("exec sleep 1000\n")}})
			r := d.pidOf("web/run")
			d.signal(syscall.SIGPIPE)
			// Signals are handled in arrival order: once ALRM is logged,
			// PIPE was handled.
			d.signal(syscall.SIGALRM)
			d.waitStderr(`^TS dinit: info: got signal 14, ignoring it$`)
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
			want := append(d.preamble(),
				info("web/run: starting"),
				info("web/run: running with PID %d", r),
				info("got signal 14, ignoring it"),
				info("got signal 15, terminating services"),
				warn("shutting down: got signal 15"),
				info("web/run: terminating"),
				info("web/run: sending SIGTERM to PID %d", r),
				info("web/run: PID %d finished with signal 15", r),
				exiting(0),
			)
			d.expectLines("stderr", d.errLines(), want)
		})
	})
	t.Run("debug", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: []string{"DINIT_LOG_LEVEL=debug"}, files: tree{"web/run": script("exec sleep 1000\n")}})
			d.pidOf("web/run")
			d.signal(syscall.SIGPIPE)
			d.waitStderr(`^TS dinit: debug: .*(signal 13|SIGPIPE)`)
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
			d.expectNoLine("stderr", d.errLines(), `^TS dinit: (info|warning|error): .*(signal 13|SIGPIPE)`)
		})
	})
}

// Ctrl-C in a terminal sends SIGINT to the whole foreground process group.
// Every program runs in a process group of its own, so only dinit gets it,
// and the services are stopped through the graceful path (SIGTERM), not
// killed by the terminal's signal.
func TestTerminalInterruptReachesOnlyDinit(t *testing.T) {
	t.Parallel()
	d := start(t, setup{mode: subreaper, env: infoLevel, files: tree{
		"web/run": script(ready("web") + "exec sleep 1000\n"),
	}})
	r := d.pidOf("web/run")
	d.waitReady("web")
	if err := syscall.Kill(-d.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	d.expectExit(0)
	d.expectInOrder("stderr", d.errLines(),
		info("got signal 2, terminating services"),
		warn("shutting down: got signal 2"),
		info("web/run: sending SIGTERM to PID %d", r),
		info("web/run: PID %d finished with signal 15", r),
		exiting(0))
}
