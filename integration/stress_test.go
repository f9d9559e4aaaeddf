package integration

import (
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// The signal path is proven by repetition (SPEC 4: a signalfd-only design
// loses SIGTERM now and then, and the process dies instead of shutting
// down): many start/SIGTERM cycles with 20 services, each of which must
// end gracefully with status 0.
func TestRepeatedShutdown(t *testing.T) {
	// Not parallel with the other tests: it runs its two lanes alone.
	const services = 20
	dir := filepath.Join(t.TempDir(), "service")
	files := tree{}
	for i := range services {
		files[fmt.Sprintf("s%02d/run", i+1)] = script("exec sleep 1000\n")
	}
	writeTree(t, dir, files)
	lanes := []struct {
		m      mode
		cycles int
	}{{subreaper, 220}, {pid1, 80}}
	begin := time.Now()
	t.Run("lanes", func(t *testing.T) {
		for _, lane := range lanes {
			t.Run(lane.m.String(), func(t *testing.T) {
				t.Parallel()
				for i := range lane.cycles {
					// Every fourth cycle signals as soon as the first
					// service runs, while the others are being started.
					early := i%4 == 3
					ok := t.Run(fmt.Sprintf("%03d", i+1), func(t *testing.T) {
						shutdownCycle(t, lane.m, dir, services, early)
					})
					if !ok {
						break
					}
				}
			})
		}
	})
	t.Logf("%d cycles in %v", lanes[0].cycles+lanes[1].cycles, time.Since(begin).Round(time.Millisecond))
}

func shutdownCycle(t *testing.T, m mode, dir string, services int, early bool) {
	d := start(t, setup{mode: m, dir: dir, env: infoLevel})
	n := services
	if early {
		n = 1
	}
	d.waitStream(d.stderr, `^TS dinit: info: s\d\d/run: running with PID \d+$`, n, waitTimeout)
	d.signal(syscall.SIGTERM)
	d.expectExit(0)
	got := d.errLines()
	d.expectLast("stderr", got, exiting(0))
	if c := len(matching(got, `^TS dinit: info: got signal 15, terminating services$`)); c != 1 {
		t.Errorf("%d lines \"got signal 15, terminating services\", want 1", c)
	}
	running := len(matching(got, `: running with PID \d+$`))
	if ended := len(matching(got, `^TS dinit: info: s\d\d/run: PID \d+ finished with signal 15$`)); ended != running {
		t.Errorf("%d services started, %d finished with signal 15", running, ended)
	}
	if !early && running != services {
		t.Errorf("%d services started, want %d", running, services)
	}
	// The one warning: the shutdown's reason, right after the signal line.
	reason := warn("shutting down: got signal 15")
	if c := countLines(got, reason); c != 1 {
		t.Errorf("%d lines %q, want 1", c, reason)
	} else if i := slices.Index(got, reason); i == 0 || got[i-1] != info("got signal 15, terminating services") {
		t.Errorf("%q does not come right after the signal line", reason)
	}
	d.expectNoLine("stderr", without(got, reason), `^TS dinit: (warning|error): `)
}

// A signal during a long startup is acted on between two slices of it: the
// SIGTERM sent when the first of 400 services runs stops the startup, so
// most services are never started (before, all 400 started first), and
// every one that did is terminated.
func TestSignalDuringLongStartup(t *testing.T) {
	t.Parallel()
	const services = 400
	files := tree{}
	for i := range services {
		files[fmt.Sprintf("s%03d/run", i+1)] = script("exec sleep 1000\n")
	}
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, files: files, env: infoLevel})
		d.waitStderr(`^TS dinit: info: s001/run: running with PID \d+$`)
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		got := d.errLines()
		running := len(matching(got, `: running with PID \d+$`))
		if running >= services {
			t.Errorf("all %d services started: the signal waited for the end of the startup", running)
		}
		if ended := len(matching(got, `^TS dinit: info: s\d{3}/run: PID \d+ finished with signal 15$`)); ended != running {
			t.Errorf("%d services started, %d finished with signal 15", running, ended)
		}
		t.Logf("%d of %d services started before the SIGTERM was acted on", running, services)
	})
}
