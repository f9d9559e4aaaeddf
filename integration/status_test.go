package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Status, health and readiness (SPEC 11), end to end: `dinit status`,
// `dinit status --json`, `dinit check`, notification-fd, DINIT_STATUS, and
// the status socket's bounds against clients that misbehave.
//
// The client finds dinit's socket by its PID namespace, so where it runs
// matters. Three kinds of runs:
//
//   - pid1: dinit is PID 1 of its namespace; the client runs beside it, as
//     docker exec would, through nsenter --target <dinit> --pid --mount. It
//     finds PID 1's name.
//   - subreaper: dinit is a plain child of the test. The test's PID
//     namespace holds every parallel test's subreaper dinit, each at a name
//     with its PID, and the client has no way to tell which one is meant from
//     outside: it runs as a descendant of dinit instead, through the probe
//     service (probeScript), and finds dinit by walking its ancestors.
//   - under-init: dinit is a subreaper, PID 2 of a namespace of its own
//     whose PID 1 is a shell (as under docker run --init); the client runs
//     beside it through nsenter, and finds it in /proc/net/unix, the one
//     subreaper dinit of the namespace.
//
// Every run's tree holds the probe, so that the status tables are the same
// in every kind.

// statusKind is one way of running dinit and its client.
type statusKind struct {
	name      string
	mode      mode // the harness's mode
	underInit bool // pid1 mode, but with a shell as PID 1 and dinit its child
}

var (
	kindPID1      = statusKind{name: "pid1", mode: pid1}
	kindSubreaper = statusKind{name: "subreaper", mode: subreaper}
	kindUnderInit = statusKind{name: "under-init", mode: pid1, underInit: true}
	statusKinds   = []statusKind{kindPID1, kindSubreaper, kindUnderInit}
)

// eachStatusKind runs f as a parallel subtest per kind.
func eachStatusKind(t *testing.T, kinds []statusKind, f func(t *testing.T, k statusKind)) {
	t.Helper()
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k)
		})
	}
}

// probeScript is the probe service: it runs each line written to its fifo
// req as a shell command, from its own directory, with stdout, stderr and
// the exit code into out.<n>, err.<n> and rc.<n> (rc last, by a rename).
// It ignores SIGTERM so that the client can still be run while dinit shuts
// down; the command "exit" ends it.
const probeScript = `trap '' TERM
mkfifo req
n=0
while :; do
	IFS= read -r cmd <req || continue
	n=$((n+1))
	eval "$cmd" >out.$n 2>err.$n </dev/null
	echo $? >rc.tmp && mv rc.tmp rc.$n
done
`

// withProbe adds the probe service to a tree.
func withProbe(files tree) tree {
	out := tree{"probe/run": script(probeScript)}
	for k, v := range files {
		out[k] = v
	}
	return out
}

// sdinit is a dinit run of a status test.
type sdinit struct {
	*instance
	kind  statusKind
	asked int  // requests handed to the probe so far
	self  int  // dinit's PID as dinit sees it; 0 until known
	done  bool // the probe was told to exit
}

// startStatus starts dinit of kind k on s (its files with the probe added).
func startStatus(t *testing.T, k statusKind, s setup) *sdinit {
	t.Helper()
	if k.mode == pid1 {
		requireTools(t, "nsenter")
	}
	s.mode = k.mode
	s.files = withProbe(s.files)
	if k.underInit {
		s.wrap = []string{"/bin/sh", "-c", `"$@"; exit $?`, "sh"}
	}
	d := &sdinit{instance: start(t, s), kind: k}
	if k.underInit {
		d.hostPID = d.childOfInit()
	}
	d.selfPID() // known while dinit runs
	// The probe's fifo: the probe started, so the status socket (opened
	// before any service starts) is there.
	deadline := time.Now().Add(waitTimeout)
	for !fileExists(filepath.Join(d.dir, "probe", "req")) {
		if time.Now().After(deadline) || !d.running() {
			t.Fatalf("the probe did not start within %v (dinit running: %v)", waitTimeout, d.running())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return d
}

// requireTools skips the test (fails it under CI=true) when a command is
// missing (util-linux's nsenter and setpriv).
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			unavailable(t, fmt.Sprintf("the status tests need %s (util-linux): %v", name, err))
		}
	}
}

// childOfInit waits for dinit under the shell that is PID 1 of the
// namespace (the only child of unshare), and returns its host PID.
func (d *sdinit) childOfInit() int {
	d.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if !d.running() {
			d.t.Fatalf("dinit has already exited (%s)", d.state)
		}
		for _, sh := range children(d.cmd.Process.Pid) {
			for _, c := range children(sh) {
				comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c))
				if strings.TrimSpace(string(comm)) == filepath.Base(dinitBin)[:min(15, len(filepath.Base(dinitBin)))] {
					return c
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	d.t.Fatalf("no dinit under the namespace's init (unshare PID %d)", d.cmd.Process.Pid)
	return 0
}

// selfPID is dinit's PID in its own namespace (the last of NSpid).
func (d *sdinit) selfPID() int {
	d.t.Helper()
	if d.self != 0 {
		return d.self
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.dinitPID()))
	if err != nil {
		d.t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "NSpid:"); ok {
			f := strings.Fields(v)
			d.self = atoi(d.t, f[len(f)-1])
			return d.self
		}
	}
	d.t.Fatalf("no NSpid in /proc/%d/status", d.dinitPID())
	return 0
}

// nsIno is the inode of dinit's PID namespace.
func (d *sdinit) nsIno() uint64 {
	d.t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/pid", d.dinitPID()), &st); err != nil {
		d.t.Fatal(err)
	}
	return st.Ino
}

// socketName is the abstract name dinit answers at (without the '@').
func (d *sdinit) socketName() string {
	name := fmt.Sprintf("dinit-status-%d", d.nsIno())
	if pid := d.selfPID(); pid != 1 {
		name += fmt.Sprintf("-%d", pid)
	}
	return name
}

// preamble is dinit's first info line when it is not PID 1.
func (d *sdinit) preamble() []string {
	if d.kind == kindPID1 {
		return nil
	}
	return []string{info("not running as a PID 1, but PID %d, registering as a process subreaper", d.selfPID())}
}

// reply is what one run of a command gave.
type reply struct {
	stdout, stderr string
	code           int
}

// ask runs the client, dinit with args, where it finds this dinit (see the
// kinds above).
func (d *sdinit) ask(args ...string) reply {
	d.t.Helper()
	argv := append([]string{dinitBin}, args...)
	if d.kind == kindSubreaper {
		return d.viaProbe(argv...)
	}
	return d.inNamespace(argv...)
}

// inNamespace runs argv in dinit's PID and mount namespaces (as docker exec
// does: the process is no descendant of dinit).
func (d *sdinit) inNamespace(argv ...string) reply {
	d.t.Helper()
	args := append([]string{"--target", strconv.Itoa(d.dinitPID()), "--pid", "--mount", "--"}, argv...)
	return runCommand(d.t, "nsenter", args...)
}

