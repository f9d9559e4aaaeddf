package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// orphanPID waits for the orphan's line on stdout and returns its PID.
func (d *instance) orphanPID(key string) int {
	d.t.Helper()
	m := d.waitStdout(`^\{"orphan":"` + regexp.QuoteMeta(key) + `","pid":(\d+),`)
	n, _ := strconv.Atoi(m[1])
	return n
}

// timeOf returns the timestamp of the first stderr line that matches
// pattern once normalised.
func (d *instance) timeOf(pattern string) time.Time {
	d.t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range splitLines(d.stderr.String()) {
		if re.MatchString(normalize(l)) {
			if ts := tsRe.FindString(l); ts != "" {
				tm, _ := time.Parse("2006-01-02T15:04:05.000Z", ts)
				return tm
			}
		}
	}
	d.t.Fatalf("no stderr line matches %q", pattern)
	return time.Time{}
}

func without(lines []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return slices.Contains(drop, l) })
}

// terminate policy (the default): a running reparented process gets
// SIGTERM at once.
func TestReparentTerminate(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"", "terminate"} {
		t.Run("policy="+policy, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				env := infoLevel
				if policy != "" {
					env = append(env, "DINIT_REPARENTING_POLICY="+policy)
				}
				d := start(t, setup{mode: m, env: env, files: tree{
					"web/run": script(orphan("o", "", "sleep 100") + "exec sleep 1000\n"),
				}})
				r, o := d.pidOf("web/run"), d.orphanPID("o")
				d.waitStderr(fmt.Sprintf(`^TS dinit: info: sleep/%d: PID %d finished with signal 15$`, o, o))
				d.signal(syscall.SIGTERM)
				d.expectExit(0)
				want := append(d.preamble(),
					info("web/run: starting"),
					info("web/run: running with PID %d", r),
					warn("sleep/%d: terminating reparented child process with PID %d: sleep 100", o, o),
					info("sleep/%d: sending SIGTERM to PID %d", o, o),
					info("sleep/%d: PID %d finished with signal 15", o, o),
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
	}
}

// terminate policy: a reparented process that ignores SIGTERM gets SIGKILL
// after DINIT_KILL_TIMEOUT seconds; the service keeps running.
func TestReparentKillTimeout(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: append(infoLevel, "DINIT_KILL_TIMEOUT=1"), files: tree{
			"web/run": script(orphan("o", `trap "" TERM;`, "sleep 100") + "exec sleep 1000\n"),
		}})
		r, o := d.pidOf("web/run"), d.orphanPID("o")
		d.waitStderr(fmt.Sprintf(`^TS dinit: info: sleep/%d: PID %d finished with signal 9$`, o, o))
		termAt := d.timeOf(fmt.Sprintf(`sleep/%d: sending SIGTERM to PID`, o))
		killAt := d.timeOf(fmt.Sprintf(`sleep/%d: sending SIGKILL to PID`, o))
		if gap := killAt.Sub(termAt); gap < 990*time.Millisecond || gap > 5*time.Second {
			t.Errorf("SIGKILL %v after SIGTERM, want DINIT_KILL_TIMEOUT=1s", gap)
		}
		if !d.running() {
			t.Fatal("dinit exited after killing a reparented process")
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			warn("sleep/%d: terminating reparented child process with PID %d: sleep 100", o, o),
			info("sleep/%d: sending SIGTERM to PID %d", o, o),
			info("sleep/%d: sending SIGKILL to PID %d", o, o),
			info("sleep/%d: PID %d finished with signal 9", o, o),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0),
		)
		d.expectLines("stderr", d.errLines(), want)
	})
}

