package integration

// The Docker tests (docker_test.go) run dinit as the ENTRYPOINT of real containers
// on the local Docker engine: `docker run`, `docker stop`, `docker kill -s`,
// `docker logs`. Every image is built here FROM scratch with the legacy builder
// (no registry, no buildx needed) from static binaries of ./cmd/dinit and
// ./internal/testsvc built once per test run; every service program is a copy of
// testsvc told what to do by the mode file beside it (a copy named terminate is the
// terminate mode). Each test builds its own image and removes it, and its
// containers, in t.Cleanup.
//
// They run when `docker info` works. Otherwise they are skipped, except under
// CI=true, where they fail: CI must never skip them silently.
//
// Every helper here is prefixed with docker so as not to clash with the PID
// namespace harness of the same package.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	// dockerCmdTimeout bounds one docker command (builds included).
	dockerCmdTimeout = 2 * time.Minute
	// dockerWaitTimeout bounds a wait for log lines or for a container's end.
	dockerWaitTimeout = 30 * time.Second
)

var dockerGate struct {
	once   sync.Once
	reason string // why the tests cannot run; "" when they can
	arch   string // the engine's GOARCH
}

// dockerRequire skips the test (fails it under CI=true) when no Docker engine
// answers, and marks it parallel.
func dockerRequire(t *testing.T) {
	t.Helper()
	dockerGate.once.Do(dockerProbe)
	if dockerGate.reason != "" {
		dockerUnavailable(t, "Docker tests cannot run: "+dockerGate.reason)
	}
	t.Parallel()
}

// dockerUnavailable skips the test, except under CI=true, where it fails.
func dockerUnavailable(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: not skipping)", reason)
	}
	t.Skip(reason)
}

func dockerProbe() {
	if _, err := exec.LookPath("docker"); err != nil {
		dockerGate.reason = "no docker client: " + err.Error()
		return
	}
	out, err := dockerOutput("info", "--format", "{{.OSType}}")
	if err != nil {
		dockerGate.reason = fmt.Sprintf("`docker info` fails: %v: %s", err, strings.TrimSpace(out))
		return
	}
	if ostype := strings.TrimSpace(out); ostype != "linux" {
		dockerGate.reason = fmt.Sprintf("the Docker engine runs %q containers, not linux", ostype)
		return
	}
	out, err = dockerOutput("version", "--format", "{{.Server.Arch}}")
	if err != nil {
		dockerGate.reason = fmt.Sprintf("`docker version` fails: %v: %s", err, strings.TrimSpace(out))
		return
	}
	dockerGate.arch = strings.TrimSpace(out)
}

// dockerOutput runs docker with args and returns its combined output.
func dockerOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dockerCLI runs docker with args, failing the test on error, and returns
// its output.
func dockerCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := dockerOutput(args...)
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

var dockerBins struct {
	once           sync.Once
	dinit, testsvc []byte
	err            error
}

// dockerBinaries returns the static dinit and testsvc binaries, built once per
// run for the engine's architecture. They are kept in memory (the build
// directory is removed at once) and written into each image's build context.
func dockerBinaries(t *testing.T) (dinit, testsvc []byte) {
	t.Helper()
	dockerBins.once.Do(func() {
		dockerBins.dinit, dockerBins.testsvc, dockerBins.err = dockerBuildBinaries(dockerGate.arch)
	})
	if dockerBins.err != nil {
		t.Fatal(dockerBins.err)
	}
	return dockerBins.dinit, dockerBins.testsvc
}