// runCommand runs a command to its end (within waitTimeout).
func runCommand(t testing.TB, name string, args ...string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}
	cmd.Dir = "/"
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("%s %q did not end within %v", name, args, waitTimeout)
	case err != nil && !errors.As(err, &exitErr):
		t.Fatalf("%s %q: %v", name, args, err)
	}
	return reply{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// viaProbe has the probe service run argv (a child of the probe, a
// grandchild of dinit) and returns what it gave.
func (d *sdinit) viaProbe(argv ...string) reply {
	d.t.Helper()
	if d.done {
		d.t.Fatal("the probe was told to exit already")
	}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + escapeSingle(a) + "'"
	}
	d.asked++
	d.probeRequest(strings.Join(quoted, " "))
	n := d.asked
	dir := filepath.Join(d.dir, "probe")
	rcPath := filepath.Join(dir, fmt.Sprintf("rc.%d", n))
	deadline := time.Now().Add(waitTimeout)
	for !fileExists(rcPath) {
		if time.Now().After(deadline) {
			d.t.Fatalf("the probe did not run request %d (%q) within %v", n, argv, waitTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s.%d", name, n)))
		if err != nil {
			d.t.Fatal(err)
		}
		return string(b)
	}
	return reply{stdout: read("out"), stderr: read("err"), code: atoi(d.t, strings.TrimSpace(read("rc")))}
}

// probeRequest writes one line to the probe's fifo, waiting (with a
// deadline) for the probe to be reading it.
func (d *sdinit) probeRequest(line string) {
	d.t.Helper()
	fifo := filepath.Join(d.dir, "probe", "req")
	deadline := time.Now().Add(waitTimeout)
	for {
		f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			_, err = f.Write([]byte(line + "\n"))
			f.Close()
			if err != nil {
				d.t.Fatalf("writing to the probe: %v", err)
			}
			return
		}
		if !errors.Is(err, syscall.ENXIO) && !errors.Is(err, syscall.ENOENT) {
			d.t.Fatalf("opening the probe's fifo: %v", err)
		}
		if time.Now().After(deadline) || !d.running() {
			d.t.Fatalf("the probe did not read its fifo within %v (dinit running: %v)", waitTimeout, d.running())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopProbe ends the probe service (it ignores SIGTERM).
func (d *sdinit) stopProbe() {
	d.t.Helper()
	if !d.done {
		d.probeRequest("exit 0")
		d.done = true
	}
}

// stop sends SIGTERM, ends the probe and waits for dinit's exit 0.
func (d *sdinit) stop() {
	d.t.Helper()
	d.signal(syscall.SIGTERM)
	if d.jsonLog() {
		d.waitJSON("shutting down: got signal 15")
	} else {
		d.waitStderr(`^TS dinit: warning: shutting down: got signal 15$`)
	}
	d.stopProbe()
	d.expectExit(0)
}

// expectReply checks a command's exit code and outputs exactly.
func expectReply(t testing.TB, what string, got reply, code int, stdout, stderr string) {
	t.Helper()
	if got.code != code || got.stdout != stdout || got.stderr != stderr {
		t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr %q",
			what, got.code, got.stdout, got.stderr, code, stdout, stderr)
	}
}

// stampOf returns the raw timestamp of the first stderr line that matches
// pattern once normalised.
func (d *sdinit) stampOf(pattern string) string {
	d.t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range splitLines(d.stderr.String()) {
		if re.MatchString(normalize(l)) {
			if ts := tsRe.FindString(l); ts != "" {
				return ts
			}
		}
	}
	d.t.Fatalf("no stderr line matches %q", pattern)
	return ""
}

// prog is one row of dinit status as a test expects it.
type prog struct {
	label string
	pid   int
	state string // "running", "exited 0", "killed by signal 15", "disabled"
	since string // the raw timestamp of its start (or end) line
	ready string // "yes", "no", or "" (not a run)
	end   string // the JSON field of its end: `"status":0`, `"signal":15`; "" while running
	out   *[2]int
	err   *[2]int // lines and bytes relayed; nil: not relayed (a run with a log program)
}

func relayed(lines, bytes int) *[2]int { return &[2]int{lines, bytes} }

func (p prog) cells() []string {
	cell := func(c *[2]int) string {
		switch {
		case c == nil:
			return "-"
		case c[0] == 1:
			return fmt.Sprintf("1 line, %d B", c[1])
		}
		return fmt.Sprintf("%d lines, %d B", c[0], c[1])
	}
	ready := p.ready
	if ready == "" {
		ready = "-"
	}
	return []string{p.label, strconv.Itoa(p.pid), p.state, p.since, ready, cell(p.out), cell(p.err)}
}

func (p prog) json() string {
	i := strings.LastIndexByte(p.label, '/')
	s := fmt.Sprintf(`{"service":%q,"stage":%q,"pid":%d,"state":%q,"since":%q`, p.label[:i], p.label[i+1:], p.pid, p.state, p.since)
	if p.ready != "" {
		s += fmt.Sprintf(`,"ready":%v`, p.ready == "yes")
	}
	if p.end != "" {
		s += "," + p.end
	}
	if p.out != nil {
		s += fmt.Sprintf(`,"stdout_lines":%d,"stdout_bytes":%d`, p.out[0], p.out[1])
	}
	if p.err != nil {
		s += fmt.Sprintf(`,"stderr_lines":%d,"stderr_bytes":%d`, p.err[0], p.err[1])
	}
	return s + `,"not_json":0,"split":0}`
}

// columns renders cells as dinit status does: left-aligned columns, two
// spaces apart, no trailing spaces.
func columns(cells [][]string) string {
	widths := make([]int, len(cells[0]))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, row := range cells {
		for i, c := range row {
			b.WriteString(c)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]+2-len(c)))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// splitColumns splits a table at the columns its header's words start at,
// trimming each cell: how a reader takes the table apart.
func splitColumns(text string) [][]string {
	lines := splitLines(text)
	if len(lines) == 0 {
		return nil
	}
	var starts []int
	for i := 0; i < len(lines[0]); i++ {
		if lines[0][i] != ' ' && (i == 0 || lines[0][i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	var rows [][]string
	for _, l := range lines {
		var row []string
		for j, s := range starts {
			end := len(l)
			if j+1 < len(starts) {
				end = min(starts[j+1], len(l))
			}
			if s > len(l) {
				s = len(l)
			}
			row = append(row, strings.TrimSpace(l[s:end]))
		}
		rows = append(rows, row)
	}
	return rows
}

var statusHeader = []string{"PROGRAM", "PID", "STATE", "SINCE", "READY", "STDOUT", "STDERR"}

// expectStatus checks dinit status's reply: exit 0, nothing on stderr, the
// supervisor's line head, then exactly the table of progs (cell by cell,
// and the exact padding).
func expectStatus(t testing.TB, got reply, head string, progs []prog) {
	t.Helper()
	if got.code != 0 || got.stderr != "" {
		t.Errorf("dinit status: exit %d, stderr %q; want 0 and nothing", got.code, got.stderr)
	}
	first, table, _ := strings.Cut(got.stdout, "\n")
	if first != head {
		t.Errorf("dinit status: first line %q, want %q", first, head)
	}
	want := [][]string{statusHeader}
	for _, p := range progs {
		want = append(want, p.cells())
	}
	var gotRows, wantRows []string
	for _, r := range splitColumns(table) {
		gotRows = append(gotRows, strings.Join(r, " | "))
	}
	for _, r := range want {
		wantRows = append(wantRows, strings.Join(r, " | "))
	}
	if !slices.Equal(gotRows, wantRows) {
		t.Errorf("dinit status: rows (cells split at the header's columns):\n%s", diffLines(gotRows, wantRows))
	} else if table != columns(want) {
		t.Errorf("dinit status: the cells are right but not their layout:\n%s", diffLines(splitLines(table), splitLines(columns(want))))
	}
}

// statusDoc is dinit status --json's document, its programs kept raw.
type statusDoc struct {
	Dinit struct {
		PID    int    `json:"pid"`
		State  string `json:"state"`
		Reason string `json:"reason"`
		Since  string `json:"since"`
	} `json:"dinit"`
	Programs []json.RawMessage `json:"programs"`
}

// expectStatusJSON checks dinit status --json's reply: exit 0, nothing on
// stderr, one JSON document (and a newline) that is exactly
// {"dinit":<dinit>,"programs":[<each prog>]}; it also decodes it strictly
// and checks the fields of each program one by one.
func expectStatusJSON(t testing.TB, got reply, dinit string, progs []prog) {
	t.Helper()
	if got.code != 0 || got.stderr != "" {
		t.Errorf("dinit status --json: exit %d, stderr %q; want 0 and nothing", got.code, got.stderr)
	}
	doc, ok := strings.CutSuffix(got.stdout, "\n")
	if !ok || strings.Contains(doc, "\n") {
		t.Errorf("dinit status --json: not one line: %q", got.stdout)
	}
	var d statusDoc
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil || dec.More() {
		t.Fatalf("dinit status --json: %v (more: %v): %q", err, dec.More(), doc)
	}
	var wantProgs []string
	for _, p := range progs {
		wantProgs = append(wantProgs, p.json())
	}
	var gotProgs []string
	for _, p := range d.Programs {
		gotProgs = append(gotProgs, string(p))
		var fields map[string]any
		if err := json.Unmarshal(p, &fields); err != nil {
			t.Errorf("program %s: %v", p, err)
		}
	}
	if !slices.Equal(gotProgs, wantProgs) {
		t.Errorf("dinit status --json: programs:\n%s", diffLines(gotProgs, wantProgs))
	} else if want := `{"dinit":` + dinit + `,"programs":[` + strings.Join(wantProgs, ",") + `]}`; doc != want {
		t.Errorf("dinit status --json: document\n%s\nwant\n%s", doc, want)
	}
}

// checkDinitSince checks the time dinit says it started: a timestamp of
// ours, between the test's start of dinit and its first program's start.
func checkDinitSince(t testing.TB, since string, started time.Time, firstStart string) {
	t.Helper()
	tm, err := time.Parse("2006-01-02T15:04:05.000Z", since)
	if err != nil || !isTimestampString(since) {
		t.Errorf("dinit's since %q is not a timestamp of ours", since)
		return
	}
	first, _ := time.Parse("2006-01-02T15:04:05.000Z", firstStart)
	if tm.Before(started.Truncate(time.Millisecond).Add(-time.Second)) || tm.After(first) {
		t.Errorf("dinit's since %s is not between the start of dinit (%s) and of its first program (%s)",
			since, started.UTC().Format("2006-01-02T15:04:05.000Z"), firstStart)
	}
}

var headRe = regexp.MustCompile(`^dinit: running since (\S+) \(PID (\d+)\)$`)

// TestStatus runs dinit status, dinit status --json and dinit check through a
// whole run: services running, one disabled, one not ready yet (with a log
// program beside another), then ready, then the shutdown with one service
// still stopping. Every row is checked exactly: PIDs and start and end
// times are the ones of dinit's info lines, the lines and bytes relayed the
// ones the services wrote. The client also runs from inside (the probe) in
// the kinds where the test runs it beside dinit.
func TestStatus(t *testing.T) {
	t.Parallel()
	files := tree{
		"db/run":             script("while [ ! -e go ]; do sleep 0.05; done\necho >&5\n" + loop),
		"db/notification-fd": text(" 5\n"),
		"off/run":            script("exit 115\n"),
		"web/run":            script(`trap 'while [ ! -e bye ]; do sleep 0.05; done; exit 0' TERM` + "\necho '{\"web\":\"up\"}'\necho 'web err' >&2\nwhile :; do sleep 0.05; done\n"),
		"web/log/run":        script("exec cat\n"),
	}
	eachStatusKind(t, statusKinds, func(t *testing.T, k statusKind) {
		d := startStatus(t, k, setup{env: infoLevel, files: files})
		db, off, probe := d.pidOf("db/run"), d.pidOf("off/run"), d.pidOf("probe/run")
		webLog, web := d.pidOf("web/log"), d.pidOf("web/run")
		d.waitStderr(fmt.Sprintf(`^TS dinit: info: off/run: PID %d finished and disabled itself$`, off))
		d.waitStdout(`^\{"web":"up","service":"web","stage":"run",`)
		d.waitStderr(`^TS web/run: web err$`)
		started := func(label string) string {
			return d.stampOf(`^TS dinit: info: ` + regexp.QuoteMeta(label) + `: running with PID \d+$`)
		}
		progs := []prog{
			{label: "db/run", pid: db, state: "running", since: started("db/run"), ready: "no", out: relayed(0, 0), err: relayed(0, 0)},
			{label: "off/run", pid: off, state: "disabled", since: d.stampOf(`^TS dinit: info: off/run: PID \d+ finished and disabled itself$`),
				ready: "no", end: `"status":115`, out: relayed(0, 0), err: relayed(0, 0)},
			{label: "probe/run", pid: probe, state: "running", since: started("probe/run"), ready: "yes", out: relayed(0, 0), err: relayed(0, 0)},
			{label: "web/log", pid: webLog, state: "running", since: started("web/log"), out: relayed(1, 13), err: relayed(0, 0)},
			{label: "web/run", pid: web, state: "running", since: started("web/run"), ready: "yes", err: relayed(1, 8)},
		}

		// Running; db not ready.
		notReady := "db/run: not ready (notification-fd 5)\n"
		expectReply(t, "dinit check (db not ready)", d.ask("check"), 1, notReady, "")
		got := d.ask("status")
		first, _, _ := strings.Cut(got.stdout, "\n")
		m := headRe.FindStringSubmatch(first)
		if m == nil {
			t.Fatalf("dinit status: first line %q does not match %q", first, headRe)
		}
		since := m[1]
		checkDinitSince(t, since, d.started, started("db/run"))
		head := fmt.Sprintf("dinit: running since %s (PID %d)", since, d.selfPID())
		expectStatus(t, got, head, progs)
		dinitJSON := fmt.Sprintf(`{"pid":%d,"state":"running","since":%q}`, d.selfPID(), since)
		expectStatusJSON(t, d.ask("status", "--json"), dinitJSON, progs)
		if k != kindSubreaper { // the client inside, beside the one outside
			expectReply(t, "dinit check from a service (db not ready)", d.viaProbe(dinitBin, "check"), 1, notReady, "")
		}

		// db says it is ready.
		touchIn(t, d.instance, "db/go")
		d.waitStderr(`^TS dinit: info: db/run: ready$`)
		progs[0].ready = "yes"
		expectReply(t, "dinit check (healthy)", d.ask("check"), 0, "", "")
		expectStatus(t, d.ask("status"), head, progs)
		expectStatusJSON(t, d.ask("status", "--json"), dinitJSON, progs)
		if k != kindSubreaper {
			expectReply(t, "dinit check from a service (healthy)", d.viaProbe(dinitBin, "check"), 0, "", "")
		}

		// The shutdown: db ends at once, web waits for bye, the probe
		// ignores SIGTERM.
		d.signal(syscall.SIGTERM)
		d.waitStderr(fmt.Sprintf(`^TS dinit: info: db/run: PID %d finished with signal 15$`, db))
		stopped := d.stampOf(`^TS dinit: warning: shutting down: got signal 15$`)
		progs[0].state, progs[0].ready, progs[0].end = "killed by signal 15", "no", `"signal":15`
		progs[0].since = d.stampOf(`^TS dinit: info: db/run: PID \d+ finished with signal 15$`)
		expectReply(t, "dinit check (shutting down)", d.ask("check"), 1, "shutting down: got signal 15\n", "")
		head = fmt.Sprintf("dinit: shutting down: got signal 15 since %s (PID %d)", stopped, d.selfPID())
		expectStatus(t, d.ask("status"), head, progs)
		dinitJSON = fmt.Sprintf(`{"pid":%d,"state":"shutting down","reason":"got signal 15","since":%q}`, d.selfPID(), stopped)
		expectStatusJSON(t, d.ask("status", "--json"), dinitJSON, progs)

		// web ends (exit 0 on TERM), its log program after it.
		touchIn(t, d.instance, "web/bye")
		d.waitStderr(fmt.Sprintf(`^TS dinit: info: web/log: PID %d finished with status 0$`, webLog))
		d.waitStderr(fmt.Sprintf(`^TS dinit: info: web/run: PID %d finished with status 0$`, web))
		progs[3].state, progs[3].end = "exited 0", `"status":0`
		progs[3].since = d.stampOf(`^TS dinit: info: web/log: PID \d+ finished with status 0$`)
		progs[4].state, progs[4].ready, progs[4].end = "exited 0", "no", `"status":0`
		progs[4].since = d.stampOf(`^TS dinit: info: web/run: PID \d+ finished with status 0$`)
		expectStatus(t, d.ask("status"), head, progs)
		expectStatusJSON(t, d.ask("status", "--json"), dinitJSON, progs)
		expectReply(t, "dinit check (shutting down)", d.ask("check"), 1, "shutting down: got signal 15\n", "")

		d.stopProbe()
		d.expectExit(0)
		d.expectNoLine("stderr", d.errLines(), `^TS dinit: (warning|error): status: `)
	})
}

// TestStatusUsage: the client's argument errors, which need no dinit.
func TestStatusUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"status", "--yaml"}, `dinit: error: unexpected argument "--yaml" for dinit status (usage: dinit status [--json], dinit check; a program named status runs with dinit -- status)`},
		{[]string{"check", "now"}, `dinit: error: unexpected argument "now" for dinit check (usage: dinit status [--json], dinit check; a program named check runs with dinit -- check)`},
		{[]string{"status", "--json", "x"}, `dinit: error: unexpected argument "x" for dinit status (usage: dinit status [--json], dinit check; a program named status runs with dinit -- status)`},
	}
	for _, c := range cases {
		got := runCommand(t, dinitBin, c.args...)
		if got.code != 1 || got.stdout != "" || !strings.HasSuffix(got.stderr, " "+c.err+"\n") || !isTimestampString(strings.SplitN(got.stderr, " ", 2)[0]) {
			t.Errorf("dinit %q: exit %d, stdout %q, stderr %q; want exit 1 and <ts> %s", c.args, got.code, got.stdout, got.stderr, c.err)
		}
	}
}

// TestStatusNoDinit: where no dinit answers, the client says which names
// it tried, and exits 1: here, in a PID namespace of its own (unshare)
// where it is PID 1 itself, so that only PID 1's name is tried.
func TestStatusNoDinit(t *testing.T) {
	t.Parallel()
	requireMode(t, pid1)
	for _, args := range [][]string{{"check"}, {"status"}, {"status", "--json"}} {
		got := runCommand(t, "unshare", append([]string{"--pid", "--fork", "--mount-proc", "/bin/sh", "-c",
			`stat -L -c %i /proc/self/ns/pid >&2; exec "$0" "$@"`, dinitBin}, args...)...)
		ino, rest, _ := strings.Cut(got.stderr, "\n")
		got.stderr = rest
		want := fmt.Sprintf("dinit %s: no dinit answers in this PID namespace (tried @dinit-status-%s): connection refused\n", args[0], ino)
		expectReply(t, fmt.Sprintf("dinit %s", strings.Join(args, " ")), got, 1, "", want)
	}
}

// TestStatusReadiness: a service with a notification-fd is not ready, and
// dinit check says so, until its run writes a newline to that fd; then
// dinit logs that it is ready (info, event ready in the JSON log format)
// and check says healthy. Its run gets the fd, and the other services, and
// its log program, do not.
func TestStatusReadiness(t *testing.T) {
	t.Parallel()
	files := tree{
		"web/run": script(`[ -p /proc/self/fd/3 ] && echo '{"fd3":"pipe"}'` + "\n" +
			"while [ ! -e go ]; do sleep 0.05; done\nprintf 'partial' >&3\n" +
			"while [ ! -e go2 ]; do sleep 0.05; done\nprintf 'ready\\nmore\\n' >&3\n" + loop),
		"web/notification-fd": text("3\n"),
		"web/log/run":         script(`[ -e /proc/self/fd/3 ] && echo '{"log":"has fd 3"}'` + "\nexec cat\n"),
		"other/run":           script(`[ -e /proc/self/fd/3 ] && echo '{"other":"has fd 3"}'` + "\n" + loop),
	}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			eachStatusKind(t, statusKinds, func(t *testing.T, k statusKind) {
				env := append(slices.Clone(infoLevel), "DINIT_LOG_FORMAT="+format)
				d := startStatus(t, k, setup{env: env, files: files})
				readyLine := `^TS dinit: info: web/run: ready$`
				if format == "json" {
					readyLine = `^` + regexp.QuoteMeta(jInfo("web/run: ready", "web/run", "ready")) + `$`
				}
				d.waitStdout(`^\{"fd3":"pipe","service":"web","stage":"run"`)
				notReady := "web/run: not ready (notification-fd 3)\n"
				expectReply(t, "dinit check before", d.ask("check"), 1, notReady, "")
				touchIn(t, d.instance, "web/go") // "partial": no newline yet
				expectReply(t, "dinit check after a partial write", d.ask("check"), 1, notReady, "")
				touchIn(t, d.instance, "web/go2")
				d.waitStderr(readyLine)
				expectReply(t, "dinit check after", d.ask("check"), 0, "", "")
				d.stop()
				if n := len(matching(d.allErrLines(), `web/run: ready`)); n != 1 {
					t.Errorf("%d ready lines, want 1", n)
				}
				d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"fd3":"pipe"}`, "web", "run")})
				if format == "text" {
					web := d.pidOf("web/run")
					d.expectInOrder("stderr", d.errLines(), append(d.preamble(),
						info("web/run: running with PID %d", web),
						info("web/run: ready"),
						info("got signal 15, terminating services"))...)
					if errs := d.errLines(); len(errs) == 0 || (k != kindPID1 && errs[0] != d.preamble()[0]) {
						t.Errorf("stderr does not start with the preamble %q", d.preamble())
					}
				}
			})
		})
	}
}

// TestStatusNotReadyEver: a run that closes its notification-fd without a
// newline, or holds it and never writes, is never ready.
func TestStatusNotReadyEver(t *testing.T) {
	t.Parallel()
	eachStatusKind(t, []statusKind{kindPID1, kindSubreaper}, func(t *testing.T, k statusKind) {
		d := startStatus(t, k, setup{env: infoLevel, files: tree{
			"a/run":             script("printf 'no newline' >&4\nexec 4>&-\necho '{\"a\":\"closed\"}'\n" + loop),
			"a/notification-fd": text("4"),
			"b/run":             script(loop),
			"b/notification-fd": text("7"),
		}})
		d.waitStdout(`^\{"a":"closed"`)
		expectReply(t, "dinit check", d.ask("check"), 1, "a/run: not ready (notification-fd 4)\n", "")
		got := d.ask("status", "--json")
		for _, want := range []string{`"service":"a","stage":"run","pid":`, `"service":"b","stage":"run","pid":`} {
			i := strings.Index(got.stdout, want)
			if i < 0 || !strings.Contains(got.stdout[i:], `"ready":false`) {
				t.Errorf("status --json: no %s...\"ready\":false in %s", want, got.stdout)
			}
		}
		d.stop()
		d.expectNoLine("stderr", d.errLines(), `: ready$`)
	})
}

// TestStatusBadNotificationFd: a notification-fd that is not a number from
// 3 to 1023 is a configuration error naming the file and the value: exit 1,
// nothing started. Whitespace around the number is fine, and so are the
// bounds.
func TestStatusBadNotificationFd(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"2", "abc", "", "0", "1024", "-3", "3.0", "0x3", "3 4"} {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				files := tree{"a/run": script("touch marker\n"), "web/run": script("touch marker\n"),
					"web/notification-fd": text(v + "\n")}
				d := start(t, setup{mode: m, env: infoLevel, files: files})
				d.expectExit(1)
				d.expectLines("stderr", d.errLines(), append(d.preamble(),
					fmt.Sprintf(`TS dinit: error: DINIT_DIR %q: %s/web/notification-fd: invalid value %q: want a whole number from 3 to 1023`, d.dir, d.dir, v),
					finalLine(1)))
				d.expectLines("stdout", d.outLines(), nil)
				if markerCreated(d) || fileExists(filepath.Join(d.dir, "a", "marker")) {
					t.Errorf("a service ran (its marker file exists)")
				}
			})
		})
	}
	t.Run("a directory", func(t *testing.T) {
		t.Parallel()
		d := start(t, setup{mode: subreaper, files: tree{"web/run": script("touch marker\n"), "web/notification-fd": {dir: true}}})
		d.expectExit(1)
		d.expectLines("stderr", d.errLines(), []string{
			fmt.Sprintf(`TS dinit: error: DINIT_DIR %q: read %s/web/notification-fd: is a directory`, d.dir, d.dir),
			finalLine(1)})
		if markerCreated(d) {
			t.Errorf("a service ran (its marker file exists)")
		}
	})
	for _, v := range []string{"\t3 \n", "1023"} {
		t.Run("valid "+strconv.Quote(v), func(t *testing.T) {
			t.Parallel()
			n := strings.TrimSpace(v)
			d := startStatus(t, kindSubreaper, setup{env: infoLevel, files: tree{
				"web/run":             script("while [ ! -e go ]; do sleep 0.05; done\necho >/proc/self/fd/" + n + "\n" + loop),
				"web/notification-fd": text(v),
			}})
			expectReply(t, "dinit check", d.ask("check"), 1, "web/run: not ready (notification-fd "+n+")\n", "")
			touchIn(t, d.instance, "web/go")
			d.waitStderr(`^TS dinit: info: web/run: ready$`)
			expectReply(t, "dinit check", d.ask("check"), 0, "", "")
			d.stop()
		})
	}
}

// TestStatusPeerRefused: a client of another uid than root and dinit's own
// is refused: it exits 1 saying the connection closed unanswered, and dinit
// warns, once, with its uid and PID. A client of root is answered after it.
func TestStatusPeerRefused(t *testing.T) {
	t.Parallel()
	requireTools(t, "setpriv")
	bin := publicCopy(t, dinitBin)
	eachStatusKind(t, statusKinds, func(t *testing.T, k statusKind) {
		d := startStatus(t, k, setup{files: tree{"web/run": script(loop)}})
		var got reply
		argv := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-c", `echo $$; exec "$0" check`, bin}
		if k == kindSubreaper {
			got = d.viaProbe(argv...)
		} else {
			got = d.inNamespace(argv...)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(got.stdout))
		if err != nil {
			t.Fatalf("the client's PID: %q", got.stdout)
		}
		got.stdout = ""
		expectReply(t, "dinit check as uid 65534", got, 1, "", fmt.Sprintf(
			"dinit check: dinit at @%s: closed the connection without answering (too many clients, or a uid that may not ask)\n", d.socketName()))
		warning := warn("status: refused a client of uid 65534 (PID %d)", pid)
		d.waitStderr(`^` + regexp.QuoteMeta(warning) + `$`)
		expectReply(t, "dinit check as root", d.ask("check"), 0, "", "")
		d.stop()
		d.expectLines("stderr", d.errLines(), []string{warning, warn("shutting down: got signal 15")})
	})
}

// publicCopy copies a binary into a directory anyone may enter (the test's
// temporary directories are private), for a client of another uid.
func publicCopy(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dinit-status-public-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, filepath.Base(path))
	if err := writeProgram(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestStatusOwnUID: a dinit that runs as uid 65534 (PID 1 of its
// namespace) answers a client of its own uid and refuses one of uid 1000
// (not root, not its own).
func TestStatusOwnUID(t *testing.T) {
	t.Parallel()
	requireMode(t, pid1)
	requireTools(t, "setpriv", "nsenter")
	bin := publicCopy(t, dinitBin)
	dir := filepath.Dir(bin)
	svcDir := filepath.Join(dir, "service")
	writeTree(t, svcDir, tree{"web/run": script(loop)})
	for _, p := range []string{svcDir, filepath.Join(svcDir, "web")} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	as := func(uid int) []string {
		return []string{"setpriv", fmt.Sprintf("--reuid=%d", uid), fmt.Sprintf("--regid=%d", uid), "--clear-groups"}
	}
	wrap := append(as(65534), "/bin/sh", "-c", `shift; exec "$0" "$@"`, bin)
	d := &sdinit{instance: start(t, setup{mode: pid1, dir: svcDir, wrap: wrap, env: infoLevel}), kind: kindPID1}
	d.pidOf("web/run")
	if st, _ := readProcStatusUID(d.dinitPID()); st != 65534 {
		t.Fatalf("dinit runs as uid %d, want 65534", st)
	}
	expectReply(t, "dinit check as uid 65534", d.inNamespace(append(as(65534), bin, "check")...), 0, "", "")
	got := d.inNamespace(append(as(1000), "/bin/sh", "-c", `echo $$; exec "$0" check`, bin)...)
	pid, err := strconv.Atoi(strings.TrimSpace(got.stdout))
	if err != nil {
		t.Fatalf("the client's PID: %q", got.stdout)
	}
	got.stdout = ""
	expectReply(t, "dinit check as uid 1000", got, 1, "", fmt.Sprintf(
		"dinit check: dinit at @%s: closed the connection without answering (too many clients, or a uid that may not ask)\n", d.socketName()))
	d.waitStderr(`^` + regexp.QuoteMeta(warn("status: refused a client of uid 1000 (PID %d)", pid)) + `$`)
	expectReply(t, "dinit check as root", d.inNamespace(bin, "check"), 0, "", "")
	d.signal(syscall.SIGTERM)
	d.expectExit(0)
}

// readProcStatusUID is the real uid of pid.
func readProcStatusUID(pid int) (int, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1, false
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "Uid:"); ok {
			if f := strings.Fields(v); len(f) > 0 {
				n, err := strconv.Atoi(f[0])
				return n, err == nil
			}
		}
	}
	return -1, false
}

// listeningNames returns the abstract names of the listening unix sockets
// in the network namespace of pid that start with prefix.
func listeningNames(t testing.TB, pid int, prefix string) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range splitLines(string(data)) {
		f := strings.Fields(l)
		if len(f) != 8 {
			continue
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err == nil && flags&(1<<16) != 0 && strings.HasPrefix(f[7], "@"+prefix) {
			names = append(names, f[7][1:])
		}
	}
	return names
}

// TestStatusOff: DINIT_STATUS=0 (and its other spellings) leaves no socket:
// no listening name of this dinit in /proc/net/unix while it runs, and dinit
// check finds none (where the namespace is dinit's own; in the subreaper
// kind other tests' dinits share the test's namespace, so only the socket is
// checked). The spellings of on listen at the expected name.
func TestStatusOff(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "false", "no", "off"} {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			eachStatusKind(t, statusKinds, func(t *testing.T, k statusKind) {
				d := startStatus(t, k, setup{env: append(slices.Clone(infoLevel), "DINIT_STATUS="+v), files: tree{"web/run": script(loop)}})
				d.pidOf("web/run") // the socket, if any, is open before any service starts
				// In its own namespace, no name of the namespace at all; in
				// the test's, not dinit's name (the others are other tests').
				prefix := fmt.Sprintf("dinit-status-%d", d.nsIno())
				names := listeningNames(t, d.dinitPID(), prefix)
				if k == kindSubreaper {
					names = slices.DeleteFunc(names, func(n string) bool { return n != d.socketName() })
				}
				if len(names) > 0 {
					t.Errorf("DINIT_STATUS=%s: listening at %q", v, names)
				}
				if k != kindSubreaper {
					ino := d.nsIno()
					expectReply(t, "dinit check", d.ask("check"), 1, "", fmt.Sprintf(
						"dinit check: no dinit answers in this PID namespace (tried @dinit-status-%d): connection refused\n", ino))
					expectReply(t, "dinit status", d.ask("status"), 1, "", fmt.Sprintf(
						"dinit status: no dinit answers in this PID namespace (tried @dinit-status-%d): connection refused\n", ino))
				}
				d.stop()
				d.expectNoLine("stderr", d.errLines(), `status: `)
			})
		})
	}
	for _, v := range []string{"", "1", "true", "yes", "on"} {
		t.Run("on "+strconv.Quote(v), func(t *testing.T) {
			t.Parallel()
			d := startStatus(t, kindSubreaper, setup{env: append(slices.Clone(infoLevel), "DINIT_STATUS="+v), files: tree{"web/run": script(loop)}})
			d.pidOf("web/run")
			if names := listeningNames(t, d.dinitPID(), d.socketName()); !slices.Equal(names, []string{d.socketName()}) {
				t.Errorf("DINIT_STATUS=%q: listening at %q, want %q", v, names, d.socketName())
			}
			expectReply(t, "dinit check", d.ask("check"), 0, "", "")
			d.stop()
		})
	}
}

// TestStatusBadSwitch: a DINIT_STATUS that is no spelling of on or off is
// refused before anything starts, in the log format asked for.
func TestStatusBadSwitch(t *testing.T) {
	t.Parallel()
	const want = "want one of 1, true, yes, on, 0, false, no, off"
	for _, v := range []string{"maybe", "2", "On", " 0", "disabled"} {
		t.Run(strconv.Quote(v), func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: []string{"DINIT_STATUS=" + v, "DINIT_LOG_LEVEL=info"}, files: markerService})
				d.expectExit(1)
				d.expectLines("stderr", d.allErrLines(), []string{fmt.Sprintf(`TS dinit: error: invalid DINIT_STATUS value %q: %s`, v, want)})
				d.expectLines("stdout", d.outLines(), nil)
				if markerCreated(d) {
					t.Errorf("a service ran (its marker file exists)")
				}
			})
		})
	}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		d := start(t, setup{mode: subreaper, env: []string{"DINIT_STATUS=maybe", "DINIT_LOG_FORMAT=json"}, files: markerService})
		d.expectExit(1)
		msg, _ := json.Marshal(`invalid DINIT_STATUS value "maybe": ` + want)
		d.expectLines("stderr", d.allErrLines(), []string{`{"logged":"TS","level":"error","msg":` + string(msg) + `}`})
	})
}

// Clients that misbehave, from the test process (root, so admitted), at
// the socket's name.

// dialStatus connects to dinit's socket.
func dialStatus(name string) (*net.UnixConn, error) {
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: "@" + name, Net: "unix"})
}

// exchange connects, writes payload, and reads to EOF, within timeout. werr
// and rerr are the write's and the read's errors (EOF is none).
func exchange(name string, payload []byte, timeout time.Duration) (reply []byte, werr, rerr error) {
	c, err := dialStatus(name)
	if err != nil {
		return nil, err, nil
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if len(payload) > 0 {
		_, werr = c.Write(payload)
	}
	reply, rerr = io.ReadAll(c)
	return reply, werr, rerr
}

// socketFDs counts the sockets dinit holds: its listener and its clients.
func (d *sdinit) socketFDs() int {
	d.t.Helper()
	targets, err := fdTargets(d.dinitPID())
	if err != nil {
		d.t.Fatal(err)
	}
	n := 0
	for _, target := range targets {
		if strings.HasSuffix(target, ":socket") {
			n++
		}
	}
	return n
}

// waitSockets waits until dinit holds n sockets.
func (d *sdinit) waitSockets(n int) {
	d.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for got := d.socketFDs(); got != n; got = d.socketFDs() {
		if time.Now().After(deadline) {
			d.t.Fatalf("dinit holds %d sockets, want %d", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestStatusHostileClients: clients that send nothing, that send garbage
// with or without a newline, a request at the size limit and one over it,
// more clients than the server takes: each gets exactly what the bounds
// say (an answer, or the connection closed unanswered), dinit logs why at
// debug level, and it keeps answering a normal dinit check.
func TestStatusHostileClients(t *testing.T) {
	t.Parallel()
	eachStatusKind(t, []statusKind{kindPID1, kindSubreaper}, func(t *testing.T, k statusKind) {
		d := startStatus(t, k, setup{env: []string{"DINIT_LOG_LEVEL=debug"}, files: tree{"web/run": script(loop)}})
		name := d.socketName()
		listener := d.socketFDs() // no client yet
		closedUnanswered := fmt.Sprintf("dinit check: dinit at @%s: closed the connection without answering (too many clients, or a uid that may not ask)\n", name)
		exact := func(what string, payload, want string) {
			t.Helper()
			reply, werr, rerr := exchange(name, []byte(payload), waitTimeout)
			if string(reply) != want || werr != nil || rerr != nil {
				t.Errorf("%s: reply %q (write: %v, read: %v), want %q and a clean end", what, reply, werr, rerr, want)
			}
		}
		unanswered := func(what string, reply []byte, rerr error) {
			t.Helper()
			if len(reply) > 0 || (rerr != nil && !errors.Is(rerr, syscall.ECONNRESET)) {
				t.Errorf("%s: reply %q, read error %v; want the connection closed unanswered", what, reply, rerr)
			}
		}

		// Requests answered, and the latency of check.
		exact("garbage line", "garbage\n", "1\nunknown request \"garbage\"\n")
		exact("empty line", "\n", "1\nunknown request \"\"\n")
		exact("check, and bytes after the line", "check\nmore bytes that are ignored", "0\n")
		long := strings.Repeat("a", 4095)
		exact("a request of 4095 bytes and its newline", long+"\n", "1\nunknown request \""+long+"\"\n")
		var took []time.Duration
		for range 5 {
			begin := time.Now()
			exact("check", "check\n", "0\n")
			took = append(took, time.Since(begin))
		}
		slices.Sort(took)
		t.Logf("check answered in %v (median of 5; %v to %v)", took[2], took[0], took[4])

		// 4096 bytes without a newline, and 1 MiB: dropped unanswered.
		reply, werr, rerr := exchange(name, []byte(long+"a"), waitTimeout)
		unanswered("4096 bytes without a newline", reply, rerr)
		if werr != nil {
			t.Errorf("4096 bytes without a newline: the write failed: %v", werr)
		}
		reply, werr, rerr = exchange(name, bytes.Repeat([]byte("x"), 1<<20), waitTimeout)
		unanswered("1 MiB without a newline", reply, rerr)
		if !errors.Is(werr, syscall.EPIPE) && !errors.Is(werr, syscall.ECONNRESET) {
			t.Errorf("1 MiB without a newline: the write ended with %v, want EPIPE or ECONNRESET (dropped at 4 KiB)", werr)
		}

		// Half a request, then the client leaves.
		c, err := dialStatus(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("che")); err != nil {
			t.Fatal(err)
		}
		c.Close()
		d.waitStderr(`^TS dinit: debug: status: dropped a client: it closed before a whole request$`)

		// A client that says nothing holds its place for 1 s; a normal
		// check is answered meanwhile.
		d.waitSockets(listener)
		silent, err := dialStatus(name)
		if err != nil {
			t.Fatal(err)
		}
		connected := time.Now()
		d.waitSockets(listener + 1)
		expectReply(t, "dinit check beside a silent client", d.ask("check"), 0, "", "")
		_ = silent.SetDeadline(time.Now().Add(waitTimeout))
		reply, rerr = io.ReadAll(silent)
		held := time.Since(connected)
		silent.Close()
		unanswered("a silent client", reply, rerr)
		if held < 900*time.Millisecond {
			t.Errorf("a silent client was dropped after %v, before its second", held)
		}
		d.waitStderr(`^TS dinit: debug: status: dropped a client: not done within 1s$`)

		// 16 clients at once that say nothing: a 17th, and the dinit
		// check run then, are closed unanswered; once they leave, check
		// is answered again. (Retried if the 16 were held past their
		// second before the 17th came: a slow machine.)
		attempts := 0
		for attempt := 1; ; attempt++ {
			attempts = attempt
			d.waitSockets(listener)
			var held []*net.UnixConn
			for range 16 {
				c, err := dialStatus(name)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, c)
			}
			filled := time.Now()
			d.waitSockets(listener + 16)
			reply, _, rerr := exchange(name, []byte("check\n"), waitTimeout)
			cli := d.ask("check")
			inTime := time.Since(filled) < 800*time.Millisecond
			for _, c := range held {
				c.Close()
			}
			if !inTime && attempt < 3 {
				t.Logf("attempt %d: the 16 clients may have timed out before the 17th came; again", attempt)
				continue
			}
			unanswered("a 17th client", reply, rerr)
			expectReply(t, "dinit check with 16 clients held", cli, 1, "", closedUnanswered)
			break
		}
		d.waitSockets(listener)
		expectReply(t, "dinit check after", d.ask("check"), 0, "", "")
		d.waitStderr(`^TS dinit: debug: status: refused a client: 16 clients already$`)

		d.stop()
		errs := d.errLines()
		if attempts == 1 { // every status line of dinit, in order
			want := []string{
				"TS dinit: debug: status: answering at @" + name,
				"TS dinit: debug: status: dropped a client: no newline in the first 4096 bytes",
				"TS dinit: debug: status: dropped a client: no newline in the first 4096 bytes",
				"TS dinit: debug: status: dropped a client: it closed before a whole request",
				"TS dinit: debug: status: dropped a client: not done within 1s",
				"TS dinit: debug: status: refused a client: 16 clients already",
				"TS dinit: debug: status: refused a client: 16 clients already",
			}
			for range 16 {
				want = append(want, "TS dinit: debug: status: dropped a client: it closed before a whole request")
			}
			d.expectLines("stderr: the status lines", matching(errs, `^TS dinit: \w+: status: `), want)
		}
		if n := countLines(errs, "TS dinit: debug: status: dropped a client: no newline in the first 4096 bytes"); n != 2 {
			t.Errorf("%d lines: dropped a client: no newline, want 2", n)
		}
		if n := len(matching(errs, `^TS dinit: debug: status: refused a client: 16 clients already$`)); n < 2 {
			t.Errorf("%d lines: refused a client: 16 clients already, want 2 (or more, after a retry)", n)
		}
		d.expectNoLine("stderr", errs, `^TS dinit: (warning|error): status: `)
	})
}

// floodScript is a service that writes n JSON lines {"f":<k>,"i":<i>} as
// fast as awk can each time the file go.<k> appears (k = 1, 2, ...), then
// "flood <k> done" on stderr.
func floodScript(n int) string {
	return fmt.Sprintf(`trap 'trap - TERM; kill -TERM $$' TERM
n=0
while :; do
	n=$((n+1))
	while [ ! -e go.$n ]; do sleep 0.02; done
	awk -v f=$n 'BEGIN { for (i = 1; i <= %d; i++) printf "{\"f\":%%d,\"i\":%%d}\n", f, i }'
	echo "flood $n done" >&2
done
`, n)
}

// floodLine parses a line of dinit's stdout for a flood line: its flood,
// its number and its timestamp.
func floodLine(l []byte) (f, i int, ts string, ok bool) {
	rest, ok := bytes.CutPrefix(l, []byte(`{"f":`))
	if !ok {
		return 0, 0, "", false
	}
	j := bytes.IndexByte(rest, ',')
	if j < 0 {
		return 0, 0, "", false
	}
	f, err := strconv.Atoi(string(rest[:j]))
	if err != nil {
		return 0, 0, "", false
	}
	rest, ok = bytes.CutPrefix(rest[j:], []byte(`,"i":`))
	if !ok {
		return 0, 0, "", false
	}
	j = bytes.IndexByte(rest, ',')
	if j < 0 {
		return 0, 0, "", false
	}
	if i, err = strconv.Atoi(string(rest[:j])); err != nil || !isTSLogged("flood")(rest[j:]) {
		return 0, 0, "", false
	}
	return f, i, string(rest[len(rest)-26 : len(rest)-2]), true
}

// floodRate is lines per second between a flood's first and last line, by
// dinit's timestamps (milliseconds).
func floodRate(n int, first, last string) float64 {
	a, _ := time.Parse("2006-01-02T15:04:05.000Z", first)
	b, _ := time.Parse("2006-01-02T15:04:05.000Z", last)
	if !b.After(a) {
		return 0
	}
	return float64(n-1) / b.Sub(a).Seconds()
}

// checkFloods checks that data, dinit's stdout, is exactly floods floods
// of n lines each, in order, none lost, doubled or torn, and returns each
// flood's rate.
func checkFloods(t testing.TB, data []byte, floods, n int) []float64 {
	t.Helper()
	var rates []float64
	f, i, errs := 1, 0, 0
	var first string
	bad := func(format string, a ...any) {
		if errs++; errs <= 5 {
			t.Errorf(format, a...)
		}
	}
	for line := range bytes.Lines(data) {
		lf, li, ts, ok := floodLine(bytes.TrimSuffix(line, []byte("\n")))
		if i == n {
			f, i = f+1, 0
		}
		switch {
		case !ok || !bytes.HasSuffix(line, []byte("\n")):
			bad("stdout: not a flood line: %s", short(string(line)))
			continue
		case lf != f || li != i+1:
			bad("stdout: flood %d line %d, want flood %d line %d", lf, li, f, i+1)
		}
		f, i = lf, li
		if li == 1 {
			first = ts
		}
		if li == n {
			rates = append(rates, floodRate(n, first, ts))
		}
	}
	if f != floods || i != n {
		t.Errorf("stdout ends at flood %d line %d, want flood %d line %d", f, i, floods, n)
	}
	return rates
}

// waitTail waits until dinit's stdout ends with a line that starts with
// prefix (a flood's last line).
func (d *sdinit) waitTail(prefix string) {
	d.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		b, eof, ch := d.stdout.snapshot()
		tail := b[max(0, len(b)-200):]
		if i := bytes.LastIndex(tail, []byte("\n"+prefix)); i >= 0 && bytes.HasSuffix(tail, []byte("\n")) && bytes.IndexByte(tail[i+1:], '\n') == len(tail)-i-2 {
			return
		}
		if eof {
			d.t.Fatalf("stdout ended before a line %s...", prefix)
		}
		select {
		case <-ch:
		case <-deadline.C:
			d.t.Fatalf("no last line %s... on stdout within %v", prefix, waitTimeout)
		}
	}
}

// load is 100 clients at once against a socket, 25 of each kind (silent,
// 1 MiB without a newline, "garbage\n", "check\n"), until stopped: in
// rounds (the next round when every client of the last one is done), or,
// with churn, each client connecting again as soon as it is done, so that
// 100 are always there.
type load struct {
	name  string
	churn bool
	mu    sync.Mutex
	// rounds and clients run; answered: clients that got their whole,
	// right answer; unanswered: clients closed without a byte (refused at
	// 16 clients, or dropped); wrong: anything else.
	rounds, clients, answered, unanswered int
	wrong                                 []string
	stop, stopped                         chan struct{}
}

const loadClients = 100

// startLoad starts the load and returns once its first round is under way.
func startLoad(name string, churn bool) *load {
	l := &load{name: name, churn: churn, stop: make(chan struct{}), stopped: make(chan struct{})}
	first := make(chan struct{})
	if churn {
		go l.runChurn(first)
	} else {
		go l.run(first)
	}
	<-first
	return l
}

func (l *load) runChurn(first chan struct{}) {
	defer close(l.stopped)
	var wg sync.WaitGroup
	for i := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				l.client(i % 4)
			}
		}()
	}
	close(first)
	wg.Wait()
}

func (l *load) run(first chan struct{}) {
	defer close(l.stopped)
	for round := 0; ; round++ {
		select {
		case <-l.stop:
			return
		default:
		}
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range loadClients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				l.client(i % 4)
			}()
		}
		close(gate)
		if round == 0 {
			close(first)
		}
		wg.Wait()
		l.mu.Lock()
		l.rounds++
		l.mu.Unlock()
	}
}

func (l *load) client(kind int) {
	var payload []byte
	want := ""
	switch kind {
	case 1:
		payload = bytes.Repeat([]byte("x"), 1<<20)
	case 2:
		payload, want = []byte("garbage\n"), "1\nunknown request \"garbage\"\n"
	case 3:
		payload, want = []byte("check\n"), "0\n"
	}
	reply, _, rerr := exchange(l.name, payload, 10*time.Second)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clients++
	switch {
	case len(reply) == 0 && (rerr == nil || errors.Is(rerr, syscall.ECONNRESET)):
		l.unanswered++
	case want != "" && string(reply) == want && rerr == nil:
		l.answered++
	default:
		l.wrong = append(l.wrong, fmt.Sprintf("client of kind %d: reply %q, read error %v", kind, reply, rerr))
	}
}

// end stops the load and waits for its last round.
func (l *load) end(t testing.TB) {
	t.Helper()
	close(l.stop)
	select {
	case <-l.stopped:
	case <-time.After(waitTimeout):
		t.Fatalf("the clients' last round did not end within %v", waitTimeout)
	}
}

// TestStatusClientsDuringFlood: a service floods stdout twice, first
// alone, then while rounds of 100 clients at once (silent, 1 MiB of
// garbage, garbage lines, checks) hammer the status socket. No line is
// lost, doubled or torn; every client gets the right answer or none;
// dinit check is answered afterwards. The relay's speed with the clients
// and without is logged, not asserted (BenchmarkStatusRelay measures it
// alone).
func TestStatusClientsDuringFlood(t *testing.T) {
	t.Parallel()
	const lines = 300_000
	eachStatusKind(t, []statusKind{kindPID1, kindSubreaper}, func(t *testing.T, k statusKind) {
		d := startStatus(t, k, setup{env: infoLevel, raw: true, files: tree{"flood/run": script(floodScript(lines))}})
		d.pidOf("flood/run")
		flood := func(n int) {
			touchIn(t, d.instance, fmt.Sprintf("flood/go.%d", n))
			d.waitStderr(fmt.Sprintf(`^TS flood/run: flood %d done$`, n))
			d.waitTail(fmt.Sprintf(`{"f":%d,"i":%d,`, n, lines))
		}
		flood(1)
		l := startLoad(d.socketName(), false)
		flood(2)
		l.end(t)
		expectReply(t, "dinit check after the clients", d.ask("check"), 0, "", "")
		d.stop()
		rates := checkFloods(t, d.stdout.bytes(), 2, lines)
		for _, w := range l.wrong[:min(5, len(l.wrong))] {
			t.Errorf("wrong answer: %s", w)
		}
		if len(l.wrong) > 5 {
			t.Errorf("... and %d more wrong answers", len(l.wrong)-5)
		}
		if l.answered == 0 {
			t.Errorf("no client was answered in %d rounds of %d", l.rounds, loadClients)
		}
		t.Logf("%d rounds of %d clients: %d answered, %d closed unanswered", l.rounds, loadClients, l.answered, l.unanswered)
		if len(rates) == 2 && rates[0] > 0 {
			t.Logf("relay: %.0f lines/s alone, %.0f lines/s with the clients (%.2f)", rates[0], rates[1], rates[1]/rates[0])
		}
		d.expectNoLine("stderr", d.errLines(), `^TS dinit: (warning|error): (status|.*not JSON)`)
	})
}

// BenchmarkStatusRelay measures the relay's speed while clients hammer the
// status socket, against its speed alone, in one dinit (subreaper): each
// iteration floods 1,000,000 lines alone and 1,000,000 lines under load
// (in alternating order), and reports the medians and their ratio
// (loaded/alone; 1 is no slowdown). Two loads: rounds of 100 clients at
// once (as TestStatusClientsDuringFlood), and churn, 100 clients always
// there, each connecting again at once. Run it alone:
//
//	go test -run '^$' -bench StatusRelay -benchtime 5x ./integration/
//
// The clients run in the test process: on a machine with few cores they
// take CPU from dinit and from the writer too, which the ratio includes.
func BenchmarkStatusRelay(b *testing.B) {
	for _, churn := range []bool{false, true} {
		name := "rounds"
		if churn {
			name = "churn"
		}
		b.Run(name, func(b *testing.B) { benchRelay(b, churn) })
	}
}

func benchRelay(b *testing.B, churn bool) {
	const lines = 1_000_000
	if runtime.GOOS != "linux" {
		b.Skip("dinit needs Linux")
	}
	dir := filepath.Join(b.TempDir(), "service")
	if err := os.MkdirAll(filepath.Join(dir, "flood"), 0o755); err != nil {
		b.Fatal(err)
	}
	run := filepath.Join(dir, "flood", "run")
	if err := writeProgram(run, []byte("#!/bin/sh\n"+floodScript(lines)), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Chmod(run, 0o755); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(dinitBin)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "DINIT_DIR=" + dir}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(exitTimeout):
			killSession(cmd.Process.Pid)
			<-done
		}
	}()
	// The reader: each flood's first and last timestamps, and its end.
	type floodEnd struct {
		rate float64
		err  error
	}
	ends := make(chan floodEnd, 1)
	go func() {
		r := bufio.NewReaderSize(out, 1<<20)
		var first string
		next := 1
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			f, i, ts, ok := floodLine(bytes.TrimSuffix(line, []byte("\n")))
			switch {
			case !ok || i != next:
				ends <- floodEnd{err: fmt.Errorf("flood %d: line %d, want %d: %q", f, i, next, line)}
				return
			case i == 1:
				first = ts
			}
			next++
			if i == lines {
				ends <- floodEnd{rate: floodRate(lines, first, ts)}
				next = 1
			}
		}
	}()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/pid", &st); err != nil {
		b.Fatal(err)
	}
	name := fmt.Sprintf("dinit-status-%d-%d", st.Ino, cmd.Process.Pid)
	deadline := time.Now().Add(waitTimeout)
	for len(listeningNames(b, cmd.Process.Pid, name)) == 0 {
		if time.Now().After(deadline) {
			b.Fatalf("dinit does not listen at @%s", name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n := 0
	var cpuAlone, cpuLoaded []float64 // dinit's CPU seconds per flood
	flood := func(loaded bool) float64 {
		cpu0 := cpuSeconds(cmd.Process.Pid)
		defer func() {
			used := cpuSeconds(cmd.Process.Pid) - cpu0
			if loaded {
				cpuLoaded = append(cpuLoaded, used)
			} else {
				cpuAlone = append(cpuAlone, used)
			}
		}()
		var l *load
		if loaded {
			l = startLoad(name, churn)
		}
		n++
		if err := touch(filepath.Join(dir, "flood", fmt.Sprintf("go.%d", n))); err != nil {
			b.Fatal(err)
		}
		var end floodEnd
		select {
		case end = <-ends:
		case <-time.After(time.Minute):
			b.Fatalf("flood %d did not end within a minute", n)
		}
		if l != nil {
			l.end(b)
			if len(l.wrong) > 0 {
				b.Errorf("%d wrong answers, the first: %s", len(l.wrong), l.wrong[0])
			}
			b.Logf("flood %d: %d clients (%d answered, %d closed unanswered)", n, l.clients, l.answered, l.unanswered)
		}
		if end.err != nil {
			b.Fatal(end.err)
		}
		return end.rate
	}
	var alone, loaded []float64
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			alone = append(alone, flood(false))
			loaded = append(loaded, flood(true))
		} else {
			loaded = append(loaded, flood(true))
			alone = append(alone, flood(false))
		}
	}
	b.StopTimer()
	median := func(v []float64) float64 {
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.Logf("lines/s alone %.0f, loaded %.0f; dinit's CPU seconds per flood alone %.2f, loaded %.2f", alone, loaded, cpuAlone, cpuLoaded)
	b.ReportMetric(median(alone), "alone-lines/s")
	b.ReportMetric(median(loaded), "loaded-lines/s")
	b.ReportMetric(median(loaded)/median(alone), "ratio")
}

// cpuSeconds is the user and system time of pid so far (/proc/<pid>/stat,
// in ticks of 1/100 s, the USER_HZ of every Linux ABI we run on).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return float64(utime+stime) / 100
}
