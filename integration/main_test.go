package integration

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The main program: `dinit [--] PROGRAM [ARGS...]` (SPEC §9).

// mainRun starts dinit with a main program and no service directory
// (DINIT_DIR unset; the host has no /etc/service, checked first).
func mainRun(t *testing.T, m mode, env []string, argv ...string) *instance {
	t.Helper()
	requireNoDefaultDir(t)
	return start(t, setup{mode: m, noDir: true, env: env, args: argv})
}

// requireNoDefaultDir: these tests rely on /etc/service being absent, as
// in a container whose image has no services.
func requireNoDefaultDir(t *testing.T) {
	t.Helper()
	if fileExists("/etc/service") {
		t.Fatal("/etc/service exists on this machine: the main-program tests need it absent")
	}
}

// Its end decides the exit code (the code, or 128+N for a signal N),
// whatever the code; nothing else is said at the default level but the
// reason of the shutdown, and the final status when it is not 0.
func TestMainProgramExitCodes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		argv   []string
		end    string // "finished with ..."
		status int
	}{
		{"status 0", []string{"sh", "-c", "exit 0"}, "status 0", 0},
		{"status 7", []string{"sh", "-c", "exit 7"}, "status 7", 7},
		{"status 115 is no special code", []string{"sh", "-c", "exit 115"}, "status 115", 115},
		{"status 3", []string{"--", "sh", "-c", "exit 3"}, "status 3", 3},
		{"killed", []string{"sh", "-c", "kill -KILL $$"}, "signal 9", 137},
		{"terminated by someone else", []string{"sh", "-c", "kill -TERM $$"}, "signal 15", 143},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := mainRun(t, m, nil, c.argv...)
				d.expectExit(c.status)
				errs := d.errLines()
				if len(errs) == 0 {
					t.Fatal("no stderr")
				}
				want := []string{warn("shutting down: sh/run: PID %d finished with %s", pidIn(t, errs[0]), c.end)}
				if c.status != 0 {
					want = append(want, finalLine(c.status))
				}
				d.expectLines("stderr", errs, want)
				d.expectLines("stdout", d.outLines(), nil)
			})
		})
	}
}

// pidIn reads the PID out of "... PID N finished ...".
func pidIn(t *testing.T, line string) int {
	t.Helper()
	m := regexp.MustCompile(`PID (\d+) `).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no PID in %q", line)
	}
	return atoi(t, m[1])
}

// A program that cannot be run: 127 when it is not found (in PATH, or at
// the path given), 126 when it is not executable, with one error line
// naming it and nothing started.
func TestMainProgramCannotRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		argv   []string
		status int
		line   string
	}{
		{[]string{"no-such-program-here"}, 127, `main program "no-such-program-here": not found in PATH`},
		{[]string{"/no/such/program"}, 127, `main program "/no/such/program": not found`},
		{[]string{"/etc/passwd"}, 126, `main program "/etc/passwd": not executable: access /etc/passwd: permission denied`},
		{[]string{"/tmp"}, 126, `main program "/tmp": not executable: is a directory`},
		{[]string{"--"}, 1, `no program after --`},
		{[]string{"--bogus"}, 1, `unknown option "--bogus" (see dinit --help)`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := mainRun(t, m, infoLevel, c.argv...)
				d.expectExit(c.status)
				d.expectLines("stderr", d.errLines(), []string{"TS dinit: error: " + c.line})
			})
		})
	}
}

// A bad DINIT_* value is still refused before the program is looked at.
func TestMainProgramBadConfiguration(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := mainRun(t, m, []string{"DINIT_LOG_LEVEL=loud"}, "no-such-program-here")
		d.expectExit(1)
		d.expectLines("stderr", d.errLines(), []string{
			`TS dinit: error: invalid DINIT_LOG_LEVEL value "loud": want one of none, error, warn, info, debug`})
	})
}