// adopt policy: the orphan is adopted and waited for, its stdout and stderr
// are switched to pipes of ours (attributed sh/<pid>), forwarded signals
// reach it, and its end starts the shutdown.
func TestReparentAdopt(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: adoptDebug, files: tree{
			"web/orphan.sh": script(`trap 'echo "{\"adopted\":\"HUP\"}"; echo "adopted stderr" >&2; exit 0' HUP
while :; do sleep 0.05; done
`),
			// run ignores HUP only after starting the orphan, which must be
			// able to trap it.
			"web/run": script(adoptedOrphan + "trap '' HUP\n" + ready("web") + "exec sleep 1000\n"),
		}})
		r, o := d.pidOf("web/run"), d.orphanPID("o")
		stage := strconv.Itoa(o)
		d.waitReady("web")
		d.waitRedirected("sh", o)
		d.signal(syscall.SIGHUP)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			warn("sh/%d: adopting reparented child process with PID %d: /bin/sh ./orphan.sh", o, o),
			info("got signal 1, forwarding it to running services"),
			svc("sh", stage, "adopted stderr"),
			info("sh/%d: PID %d finished with status 0", o, o),
			warn("shutting down: sh/%d: adopted process PID %d finished with status 0", o, o),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0),
		)
		got := withoutDebug(d.errLines())
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-9:len(want)-7]...)
		d.expectInOrder("stderr", got, want[len(want)-6:]...)
		d.expectSameLines("stdout", d.outLines(), []string{
			jsonOut(fmt.Sprintf(`{"orphan":"o","pid":%d}`, o), "web", "run"),
			readyOut("web"),
			jsonOut(`{"adopted":"HUP"}`, "sh", stage),
		})
	})
}

// adopt policy: an adopted process ending with an error code is a failure
// (3), like a service's.
func TestReparentAdoptedFails(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: adoptDebug, files: tree{
			// Ends only once adopted: the test creates ../go after the
			// adoption warning. Its last words come through dinit's pipe.
			"web/orphan.sh": script("while [ ! -e ../go ]; do sleep 0.02; done\necho '{\"last\":\"words\"}'\nexit 7\n"),
			"web/run":       script(adoptedOrphan + "exec sleep 1000\n"),
		}})
		o := d.orphanPID("o")
		d.waitRedirected("sh", o)
		if err := os.WriteFile(filepath.Join(d.dir, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		d.expectExit(3)
		d.expectLines("stdout", d.outLines()[1:], []string{jsonOut(`{"last":"words"}`, "sh", strconv.Itoa(o))})
		d.expectInOrder("stderr", withoutDebug(d.errLines()),
			warn("sh/%d: adopting reparented child process with PID %d: /bin/sh ./orphan.sh", o, o),
			info("sh/%d: PID %d finished with status 7", o, o),
			warn("shutting down: sh/%d: adopted process PID %d finished with status 7", o, o),
			info("web/run: terminating"),
			exiting(3))
	})
}

// adopt policy: processes reparented during the shutdown are terminated,
// not adopted.
func TestReparentAdoptDuringShutdown(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: append(infoLevel, "DINIT_REPARENTING_POLICY=adopt"), files: tree{
			"web/run": script("trap '" + escapeSingle(orphan("late", "", "sleep 100")) + "exit 0' TERM\n" + ready("web") + "while :; do sleep 0.05; done\n"),
		}})
		r := d.pidOf("web/run")
		d.waitReady("web")
		d.signal(syscall.SIGTERM)
		o := d.orphanPID("late")
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with status 0", r),
			warn("sleep/%d: terminating reparented child process with PID %d: sleep 100", o, o),
			info("sleep/%d: sending SIGTERM to PID %d", o, o),
			info("sleep/%d: PID %d finished with signal 15", o, o),
			exiting(0),
		)
		got := d.errLines()
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-4:]...)
	})
}