func dockerBuildBinaries(arch string) (dinit, testsvc []byte, err error) {
	root, err := dockerModuleRoot()
	if err != nil {
		return nil, nil, err
	}
	tmp, err := os.MkdirTemp("", "dinit-docker-bin-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(tmp)
	goTool, err := exec.LookPath("go")
	if err != nil {
		return nil, nil, fmt.Errorf("the go tool is needed to build the binaries for the images: %v", err)
	}
	var bins [2][]byte
	for i, pkg := range []string{"./cmd/dinit", "./internal/testsvc"} {
		out := filepath.Join(tmp, filepath.Base(pkg))
		cmd := exec.Command(goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, nil, fmt.Errorf("static build of %s for linux/%s: %v\n%s", pkg, arch, err, b)
		}
		if bins[i], err = os.ReadFile(out); err != nil {
			return nil, nil, err
		}
	}
	return bins[0], bins[1], nil
}

func dockerModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// dockerService is one directory of /etc/service in a test image. Every
// program in it is a copy of testsvc.
type dockerService struct {
	name      string
	mode      string // the run program's mode file
	log       string // when not empty: a log/run program with this mode file
	terminate bool   // a terminate program (testsvc's terminate mode)
	// run, when set, is the run program instead of testsvc (a static binary);
	// files are more files of the service directory (name to content).
	run   []byte
	files map[string]string
}

var dockerSeq atomic.Int64

// dockerUnique returns a name unique to this test run and test: prefix, the
// test's name, the PID and a sequence number.
func dockerUnique(t *testing.T, prefix string) string {
	name := regexp.MustCompile(`[^a-zA-Z0-9_.-]+`).ReplaceAllString(t.Name(), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	return fmt.Sprintf("%s%s-%d-%d", prefix, strings.ToLower(name), os.Getpid(), dockerSeq.Add(1))
}

// dockerBuild builds a FROM scratch image holding /dinit (the ENTRYPOINT),
// /testsvc (for docker exec) and the services under /etc/service, and removes
// it when the test ends.
func dockerBuild(t *testing.T, services ...dockerService) string {
	t.Helper()
	return dockerBuildWith(t, "", services...)
}

// dockerBuildWith is dockerBuild with more Dockerfile instructions (a
// HEALTHCHECK, say) after the ENTRYPOINT.
func dockerBuildWith(t *testing.T, instructions string, services ...dockerService) string {
	t.Helper()
	dinit, testsvc := dockerBinaries(t)
	ctx := t.TempDir()
	rootfs := filepath.Join(ctx, "rootfs")
	write := func(path string, data []byte, perm os.FileMode) {
		t.Helper()
		full := filepath.Join(rootfs, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, perm); err != nil { // whatever the umask
			t.Fatal(err)
		}
	}
	write("dinit", dinit, 0o755)
	write("testsvc", testsvc, 0o755)
	for _, s := range services {
		dir := filepath.Join("etc/service", s.name)
		run := testsvc
		if s.run != nil {
			run = s.run
		}
		write(filepath.Join(dir, "run"), run, 0o755)
		write(filepath.Join(dir, "mode"), []byte(s.mode+"\n"), 0o644)
		for name, data := range s.files {
			write(filepath.Join(dir, name), []byte(data), 0o644)
		}
		if s.terminate {
			write(filepath.Join(dir, "terminate"), testsvc, 0o755)
		}
		if s.log != "" {
			write(filepath.Join(dir, "log/run"), testsvc, 0o755)
			write(filepath.Join(dir, "log/mode"), []byte(s.log+"\n"), 0o644)
		}
	}
	// Directories readable by anyone: some containers run as --user 1000:1000.
	err := filepath.WalkDir(rootfs, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(path, 0o755)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM scratch\nCOPY rootfs/ /\nENTRYPOINT [\"/dinit\"]\n" + instructions
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	image := dockerUnique(t, "dinit-dockertest:")
	t.Cleanup(func() {
		if out, err := dockerOutput("rmi", "-f", image); err != nil {
			t.Logf("docker rmi -f %s: %v: %s", image, err, out)
		}
	})
	dockerCLI(t, "build", "-q", "--rm", "--force-rm", "-t", image, ctx)
	return image
}

// dockerContainer is one container started by dockerRun.
type dockerContainer struct {
	t       *testing.T
	name    string
	started time.Time
	jsonLog bool // run with DINIT_LOG_FORMAT=json: every stderr line is a JSON object
}

// dockerRun starts a container of image in the background (docker run -d),
// with the docker run options opts, and removes it when the test ends (showing
// its logs first if the test failed).
func dockerRun(t *testing.T, image string, opts ...string) *dockerContainer {
	t.Helper()
	return dockerRunCmd(t, opts, image, nil)
}

// dockerRunCmd is dockerRun with a command (arguments of the entrypoint).
func dockerRunCmd(t *testing.T, opts []string, image string, command []string) *dockerContainer {
	t.Helper()
	c := &dockerContainer{t: t, name: dockerUnique(t, "dinit-dockertest-"), started: time.Now()}
	for _, o := range opts { // the last setting wins, as in docker run
		if v, ok := strings.CutPrefix(strings.TrimPrefix(strings.TrimPrefix(o, "--env="), "-e"), "DINIT_LOG_FORMAT="); ok {
			c.jsonLog = v == "json"
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			stdout, stderr := c.logs()
			t.Logf("container %s stdout:\n%s\nstderr:\n%s", c.name, stdout, stderr)
		}
		if out, err := dockerOutput("rm", "-f", "-v", c.name); err != nil {
			t.Logf("docker rm -f %s: %v: %s", c.name, err, out)
		}
	})
	args := append([]string{"run", "-d", "--name", c.name, "--log-driver", "json-file"}, opts...)
	args = append(append(args, image), command...)
	dockerCLI(t, args...)
	return c
}

// logs returns what `docker logs` has of the container's stdout and stderr,
// separately.
func (c *dockerContainer) logs() (stdout, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", "logs", c.name)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		c.t.Errorf("docker logs %s: %v: %s", c.name, err, errb.String())
	}
	return out.String(), errb.String()
}

// normLogs returns the container's stdout and stderr lines, normalised by
// dockerNormalize.
func (c *dockerContainer) normLogs() (stdout, stderr []string) {
	o, e := c.logs()
	return dockerLines(dockerNormalize(o)), withoutAccounting(c.t, dockerLines(dockerNormalize(e)))
}

// waitLog polls `docker logs` until at least n normalised lines of stream
// ("stdout" or "stderr") match pattern, and returns the matching raw lines.
func (c *dockerContainer) waitLog(stream, pattern string, n int) []string {
	c.t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(dockerWaitTimeout)
	for {
		o, e := c.logs()
		text := o
		if stream == "stderr" {
			text = e
		}
		var got []string
		for _, l := range dockerLines(text) {
			if re.MatchString(dockerNormalize(l)) {
				got = append(got, l)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("container %s: after %v, %d of %d %s lines matching %q", c.name, dockerWaitTimeout, len(got), n, stream, pattern)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inspect returns docker inspect -f format for the container.
func (c *dockerContainer) inspect(format string) string {
	c.t.Helper()
	return strings.TrimSpace(dockerCLI(c.t, "inspect", "-f", format, c.name))
}

// running reports whether the container is still running.
func (c *dockerContainer) running() bool {
	c.t.Helper()
	return c.inspect("{{.State.Running}}") == "true"
}

// wait waits for the container's end and returns its exit code.
func (c *dockerContainer) wait() int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerWaitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "wait", c.name).CombinedOutput()
	if err != nil {
		c.t.Fatalf("docker wait %s: %v: %s", c.name, err, out)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		c.t.Fatalf("docker wait %s: %q is not an exit code", c.name, out)
	}
	if ic := c.inspect("{{.State.ExitCode}}"); ic != strconv.Itoa(code) {
		c.t.Errorf("docker wait says exit code %d, docker inspect %s", code, ic)
	}
	return code
}

// expectExit waits for the container's end and checks its exit code.
func (c *dockerContainer) expectExit(want int) {
	c.t.Helper()
	if got := c.wait(); got != want {
		c.t.Errorf("container exit code %d, want %d", got, want)
	}
}

// stop runs docker stop (default timeout 10 s) and returns how long it took.
func (c *dockerContainer) stop() time.Duration {
	c.t.Helper()
	start := time.Now()
	dockerCLI(c.t, "stop", c.name)
	return time.Since(start)
}

// kill sends sig to the container (to its PID 1) with docker kill -s.
func (c *dockerContainer) kill(sig string) {
	c.t.Helper()
	dockerCLI(c.t, "kill", "-s", sig, c.name)
}

// top returns docker top's rows for -eo fields (the processes of the container,
// as ps on the host sees them; zombies are not listed).
func (c *dockerContainer) top(fields string) [][]string {
	c.t.Helper()
	var rows [][]string
	for i, l := range dockerLines(dockerCLI(c.t, "top", c.name, "-eo", fields)) {
		if i > 0 { // the header
			rows = append(rows, strings.Fields(l))
		}
	}
	return rows
}

// zombies counts the zombie children of the container's PID 1, read from the
// host's /proc (docker top does not list zombies: they have left their cgroup).
func (c *dockerContainer) zombies() (int, error) {
	pid := c.inspect("{{.State.Pid}}")
	tasks, err := filepath.Glob("/proc/" + pid + "/task/*/children")
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("cannot read the children of host PID %s: %v", pid, err)
	}
	n := 0
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		for _, child := range strings.Fields(string(b)) {
			stat, err := os.ReadFile("/proc/" + child + "/stat")
			if err != nil {
				continue // reaped meanwhile
			}
			// pid (comm) state ...: comm may hold spaces and parentheses.
			rest := stat[bytes.LastIndexByte(stat, ')')+1:]
			if f := strings.Fields(string(rest)); len(f) > 0 && f[0] == "Z" {
				n++
			}
		}
	}
	return n, nil
}

// hostFDs returns what the descriptors of the container's PID 1 point to, read
// from the host's /proc ("anon_inode:[pidfd]", "pipe:[42]", ...), in fd order.
func (c *dockerContainer) hostFDs() ([]string, error) {
	dir := "/proc/" + c.inspect("{{.State.Pid}}") + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			fds = append(fds, n)
		}
	}
	slices.Sort(fds)
	var out []string
	for _, fd := range fds {
		target, _ := os.Readlink(dir + "/" + strconv.Itoa(fd))
		out = append(out, strconv.Itoa(fd)+":"+target)
	}
	return out, nil
}