// The whole run at info level: started after nothing (no services, and no
// "no services found"), in dinit's working directory (/), its stdout
// relayed as a service's (JSON augmented), then its end.
func TestMainProgramLines(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := mainRun(t, m, infoLevel, "sh", "-c", `echo "{\"pwd\":\"$(pwd)\",\"argv\":\"$0 $1\"}"; echo oops >&2`, "zero", "one")
		d.expectExit(0)
		pid := d.pidOf("sh/run")
		d.expectLines("stderr", d.errLines(), append(d.preamble(),
			info("sh/run: starting"),
			info("sh/run: running with PID %d", pid),
			svc("sh", "run", "oops"),
			info("sh/run: PID %d finished with status 0", pid),
			warn("shutting down: sh/run: PID %d finished with status 0", pid),
			finalLine(0)))
		d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"pwd":"/","argv":"zero one"}`, "sh", "run")})
	})
}

// stdin is the main program's: `echo hi | dinit cat` relays hi (as a
// not-JSON line in the JSON mode, as a plain line without it).
func TestMainProgramStdin(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		t.Run("json", func(t *testing.T) {
			requireNoDefaultDir(t)
			d := start(t, setup{mode: m, noDir: true, stdin: "hi\n", args: []string{"cat"}})
			d.expectExit(0)
			errs := d.errLines()
			d.expectLines("stderr", errs, []string{
				warn("cat/run: not JSON stdout: hi"),
				warn("shutting down: cat/run: PID %d finished with status 0", pidIn(t, errs[len(errs)-1]))})
		})
		t.Run("plain", func(t *testing.T) {
			requireNoDefaultDir(t)
			d := start(t, setup{mode: m, noDir: true, stdin: "hi\nthere\n", args: []string{"cat"},
				env: []string{"DINIT_JSON_STDOUT=0"}, plainStdout: true})
			d.expectExit(0)
			d.expectLines("stdout", d.outLines(), []string{svc("cat", "run", "hi"), svc("cat", "run", "there")})
		})
	})
}

// TERM (docker stop) reaches the main program as any service's run: one
// that dies of it gives 143, one that exits 0 on it gives 0. HUP is
// forwarded to it.
func TestMainProgramSignals(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		t.Run("dies of TERM", func(t *testing.T) {
			d := mainRun(t, m, infoLevel, "sleep", "1000")
			pid := d.pidOf("sleep/run")
			d.signal(syscall.SIGTERM)
			d.expectExit(143)
			d.expectLines("stderr", d.errLines(), append(d.preamble(),
				info("sleep/run: starting"),
				info("sleep/run: running with PID %d", pid),
				info("got signal 15, terminating services"),
				warn("shutting down: got signal 15"),
				info("sleep/run: terminating"),
				info("sleep/run: sending SIGTERM to PID %d", pid),
				info("sleep/run: PID %d finished with signal 15", pid),
				finalLine(143)))
		})
		t.Run("exits 0 on TERM, after a forwarded HUP", func(t *testing.T) {
			d := mainRun(t, m, []string{"DINIT_JSON_STDOUT=0"}, "sh", "-c",
				`trap 'echo got HUP' HUP; trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done`)
			d.plainStdout = true
			d.waitStdout(`^TS sh/run: ready$`)
			d.signal(syscall.SIGHUP)
			d.waitStdout(`^TS sh/run: got HUP$`)
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
			d.expectLines("stdout", d.outLines(), []string{
				svc("sh", "run", "ready"), svc("sh", "run", "got HUP"), svc("sh", "run", "got TERM")})
			d.expectLines("stderr", d.errLines(), []string{warn("shutting down: got signal 15")})
		})
	})
}

// With services alongside: they start first; the main program's end stops
// and drains them and gives its code; a service's end stops the main
// program, whose end then gives the code (143 when TERM kills it).
func TestMainProgramWithServices(t *testing.T) {
	t.Parallel()
	services := func(bEnd string) tree {
		return tree{
			"a/run": script(`trap 'echo "{\"a\":\"bye\"}"; exit 0' TERM; echo '{"a":"up"}'; while :; do sleep 0.05; done` + "\n"),
			"b/run": script(bEnd),
		}
	}
	eachMode(t, func(t *testing.T, m mode) {
		t.Run("main ends", func(t *testing.T) {
			d := start(t, setup{mode: m, env: infoLevel, files: services("exec sleep 1000\n"),
				args: []string{"sh", "-c", "sleep 0.3; exit 4"}})
			d.expectExit(4)
			a, b, main := d.pidOf("a/run"), d.pidOf("b/run"), d.pidOf("sh/run")
			errs := d.errLines()
			d.expectInOrder("stderr", errs,
				info("a/run: running with PID %d", a),
				info("b/run: running with PID %d", b),
				info("sh/run: running with PID %d", main),
				info("sh/run: PID %d finished with status 4", main),
				warn("shutting down: sh/run: PID %d finished with status 4", main),
				info("a/run: sending SIGTERM to PID %d", a),
				info("b/run: sending SIGTERM to PID %d", b),
				finalLine(4))
			d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"a":"up"}`, "a", "run"), jsonOut(`{"a":"bye"}`, "a", "run")})
		})
		t.Run("a service ends", func(t *testing.T) {
			d := start(t, setup{mode: m, env: infoLevel, files: services("sleep 0.3; exit 5\n"),
				args: []string{"sleep", "1000"}})
			d.expectExit(143)
			b, main := d.pidOf("b/run"), d.pidOf("sleep/run")
			d.expectInOrder("stderr", d.errLines(),
				info("b/run: PID %d finished with status 5", b),
				warn("shutting down: b/run: PID %d finished with status 5", b),
				info("sleep/run: terminating"),
				info("sleep/run: sending SIGTERM to PID %d", main),
				info("sleep/run: PID %d finished with signal 15", main),
				finalLine(143))
		})
		t.Run("a service ends, the main program exits 0 on TERM", func(t *testing.T) {
			d := start(t, setup{mode: m, files: services("sleep 0.3; exit 5\n"),
				args: []string{"sh", "-c", `trap 'exit 0' TERM; while :; do sleep 0.05; done`}})
			d.expectExit(0)
		})
	})
}