// ignore policy: running reparented processes are left alone until the
// shutdown; then they get SIGTERM, and SIGKILL after DINIT_KILL_TIMEOUT.
func TestReparentIgnore(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: append(infoLevel, "DINIT_REPARENTING_POLICY=ignore", "DINIT_KILL_TIMEOUT=1"), files: tree{
			"web/run": script(orphan("plain", "", "sleep 100") + orphan("stubborn", `trap "" TERM;`, "sleep 101") + "exec sleep 1000\n"),
		}})
		r, plain, stubborn := d.pidOf("web/run"), d.orphanPID("plain"), d.orphanPID("stubborn")
		// Left alone: longer than the 1 s rescan period.
		time.Sleep(1500 * time.Millisecond)
		d.expectNoLine("stderr before the shutdown", d.errLines(), `reparented|sleep/`)
		if m == subreaper {
			for _, pid := range []int{plain, stubborn} {
				if p, ok := readProc(pid); !ok || p.state == "Z" || p.ppid != d.dinitPID() {
					t.Errorf("reparented PID %d: alive=%v state=%q parent=%d, want alive and a child of dinit (%d)", pid, ok, p.state, p.ppid, d.dinitPID())
				}
			}
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			info("sleep/%d: sending SIGTERM to PID %d", plain, plain),
			info("sleep/%d: PID %d finished with signal 15", plain, plain),
			info("sleep/%d: sending SIGTERM to PID %d", stubborn, stubborn),
			info("sleep/%d: sending SIGKILL to PID %d", stubborn, stubborn),
			info("sleep/%d: PID %d finished with signal 9", stubborn, stubborn),
			exiting(0),
		)
		got := d.errLines()
		// A warning that names them at the shutdown is allowed.
		got = without(got,
			warn("sleep/%d: terminating reparented child process with PID %d: sleep 100", plain, plain),
			warn("sleep/%d: terminating reparented child process with PID %d: sleep 101", stubborn, stubborn))
		d.expectSameLines("stderr", got, want)
		d.expectInOrder("stderr", got, want[len(want)-4:]...)
		termAt := d.timeOf(fmt.Sprintf(`sleep/%d: sending SIGTERM to PID`, stubborn))
		killAt := d.timeOf(fmt.Sprintf(`sleep/%d: sending SIGKILL to PID`, stubborn))
		if gap := killAt.Sub(termAt); gap < 990*time.Millisecond || gap > 5*time.Second {
			t.Errorf("SIGKILL %v after SIGTERM, want DINIT_KILL_TIMEOUT=1s", gap)
		}
	})
}

// Under every policy, reparented zombies are reaped (the reference never
// reaps under ignore), each with a warning.
func TestZombiesReaped(t *testing.T) {
	t.Parallel()
	const n = 200
	for _, policy := range []string{"terminate", "adopt", "ignore"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				env := []string{"DINIT_REPARENTING_POLICY=" + policy}
				if m == pid1 {
					// Inside the namespace, the service can count every zombie.
					env = append(env, "COUNT_ZOMBIES=1")
				}
				d := start(t, setup{mode: m, env: env, files: tree{
					"web/run": script(fmt.Sprintf(`DINIT_TEST_HELPER=zombies "$DINIT_TEST_BIN" %d
if [ -n "$COUNT_ZOMBIES" ]; then
	i=0
	while n=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l); [ "$n" -gt 0 ] && [ $i -lt 400 ]; do
		sleep 0.05; i=$((i+1))
	done
	echo "{\"zombies_left\":$n}"
fi
exec sleep 1000
`, n)),
				}})
				d.waitStdout(fmt.Sprintf(`^\{"zombies":%d,`, n))
				if m == pid1 {
					d.waitStdout(`^\{"zombies_left":0,`)
				}
				// The zombies are dinit's once the helper has exited, after
				// its line: wait for all the warnings, then for no zombie.
				d.waitStream(d.stderr, `^TS dinit: warning: true/\d+: reaping process with PID \d+$`, n, waitTimeout)
				deadline := time.Now().Add(waitTimeout)
				for zombieChildren(d.dinitPID()) > 0 && time.Now().Before(deadline) {
					time.Sleep(10 * time.Millisecond)
				}
				if z := zombieChildren(d.dinitPID()); z > 0 {
					t.Errorf("%d zombie children of dinit left %v after the last warning", z, waitTimeout)
				}
				d.signal(syscall.SIGTERM)
				d.expectExit(0)
				got := d.errLines()
				reason := warn("shutting down: got signal 15")
				d.expectLast("stderr", got, reason)
				reaped := map[string]bool{}
				reapRe := regexp.MustCompile(`^TS dinit: warning: true/(\d+): reaping process with PID \d+$`)
				for i, l := range got {
					if sm := reapRe.FindStringSubmatch(l); sm != nil {
						reaped[sm[1]] = true
					} else if l != reason || i != len(got)-1 {
						t.Errorf("unexpected stderr line %q", l)
					}
				}
				if len(reaped) != n {
					t.Errorf("%d distinct PIDs reaped, want %d", len(reaped), n)
				}
			})
		})
	}
}

