package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Timeouts. Generous: the suite runs with -race on two cores, tests run in
// parallel, and a wait returns as soon as its condition holds.
const (
	waitTimeout = 20 * time.Second // for a line to appear
	exitTimeout = 30 * time.Second // for dinit to exit
)

// file is one entry of a service tree.
type file struct {
	data string
	perm os.FileMode
	link string // when set: a symbolic link to this target
	dir  bool   // when set: an (empty) directory
}

// script is an executable /bin/sh script.
func script(body string) file { return file{data: "#!/bin/sh\n" + body, perm: 0o755} }

// text is a plain, non-executable file.
func text(data string) file { return file{data: data, perm: 0o644} }

func symlink(target string) file { return file{link: target} }

// tree maps paths relative to DINIT_DIR to files.
type tree map[string]file

func writeTree(t *testing.T, root string, files tree) {
	t.Helper()
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for rel, f := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case f.link != "":
			err = os.Symlink(f.link, p)
		case f.dir:
			err = os.MkdirAll(p, 0o755)
		default:
			err = writeProgram(p, []byte(f.data), f.perm)
			if err == nil {
				err = os.Chmod(p, f.perm) // not subject to the umask
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// writeProgram writes a file that may be executed while other tests start
// processes. A fork while the file is open for writing hands the write
// descriptor to the child until it execs, and an exec of the file then
// fails with ETXTBSY (golang.org/issue/22315): os/exec forks under
// syscall.ForkLock, so the file is written under its read side.
func writeProgram(path string, data []byte, perm os.FileMode) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	return os.WriteFile(path, data, perm)
}

// setup describes one run of dinit.
type setup struct {
	mode  mode
	files tree
	// env is added to a minimal environment (PATH, LC_ALL, DINIT_DIR,
	// DINIT_TEST_BIN); a later KEY=value overrides an earlier one.
	env []string
	// noDir leaves DINIT_DIR unset.
	noDir bool
	// dir is a service directory written beforehand (files is then ignored).
	dir string
	// args are passed to dinit.
	args []string
	// wrap is a command dinit is started through (after unshare), e.g.
	// setpriv to drop a capability.
	wrap []string
	// pauseStdout starts with dinit's stdout not being read.
	pauseStdout bool
	// plainStdout: stdout lines are "TS name/stage: line", not JSON.
	plainStdout bool
	// raw: skip the format checks of every output line at exit.
	raw bool
	// toFiles: stdout and stderr are regular files (which epoll cannot
	// watch), followed by polling, instead of pipes.
	toFiles bool
	// stdin is written to dinit's stdin (a pipe), which is then closed;
	// without it, stdin is /dev/null.
	stdin string
	// pty: dinit's stdin, stdout and stderr are a new pseudo-terminal of
	// the given size, its controlling terminal (as under `docker run -it`);
	// what it shows is read as stdout (stderr stays empty), and
	// instance.pty writes to it as a user types.
	pty *winsize
}

// instance is one running dinit.
type instance struct {
	t *testing.T
	setup
	dir     string // DINIT_DIR
	cmd     *exec.Cmd
	stdout  *stream
	stderr  *stream
	exited  chan struct{}
	state   *os.ProcessState
	started time.Time
	hostPID int      // dinit's PID as seen by the test, once known
	pty     *os.File // the terminal's master side, under setup.pty
}

// start starts dinit. Cleanup kills whatever is left and, when the test
// failed, logs both outputs.
func start(t *testing.T, s setup) *instance {
	t.Helper()
	requireMode(t, s.mode)
	d := &instance{t: t, setup: s, exited: make(chan struct{})}
	d.dir = s.dir
	if d.dir == "" {
		d.dir = filepath.Join(t.TempDir(), "service")
		writeTree(t, d.dir, s.files)
	}
	argv := append(append(append([]string{}, s.wrap...), dinitBin), s.args...)
	if s.mode == pid1 {
		argv = append([]string{"unshare", "--pid", "--fork", "--mount-proc", "--kill-child"}, argv...)
	}
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Env = d.environ()
	d.cmd.Dir = "/"
	// Own session: cleanup kills every process that is left in it. Parent
	// death signal: nothing outlives a crashed test binary.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	d.stdout = newStream("stdout", s.pauseStdout)
	d.stderr = newStream("stderr", false)
	outR, outW := d.output(t, "stdout")
	errR, errW := d.output(t, "stderr")
	d.cmd.Stdout, d.cmd.Stderr = outW, errW
	if s.stdin != "" {
		d.cmd.Stdin = strings.NewReader(s.stdin)
	}
	if s.pty != nil {
		outR.Close()
		outW.Close()
		outR, outW = d.attachPTY(t, *s.pty) // outW: the slave, closed below
	}
	d.started = time.Now()
	err := d.cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatalf("starting %v: %v", argv, err)
	}
	if s.mode == subreaper {
		d.hostPID = d.cmd.Process.Pid
	}
	copyFrom := func(s *stream, r *os.File) { s.copyFrom(r) }
	if s.toFiles {
		copyFrom = func(s *stream, r *os.File) { s.followFile(r, d.exited) }
	}
	go copyFrom(d.stdout, outR)
	go copyFrom(d.stderr, errR)
	go func() {
		_ = d.cmd.Wait()
		d.state = d.cmd.ProcessState
		close(d.exited)
	}()
	t.Cleanup(d.cleanup)
	return d
}