var (
	dockerTSRe    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
	dockerPIDRe   = regexp.MustCompile(`PID \d+`)
	dockerJSONPID = regexp.MustCompile(`"pid":\d+`)
	dockerStageRe = regexp.MustCompile(`(^| )([^ /]+)/\d+: `)
	dockerErrRe   = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (dinit: (debug|info|warning|error): |[^ /]+/[^ :]+: )`)
)

// dockerNormalize replaces timestamps by TS and PIDs by N (in "PID 42",
// "pid":42 and a reparented process's stage sleep/42).
func dockerNormalize(s string) string {
	s = dockerTSRe.ReplaceAllLiteralString(s, "TS")
	s = dockerPIDRe.ReplaceAllLiteralString(s, "PID N")
	s = dockerJSONPID.ReplaceAllLiteralString(s, `"pid":N`)
	return dockerStageRe.ReplaceAllString(s, "$1$2/N: ")
}

// dockerLines splits s into lines; a final newline does not start another.
func dockerLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// dockerPIDOf returns the PID in the first raw line matching pattern (with a
// (\d+) group).
func dockerPIDOf(t *testing.T, lines []string, pattern string) int {
	t.Helper()
	re := regexp.MustCompile(pattern)
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	t.Fatalf("no line matches %q", pattern)
	return 0
}

// dockerJSON is what dinit writes to stdout for the JSON object obj of service
// name, stage stage, normalised.
func dockerJSON(obj, name, stage string) string {
	body := strings.TrimSuffix(strings.TrimPrefix(obj, "{"), "}")
	fields := fmt.Sprintf(`"service":%q,"stage":%q,"logged":"TS"}`, name, stage)
	if body == "" {
		return "{" + fields
	}
	return "{" + body + "," + fields
}

// dockerInfo, dockerWarn and dockerSvc are expected normalised stderr lines.
func dockerInfo(format string, a ...any) string {
	return "TS dinit: info: " + fmt.Sprintf(format, a...)
}
func dockerWarn(format string, a ...any) string {
	return "TS dinit: warning: " + fmt.Sprintf(format, a...)
}
func dockerSvc(name, stage, line string) string { return "TS " + name + "/" + stage + ": " + line }

// dockerExiting is dinit's last line, normalised: at warning for a non-zero
// status.
func dockerExiting(code int) string {
	if code != 0 {
		return dockerWarn("dinit exiting with status %d", code)
	}
	return dockerInfo("dinit exiting with status %d", code)
}

// dockerSameLines checks that got and want hold the same lines in any order.
func dockerSameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if slices.Equal(g, w) {
		return
	}
	var b strings.Builder
	for _, l := range g {
		if i := slices.Index(w, l); i >= 0 {
			w = slices.Delete(w, i, i+1)
		} else {
			fmt.Fprintf(&b, "  unexpected: %q\n", l)
		}
	}
	for _, l := range w {
		fmt.Fprintf(&b, "  missing:    %q\n", l)
	}
	t.Errorf("%s (in any order):\n%s", what, b.String())
}

// dockerInOrder checks that want appear in got in this order, other lines
// between them allowed.
func dockerInOrder(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	i := 0
	for _, l := range got {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("%s: %q not found in order after %q", what, want[i], want[:i])
	}
}

// dockerMatching returns the lines matching pattern.
func dockerMatching(lines []string, pattern string) []string {
	re := regexp.MustCompile(pattern)
	var out []string
	for _, l := range lines {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// checkFormat checks every line of the container's logs: stdout lines are
// each one JSON object with string fields service, stage and logged (last, a
// current timestamp), in valid UTF-8 with no lone surrogate escape; stderr
// lines start with "<ts> dinit: <level>: " or "<ts> <name>/<stage>: ", or,
// in the JSON log format, are each one strict JSON object (checkStderrJSON).
func (c *dockerContainer) checkFormat() {
	c.t.Helper()
	stdout, stderr := c.logs()
	bad := 0
	report := func(format string, a ...any) {
		if bad++; bad <= 10 {
			c.t.Errorf(format, a...)
		}
	}
	checkTime := func(ts, line string) {
		tm, err := time.Parse("2006-01-02T15:04:05.000Z", ts)
		if err != nil || tm.Before(c.started.Add(-time.Minute)) || tm.After(time.Now().Add(time.Minute)) {
			report("timestamp %q is not the current UTC time in %q", ts, line)
		}
	}
	for _, l := range dockerLines(stdout) {
		var fields map[string]any
		if err := json.Unmarshal([]byte(l), &fields); err != nil || !strings.HasPrefix(l, "{") {
			report("stdout line is not one JSON object (%v): %q", err, l)
			continue
		}
		if _, err := parseStrict(l); err != nil {
			report("stdout line: %v: %q", err, l)
		}
		for _, k := range []string{"service", "stage", "logged"} {
			if _, ok := fields[k].(string); !ok {
				report("stdout line without a string %q field: %q", k, l)
			}
		}
		if ts, _ := fields["logged"].(string); ts != "" {
			checkTime(ts, l)
			if !strings.HasSuffix(l, `,"logged":"`+ts+`"}`) && !strings.HasPrefix(l, `{"service":`) {
				report("stdout line does not end with the added fields: %q", l)
			}
		}
	}
	for _, l := range dockerLines(stderr) {
		if c.jsonLog {
			if ts, err := checkStderrJSON(l); err != nil {
				report("stderr line, in the JSON log format: %v: %q", err, l)
			} else {
				checkTime(ts, l)
			}
			continue
		}
		m := dockerErrRe.FindStringSubmatch(l)
		if m == nil {
			report("stderr line without the <ts> <source>: prefix: %q", l)
			continue
		}
		checkTime(m[1], l)
	}
	if bad > 10 {
		c.t.Errorf("... and %d more malformed lines", bad-10)
	}
}