// adopt policy: an orphan of another user, and dinit without
// CAP_SYS_PTRACE (as under Docker's default capabilities): the output
// cannot be redirected; a warning says why, the process is still adopted
// (forwarded signals reach it, its end starts the shutdown), and its output
// keeps flowing through the pipe it had.
func TestReparentAdoptWithoutPtraceRights(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		orphan := `trap 'echo "{\"still\":\"here\"}"; exit 0' HUP; echo "{\"orphan\":$$}"; while :; do sleep 0.05; done`
		d := start(t, setup{mode: m, env: append(infoLevel, "DINIT_REPARENTING_POLICY=adopt"),
			wrap: []string{"setpriv", "--bounding-set=-sys_ptrace", "--inh-caps=-sys_ptrace"},
			files: tree{
				"web/run": script("(setpriv --reuid=65534 --regid=65534 --clear-groups sh -c '" + escapeSingle(orphan) + "' &)\n" +
					"trap '' HUP\n" + ready("web") + "exec sleep 1000\n"),
			}})
		d.waitReady("web")
		line := d.waitStdout(`^\{"orphan":\d+,`)[0]
		o, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(line, ",", 2)[0], `{"orphan":`))
		if err != nil {
			t.Fatal(err)
		}
		d.waitStderr(fmt.Sprintf(`^TS dinit: warning: sh/%d: cannot redirect output of PID %d: readlink /proc/%d/fd/1: permission denied$`, o, o, o))
		d.signal(syscall.SIGHUP)
		d.waitStdout(`^\{"still":"here","service":"web","stage":"run"`)
		d.expectExit(0)
		d.expectInOrder("stderr", d.errLines(),
			info("got signal 1, forwarding it to running services"),
			info("sh/%d: PID %d finished with status 0", o, o),
			warn("shutting down: sh/%d: adopted process PID %d finished with status 0", o, o),
			exiting(0))
	})
}

// With stdout and stderr on regular files (no EPOLLOUT edge ever wakes the
// loop), the startup lines are written at once and the periodic scan runs:
// the orphan of a service's child, which sends dinit no SIGCHLD, is
// terminated while dinit runs, not only at the shutdown.
func TestOutputToFilesAndFirstScan(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, toFiles: true, files: tree{
			"web/run": script("sh -c 'sleep 100 &'\nexec sleep 1000\n"),
		}})
		r := d.pidOf("web/run")
		d.waitStderr(`^TS dinit: warning: sleep/\d+: terminating reparented child process with PID \d+: sleep 100$`)
		d.waitStderr(`^TS dinit: info: sleep/\d+: PID \d+ finished with signal 15$`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		d.expectInOrder("stderr", d.errLines(),
			info("web/run: running with PID %d", r),
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			exiting(0))
	})
}

// A service that unmounts /proc leaves dinit blind: its orphan, which
// holds the service's pipes open, cannot be listed. Unmounted under
// unshare, /proc uncovers the procfs of the parent namespace, whose PIDs
// are not dinit's: they must not be taken for children. Covered by a
// tmpfs, it has no /proc/self at all. Either way the failure is said once;
// at the shutdown, as PID 1, dinit signals every process of its namespace,
// so that it still exits (before, it waited until SIGKILLed).
func TestProcUnmounted(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, how, why string }{
		{"unmounted", "umount -l /proc", "/proc is not of dinit's PID namespace (/proc/self is not dinit)"},
		{"covered", "mount -t tmpfs none /proc", "readlink /proc/self: no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := start(t, setup{mode: pid1, env: infoLevel, files: tree{
				"web/run": script(c.how + " || exit 9\nsleep 1000 &\necho started >&2\nexit 0\n"),
			}})
			r := d.pidOf("web/run")
			d.expectExit(0)
			got := d.errLines()
			d.expectInOrder("stderr", got,
				svc("web", "run", "started"),
				info("web/run: PID %d finished with status 0", r),
				warn("shutting down: web/run: PID %d finished with status 0", r),
				"TS dinit: warning: cannot list child processes: sending SIGTERM to every process",
				exiting(0))
			// The failure is said once, whenever the first scan after the
			// mount came: before the service's line when the scan at start-up
			// came after the mount.
			listing := "TS dinit: error: listing child processes: " + c.why + "; reparented processes are not detected until /proc can be read"
			d.expectInOrder("stderr", got, listing, "TS dinit: warning: cannot list child processes: sending SIGTERM to every process")
			if n := len(matching(got, `listing child processes`)); n != 1 {
				t.Errorf("%d lines about listing child processes, want 1", n)
			}
			if n := len(matching(got, `^TS dinit: warning: unknown/\d+: reaping process with PID \d+$`)); n != 1 {
				t.Errorf("%d reaping lines for the unnamed orphan, want 1", n)
			}
		})
	}
}