// output makes one of dinit's outputs: a pipe, or a regular file under
// toFiles. r is what the test reads, w what dinit gets.
func (d *instance) output(t *testing.T, name string) (r, w *os.File) {
	if !d.toFiles {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		return r, w
	}
	path := filepath.Join(t.TempDir(), name)
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if r, err = os.Open(path); err != nil {
		t.Fatal(err)
	}
	return r, w
}

func (d *instance) environ() []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"DINIT_TEST_BIN=" + helperBin,
	}
	if !d.noDir {
		env = append(env, "DINIT_DIR="+d.dir)
	}
	return append(env, d.env...)
}

func (d *instance) cleanup() {
	select {
	case <-d.exited:
	case <-time.After(2 * time.Second):
		d.t.Errorf("dinit still running at the end of the test: killing it")
		killSession(d.cmd.Process.Pid)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			d.t.Errorf("dinit (PID %d) did not die from SIGKILL", d.cmd.Process.Pid)
		}
	}
	d.stdout.resume()
	// Whatever is left in the session (services dinit did not wait for,
	// in subreaper mode) must not outlive the test.
	killSession(d.cmd.Process.Pid)
	if d.t.Failed() {
		d.dump()
	}
}

// dump logs the tail of both outputs.
func (d *instance) dump() {
	const max = 200
	for _, s := range []*stream{d.stdout, d.stderr} {
		lines := strings.SplitAfter(s.String(), "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		skipped := 0
		if len(lines) > max {
			skipped = len(lines) - max
			lines = lines[skipped:]
		}
		var b strings.Builder
		for _, l := range lines {
			if len(l) > 300 {
				l = fmt.Sprintf("%s... (%d bytes)\n", l[:300], len(l))
			}
			b.WriteString(l)
		}
		d.t.Logf("%s mode, dinit %s (%d lines, first %d not shown):\n%s", d.mode, s.name, len(lines)+skipped, skipped, b.String())
	}
	if d.state != nil {
		d.t.Logf("dinit process: %s", d.state)
	}
}

// waitStderr waits for a line of stderr (timestamps normalised to TS) that
// matches pattern and returns its submatches.
func (d *instance) waitStderr(pattern string) []string {
	d.t.Helper()
	return d.waitStream(d.stderr, pattern, 1, waitTimeout)
}

// waitStdout is waitStderr for stdout.
func (d *instance) waitStdout(pattern string) []string {
	d.t.Helper()
	return d.waitStream(d.stdout, pattern, 1, waitTimeout)
}

// waitStream waits for the n-th line of s that matches pattern.
func (d *instance) waitStream(s *stream, pattern string, n int, timeout time.Duration) []string {
	d.t.Helper()
	m, reason := s.waitLines(regexp.MustCompile(pattern), n, timeout)
	if m == nil {
		d.t.Fatalf("waiting for line %d matching %q on %s: %s", n, pattern, s.name, reason)
	}
	return m
}

// pidOf waits for "<stage>: running with PID N" and returns N (as dinit
// sees it: namespace PIDs in pid1 mode).
func (d *instance) pidOf(stage string) int {
	d.t.Helper()
	m := d.waitStderr(`^TS dinit: info: ` + regexp.QuoteMeta(stage) + `: running with PID (\d+)$`)
	n, _ := strconv.Atoi(m[1])
	return n
}

// dinitPID is dinit's PID in the test's PID namespace.
func (d *instance) dinitPID() int {
	d.t.Helper()
	if d.hostPID != 0 {
		return d.hostPID
	}
	// pid1 mode: dinit is the only child of unshare, once unshare has
	// forked and the child has executed dinit.
	parent := d.cmd.Process.Pid
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if !d.running() {
			d.t.Fatalf("dinit has already exited (%s)", d.state)
		}
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", parent, parent))
		if f := strings.Fields(string(data)); len(f) == 1 {
			pid, _ := strconv.Atoi(f[0])
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if strings.TrimSpace(string(comm)) == filepath.Base(dinitBin)[:min(15, len(filepath.Base(dinitBin)))] {
				d.hostPID = pid
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.t.Fatalf("no dinit child of unshare (PID %d) found", parent)
	return 0
}

// signal sends sig to dinit itself. In pid1 mode only SIGKILL and SIGSTOP
// are forced on a namespace's init; other signals arrive because dinit
// handles them (and are dropped by the kernel until it does: send them
// only after dinit has shown a sign of life).
func (d *instance) signal(sig syscall.Signal) {
	d.t.Helper()
	if err := syscall.Kill(d.dinitPID(), sig); err != nil {
		d.t.Fatalf("kill(%d, %v): %v", d.dinitPID(), sig, err)
	}
}

// running reports whether dinit has not exited yet.
func (d *instance) running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// wait waits for dinit to exit and for both outputs to be closed, checks
// the format of every output line, and returns the exit code (or -1 when
// dinit, or unshare, was killed by a signal).
func (d *instance) wait(timeout time.Duration) int {
	d.t.Helper()
	select {
	case <-d.exited:
	case <-time.After(timeout):
		d.t.Fatalf("dinit did not exit within %v", timeout)
	}
	for _, s := range []*stream{d.stdout, d.stderr} {
		if !s.waitEOF(10 * time.Second) {
			d.t.Errorf("dinit exited but its %s stayed open: a process it started is still running", s.name)
		}
	}
	d.checkLeftovers()
	if !d.raw {
		d.checkFormat()
	}
	return d.state.ExitCode()
}

// expectExit waits for dinit to exit and checks the exit code.
func (d *instance) expectExit(want int) {
	d.t.Helper()
	if got := d.wait(exitTimeout); got != want {
		d.t.Errorf("dinit exit code = %d (%s), want %d", got, d.state, want)
	}
}

// checkLeftovers: after dinit exits nothing it started may still run (in
// pid1 mode the kernel guarantees it, in subreaper mode dinit must).
func (d *instance) checkLeftovers() {
	d.t.Helper()
	if d.mode != subreaper {
		return
	}
	for _, p := range processesInSession(d.cmd.Process.Pid) {
		if p.state != "Z" {
			d.t.Errorf("process left running after dinit exited: PID %d (%s), state %s", p.pid, p.cmdline, p.state)
		}
	}
}
