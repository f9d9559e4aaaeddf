package integration

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// lastSignal is the highest signal number sent (MIPS has up to 128, which
// the Go runtime catches and ignores; os/signal stops at 64).
const lastSignal = 64

// Every signal from 1 to 64 but KILL, STOP and the shutdown signals (see
// TestShutdownSignals), sent one at a time: none kills or stops dinit, PID
// 1 or not, each is handled as documented, and a TERM then shuts down
// through the normal path with exit code 0. Not as PID 1, 32 and 34 used
// to kill it (exit 160 and 162): the Go runtime has no handler for them.
//
// A signal that leaves no line at info level (CHLD, CONT, URG, PROF, PIPE,
// and 32 to 34, which no Go program can catch) is followed by an ALRM
// whose line shows that dinit survived it: a fatal signal's verdict is
// taken inside kill(2) (the whole process is marked for exit), so no later
// signal would be handled.
func TestNoSignalKills(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: infoLevel, files: tree{
			// The forwarded signals must not end the service (SIG_IGN
			// survives exec).
			"web/run": script("trap '' HUP USR1 USR2 WINCH\n" + ready("web") + "exec sleep 1000\n"),
		}})
		r := d.pidOf("web/run")
		d.waitReady("web")
		var lines []string
		for sig := syscall.Signal(1); sig <= lastSignal; sig++ {
			line, send := lineOfSignal(sig)
			if !send {
				continue
			}
			d.signal(sig)
			if line == "" {
				d.signal(syscall.SIGALRM)
				line, _ = lineOfSignal(syscall.SIGALRM)
			}
			lines = append(lines, line)
			d.waitSurvived(sig, line, count(lines, line))
		}
		d.signal(syscall.SIGTERM)
		d.expectExit(0)
		want := append(d.preamble(),
			info("web/run: starting"),
			info("web/run: running with PID %d", r))
		want = append(want, lines...)
		want = append(want,
			info("got signal 15, terminating services"),
			warn("shutting down: got signal 15"),
			info("web/run: terminating"),
			info("web/run: sending SIGTERM to PID %d", r),
			info("web/run: PID %d finished with signal 15", r),
			exiting(0))
		d.expectLines("stderr", d.errLines(), want)
	})
}

// lineOfSignal is dinit's info line for sig ("" for none), and whether the
// test sends it at all.
func lineOfSignal(sig syscall.Signal) (line string, send bool) {
	switch sig {
	case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		return "", false
	case syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH:
		return info("got signal %d, forwarding it to running services", int(sig)), true
	case syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGPROF, syscall.SIGPIPE, 32, 33, 34:
		return "", true
	}
	return info("got signal %d, ignoring it", int(sig)), true
}

func count(lines []string, line string) int {
	n := 0
	for _, l := range lines {
		if l == line {
			n++
		}
	}
	return n
}

// waitSurvived waits for the n-th line equal to line on stderr; when dinit
// ended instead, the failure says how (the signal that killed it).
func (d *instance) waitSurvived(sig syscall.Signal, line string, n int) {
	d.t.Helper()
	re := regexp.MustCompile("^" + regexp.QuoteMeta(line) + "$")
	m, reason := d.stderr.waitLines(re, n, waitTimeout)
	if m != nil {
		return
	}
	select {
	case <-d.exited:
		d.t.Fatalf("signal %d ended dinit: %s", int(sig), d.state)
	case <-time.After(time.Second):
		d.t.Fatalf("after signal %d: waiting for line %d %q: %s", int(sig), n, line, reason)
	}
}

// The limit that comes with it: 32 and 34, set to SIG_IGN because no Go
// program can catch them, stay ignored across exec, so every program dinit
// starts inherits them as ignored, and nothing else (caught signals are
// reset to SIG_DFL by exec).
func TestServicesInheritIgnoredSignals(t *testing.T) {
	t.Parallel()
	d := start(t, setup{mode: subreaper, env: infoLevel, files: tree{"web/run": script("exec sleep 1000\n")}})
	r := d.pidOf("web/run")
	waitComm(t, r, "sleep")
	if got, want := sigIgn(t, r), "0000000280000000"; got != want { // bits 31 and 33: signals 32 and 34
		t.Errorf("web/run (PID %d) ignores %s, want %s", r, got, want)
	}
	d.signal(syscall.SIGTERM)
	d.expectExit(0)
}

// sigIgn is the SigIgn mask of /proc/PID/status, as the kernel writes it.
func sigIgn(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "SigIgn:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatalf("no SigIgn in /proc/%d/status", pid)
	return ""
}

// waitComm waits (bounded) until pid runs the program named comm.
func waitComm(t *testing.T, pid int, comm string) {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); ; time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(b)) == comm {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PID %d never ran %s (comm %q)", pid, comm, b)
		}
	}
}
