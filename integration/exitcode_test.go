package integration

import (
	"path/filepath"
	"syscall"
	"testing"
)

// One service ends by itself: status 0 gives 0, anything else 3, and the
// other services are terminated.
func TestServiceEnds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		run    string // body of a/run
		end    string // how dinit reports the end of a/run, after "PID N "
		status int
	}{
		{"status 0", "exit 0\n", "finished with status 0", 0},
		{"status 1", "exit 1\n", "finished with status 1", 3},
		{"status 4", "exit 4\n", "finished with status 4", 3},
		{"status 3", "exit 3\n", "finished with status 3", 3},
		{"status 255", "exit 255\n", "finished with status 255", 3},
		{"killed by itself", "kill -KILL $$\n", "finished with signal 9", 3},
		{"terminated by someone else", "kill -TERM $$\n", "finished with signal 15", 3},
		{"segfault-like", "kill -SEGV $$\n", "finished with signal 11", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: infoLevel, files: tree{
					"a/run": script("echo 'about to end' >&2\n" + c.run),
					"b/run": script("exec sleep 1000\n"),
				}})
				d.expectExit(c.status)
				a, b := d.pidOf("a/run"), d.pidOf("b/run")
				want := append(d.preamble(),
					info("a/run: starting"),
					info("a/run: running with PID %d", a),
					info("b/run: starting"),
					info("b/run: running with PID %d", b),
					svc("a", "run", "about to end"),
					info("a/run: PID %d %s", a, c.end),
					warn("shutting down: a/run: PID %d %s", a, c.end),
					info("b/run: terminating"),
					info("b/run: sending SIGTERM to PID %d", b),
					info("b/run: PID %d finished with signal 15", b),
					exiting(c.status),
				)
				got := d.errLines()
				d.expectSameLines("stderr", got, want)
				d.expectInOrder("stderr", got, want[len(want)-6:]...)
			})
		})
	}
}

// A shutdown started by a signal exits 0, even when services then end
// with an error.
func TestSignalShutdownWinsOverServiceErrors(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"a/run": script("trap 'exit 5' TERM\n" + ready("a") + "while :; do sleep 0.05; done\n"),
			"b/run": script("trap 'kill -KILL $$' TERM\n" + ready("b") + "while :; do sleep 0.05; done\n"),
		}})
		a, b := d.pidOf("a/run"), d.pidOf("b/run")
		d.waitReady("a")
		d.waitReady("b")
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		got := d.errLines()
		d.expectInOrder("stderr", got, info("got signal 15, terminating services"), warn("shutting down: got signal 15"),
			info("a/run: PID %d finished with status 5", a))
		d.expectInOrder("stderr", got, info("got signal 15, terminating services"), warn("shutting down: got signal 15"),
			info("b/run: PID %d finished with signal 9", b))
		if n := len(matching(got, `^TS dinit: warning: shutting down: `)); n != 1 {
			t.Errorf("want exactly 1 shutting down line, got %d", n)
		}
		d.expectLast("stderr", got, exiting(0))
	})
}

// The first reason wins: a service failure (3) is not undone by a later
// signal, nor by other services ending well.
func TestFirstReasonWins(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			// a fails once b is ready.
			"a/run": script("while [ ! -e ../b/ready ]; do sleep 0.01; done\nexit 4\n"),
			// b takes its time to stop, so that a signal arrives during the shutdown.
			"b/run": script("trap 'while [ ! -e stop ]; do sleep 0.05; done; exit 0' TERM\ntouch ready\nwhile :; do sleep 0.05; done\n"),
		}})
		a := d.pidOf("a/run")
		d.waitStderr(`^TS dinit: info: b/run: sending SIGTERM to PID \d+$`)
		d.signal(syscall.SIGTERM)
		d.waitStderr(`^TS dinit: info: got signal 15, already terminating services$`)
		if err := touch(filepath.Join(d.dir, "b", "stop")); err != nil {
			t.Fatal(err)
		}
		d.expectExit(3)
		got := d.errLines()
		d.expectInOrder("stderr", got, info("a/run: PID %d finished with status 4", a),
			warn("shutting down: a/run: PID %d finished with status 4", a), info("got signal 15, already terminating services"))
		d.expectNoLine("stderr", got, `got signal 15, terminating services`)
		if n := len(matching(got, `^TS dinit: warning: shutting down: `)); n != 1 {
			t.Errorf("want exactly 1 shutting down line, got %d", n)
		}
		d.expectLast("stderr", got, exiting(3))
	})
}

// A run that cannot be started: error, exit 1, the others are terminated.
func TestRunNotExecutable(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			"a/run": script("exec sleep 1000\n"),
			"b/run": text("#!/bin/sh\nexit 0\n"),
			// c would fail with 3 later; the first reason (1) must win.
			"c/run": script("trap 'exit 7' TERM\nwhile :; do sleep 0.05; done\n"),
		}})
		d.expectExit(1)
		a := d.pidOf("a/run")
		got := d.errLines()
		errLine := "TS dinit: error: b/run: error running: fork/exec " + filepath.Join(d.dir, "b", "run") + ": permission denied"
		d.expectInOrder("stderr", got, errLine, warn("shutting down: b could not be started"), info("a/run: terminating"),
			info("a/run: sending SIGTERM to PID %d", a), info("a/run: PID %d finished with signal 15", a))
		if n := len(matching(got, `^TS dinit: error: `)); n != 1 {
			t.Errorf("want exactly 1 error line, got %d", n)
		}
		d.expectLast("stderr", got, exiting(1))
	})
}

// An end with 0 records nothing (the reference's rule): when a exits 0 and
// starts the shutdown, b's end on our SIGTERM decides. Exiting 9 on it is a
// failure (3); dying of the SIGTERM we sent is not (0).
func TestEndWithZeroRecordsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		onTerm string // b's TERM trap
		end    string
		status int
	}{
		{"then exit 9 on SIGTERM", "exit 9", "finished with status 9", 3},
		{"then killed by our SIGTERM", "trap - TERM; kill -TERM $$", "finished with signal 15", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: infoLevel, files: tree{
					"a/run": script("while [ ! -e ../b/ready ]; do sleep 0.01; done\nexit 0\n"),
					"b/run": script("trap '" + c.onTerm + "' TERM\ntouch ready\nwhile :; do sleep 0.05; done\n"),
				}})
				d.expectExit(c.status)
				a, b := d.pidOf("a/run"), d.pidOf("b/run")
				got := d.errLines()
				d.expectInOrder("stderr", got,
					info("a/run: PID %d finished with status 0", a),
					warn("shutting down: a/run: PID %d finished with status 0", a),
					info("b/run: sending SIGTERM to PID %d", b),
					info("b/run: PID %d %s", b, c.end))
				d.expectLast("stderr", got, exiting(c.status))
			})
		})
	}
}