// An explicitly set DINIT_DIR that is missing is still an error, with the
// main program not started.
func TestMainProgramMissingDir(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: []string{"DINIT_DIR=/no/such/dir"}, noDir: true, args: []string{"sleep", "1000"}})
		d.expectExit(1)
		d.expectLines("stderr", d.errLines(), []string{
			`TS dinit: error: DINIT_DIR "/no/such/dir": open /no/such/dir: no such file or directory`,
			finalLine(1)})
	})
}

// DINIT_EXIT_CODE=service, without a main program: the code of the
// program whose end started the shutdown; 0 for a signal.
func TestExitCodeService(t *testing.T) {
	t.Parallel()
	env := []string{"DINIT_EXIT_CODE=service"}
	eachMode(t, func(t *testing.T, m mode) {
		t.Run("a service exits 5", func(t *testing.T) {
			d := start(t, setup{mode: m, env: env, files: tree{
				"a/run": script("exec sleep 1000\n"),
				"b/run": script("sleep 0.2; exit 5\n"),
			}})
			d.expectExit(5)
		})
		t.Run("a service exits 0 first", func(t *testing.T) {
			d := start(t, setup{mode: m, env: env, files: tree{
				"a/run": script("exec sleep 1000\n"),
				"b/run": script("sleep 0.2; exit 0\n"),
			}})
			d.expectExit(0)
		})
		t.Run("a service is killed", func(t *testing.T) {
			d := start(t, setup{mode: m, env: env, files: tree{
				"a/run": script("exec sleep 1000\n"),
				"b/run": script("sleep 0.2; kill -KILL $$\n"),
			}})
			d.expectExit(137)
		})
		t.Run("signal", func(t *testing.T) {
			d := start(t, setup{mode: m, env: append(env, infoLevel...), files: tree{
				"a/run": script("exec sleep 1000\n"),
			}})
			d.pidOf("a/run")
			d.signal(syscall.SIGTERM)
			d.expectExit(0)
		})
		t.Run("invalid", func(t *testing.T) {
			d := start(t, setup{mode: m, env: []string{"DINIT_EXIT_CODE=first"}, files: tree{
				"a/run": script("exec sleep 1000\n"),
			}})
			d.expectExit(1)
			d.expectLines("stderr", d.errLines(), []string{
				`TS dinit: error: invalid DINIT_EXIT_CODE value "first": want one of dinit, service`})
		})
	})
}

// Under a terminal (`docker run -it img sh`): the main program gets the
// terminal as it is, is its foreground process group (its pgrp is the
// terminal's), sees its size, and a Ctrl-C reaches it, not dinit.
func TestMainProgramTerminal(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		requireNoDefaultDir(t)
		d := start(t, setup{mode: m, noDir: true, env: infoLevel, raw: true, pty: &winsize{rows: 33, cols: 101},
			args: []string{"sh", "-c", `stty size; set -- $(cut -d' ' -f5,8 /proc/$$/stat); ` +
				`[ "$1" = "$2" ] && echo foreground; trap 'echo got INT; exit 3' INT; echo ready; while :; do sleep 0.05; done`}})
		d.waitStdout(`^33 101\r?$`)
		d.waitStdout(`^foreground\r?$`)
		d.waitStdout(`^ready\r?$`)
		d.typeInto("\x03")
		d.waitStdout(`got INT\r?$`)
		d.expectExit(3)
		if lines := matching(d.outLines(), `got signal`); len(lines) != 0 {
			t.Errorf("dinit saw the terminal's signal: %q", lines)
		}
		d.waitStdout(`^TS dinit: warning: dinit exiting with status 3\r?$`)
	})
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// finalLine is dinit's last line: at warning when the status is not 0.
func finalLine(code int) string {
	if code != 0 {
		return warn("dinit exiting with status %d", code)
	}
	return info("dinit exiting with status %d", code)
}
