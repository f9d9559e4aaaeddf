package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dinit status, dinit check and readiness in real containers (SPEC 11): the
// client started by docker exec beside dinit, and Docker's HEALTHCHECK.

// exec runs docker exec with opts and the command argv in the container,
// and returns its outputs and exit code.
func (c *dockerContainer) exec(opts []string, argv ...string) reply {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	args := append(append(append([]string{"exec"}, opts...), c.name), argv...)
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		c.t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return reply{stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
}

// nsIno is the inode of the container's PID namespace, read from the
// host's /proc.
func (c *dockerContainer) nsIno() uint64 {
	c.t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/"+c.inspect("{{.State.Pid}}")+"/ns/pid", &st); err != nil {
		c.t.Fatal(err)
	}
	return st.Ino
}

// stampOf returns the raw timestamp of the first stderr line of the
// container's logs that matches pattern once normalised.
func (c *dockerContainer) stampOf(pattern string) string {
	c.t.Helper()
	_, stderr := c.logs()
	re := regexp.MustCompile(pattern)
	for _, l := range dockerLines(stderr) {
		if re.MatchString(dockerNormalize(l)) {
			return dockerTSRe.FindString(l)
		}
	}
	c.t.Fatalf("no stderr line of the container matches %q", pattern)
	return ""
}

// pidOf returns the PID in the first stderr line of the container matching
// pattern (with a (\d+) group, matched against the raw line).
func (c *dockerContainer) pidOf(pattern string) int {
	c.t.Helper()
	_, stderr := c.logs()
	return dockerPIDOf(c.t, dockerLines(stderr), pattern)
}

// dockerStatusServices: db declares readiness and gets ready after 300 ms,
// logged has a log program, off disables itself, web writes a JSON line.
var dockerStatusServices = []dockerService{
	{name: "db", mode: "notify 3 300ms", files: map[string]string{"notification-fd": "3\n"}},
	{name: "logged", mode: "plain 2 1h", log: "log"},
	{name: "off", mode: "exit 115"},
	{name: "web", mode: "json 2 1h"},
}

// TestDockerStatus: docker exec <c> /dinit status, status --json and check
// beside dinit as the container's PID 1: every row exact (PIDs and times
// from dinit's lines in docker logs). A client of uid 65534 is refused, and
// dinit says so in docker logs.
func TestDockerStatus(t *testing.T) {
	dockerRequire(t)
	c := dockerRun(t, dockerBuild(t, dockerStatusServices...), "-e", dockerInfoLevel)
	c.waitLog("stderr", `^TS dinit: info: db/run: ready$`, 1)
	c.waitLog("stderr", `^TS dinit: info: off/run: PID N finished and disabled itself$`, 1)
	c.waitLog("stdout", `"service":"(web|logged)"`, 2)
	pid := func(label string) int {
		return c.pidOf(`dinit: info: ` + regexp.QuoteMeta(label) + `: running with PID (\d+)$`)
	}
	started := func(label string) string {
		return c.stampOf(`^TS dinit: info: ` + regexp.QuoteMeta(label) + `: running with PID N$`)
	}
	viaLog := len(`{"via":"log","line":"line 1"}`) + 1
	progs := []prog{
		{label: "db/run", pid: pid("db/run"), state: "running", since: started("db/run"), ready: "yes", out: relayed(1, len(`{"msg":"notified"}`)+1), err: relayed(0, 0)},
		{label: "logged/log", pid: pid("logged/log"), state: "running", since: started("logged/log"), out: relayed(1, viaLog), err: relayed(0, 0)},
		{label: "logged/run", pid: pid("logged/run"), state: "running", since: started("logged/run"), ready: "yes", err: relayed(0, 0)},
		{label: "off/run", pid: pid("off/run"), state: "disabled", since: c.stampOf(`^TS dinit: info: off/run: PID N finished and disabled itself$`),
			ready: "no", end: `"status":115`, out: relayed(0, 0), err: relayed(0, 0)},
		{label: "web/run", pid: pid("web/run"), state: "running", since: started("web/run"), ready: "yes", out: relayed(1, len(`{"n":1,"msg":"hello"}`)+1), err: relayed(0, 0)},
	}
	got := c.exec(nil, "/dinit", "status")
	first, _, _ := strings.Cut(got.stdout, "\n")
	m := headRe.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("dinit status: first line %q does not match %q", first, headRe)
	}
	checkDinitSince(t, m[1], c.started, started("db/run"))
	expectStatus(t, got, fmt.Sprintf("dinit: running since %s (PID 1)", m[1]), progs)
	expectStatusJSON(t, c.exec(nil, "/dinit", "status", "--json"), fmt.Sprintf(`{"pid":1,"state":"running","since":%q}`, m[1]), progs)
	expectReply(t, "dinit check", c.exec(nil, "/dinit", "check"), 0, "", "")

	refused := c.exec([]string{"--user", "65534:65534"}, "/dinit", "check")
	expectReply(t, "dinit check as uid 65534", refused, 1, "", fmt.Sprintf(
		"dinit check: dinit at @dinit-status-%d: closed the connection without answering (too many clients, or a uid that may not ask)\n", c.nsIno()))
	c.waitLog("stderr", `^TS dinit: warning: status: refused a client of uid 65534 \(PID N\)$`, 1)

	c.stop()
	c.expectExit(0)
	_, stderr := c.normLogs()
	if n := len(dockerMatching(stderr, `status: `)); n != 1 {
		t.Errorf("%d lines about the status socket, want the one refusal", n)
	}
	c.checkFormat()
}

// TestDockerStatusUnderInit: under docker run --init, dinit is not PID 1 but
// a subreaper under Docker's init, and docker exec's client still finds it
// (the one subreaper dinit of the container, in /proc/net/unix).
func TestDockerStatusUnderInit(t *testing.T) {
	dockerRequire(t)
	c := dockerRun(t, dockerBuild(t, dockerStatusServices...), "--init", "-e", dockerInfoLevel)
	c.waitLog("stderr", `^TS dinit: info: db/run: ready$`, 1)
	self := c.pidOf(`dinit: info: not running as a PID 1, but PID (\d+), registering as a process subreaper$`)
	got := c.exec(nil, "/dinit", "status", "--json")
	var doc statusDoc
	if err := json.Unmarshal([]byte(got.stdout), &doc); err != nil || got.code != 0 {
		t.Fatalf("dinit status --json: exit %d, %v: %q %q", got.code, err, got.stdout, got.stderr)
	}
	if doc.Dinit.PID != self || doc.Dinit.State != "running" || len(doc.Programs) != 5 {
		t.Errorf("dinit status --json: dinit %+v and %d programs, want PID %d, running, and 5", doc.Dinit, len(doc.Programs), self)
	}
	got = c.exec(nil, "/dinit", "status")
	if first, _, _ := strings.Cut(got.stdout, "\n"); got.code != 0 || !strings.HasSuffix(first, fmt.Sprintf(" (PID %d)", self)) {
		t.Errorf("dinit status: exit %d, first line %q, want PID %d", got.code, first, self)
	}
	expectReply(t, "dinit check", c.exec(nil, "/dinit", "check"), 0, "", "")
	c.stop()
	c.expectExit(0)
}

// TestDockerStatusOff: with DINIT_STATUS=0, docker exec's client finds no
// dinit, says which name it tried, and exits 1.
func TestDockerStatusOff(t *testing.T) {
	dockerRequire(t)
	c := dockerRun(t, dockerBuild(t, dockerService{name: "web", mode: "json 2 1h"}), "-e", "DINIT_STATUS=0")
	c.waitLog("stdout", `"service":"web"`, 1)
	ino := c.nsIno()
	expectReply(t, "dinit check", c.exec(nil, "/dinit", "check"), 1, "", fmt.Sprintf(
		"dinit check: no dinit answers in this PID namespace (tried @dinit-status-%d): connection refused\n", ino))
	c.stop()
	c.expectExit(0)
}

// dockerHealth is .State.Health of docker inspect.
type dockerHealth struct {
	Status        string
	FailingStreak int
	Log           []struct {
		ExitCode int
		Output   string
	}
}

func (c *dockerContainer) health() dockerHealth {
	c.t.Helper()
	var h dockerHealth
	raw := c.inspect("{{json .State.Health}}")
	if err := json.Unmarshal([]byte(raw), &h); err != nil {
		c.t.Fatalf("docker inspect .State.Health: %v: %q", err, raw)
	}
	return h
}

// waitHealth polls the container's health status until it is want (within
// dockerWaitTimeout), and returns every status seen, in order, repeats
// left out.
func (c *dockerContainer) waitHealth(want string) []string {
	c.t.Helper()
	var seen []string
	deadline := time.Now().Add(dockerWaitTimeout)
	for {
		s := c.inspect("{{.State.Health.Status}}")
		if len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		if s == want {
			return seen
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("health status after %v: %q, want %s (seen %q)", dockerWaitTimeout, s, want, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDockerHealthcheck: an image whose HEALTHCHECK is dinit check (exec
// form: a FROM scratch image has no shell). A service that declares
// readiness and gets ready after 2 s takes the container from starting to
// healthy; one that never gets ready makes it unhealthy, with check's line
// in the health log (there the image's interval and retries are overridden
// by docker run's --health-* options, its command kept).
func TestDockerHealthcheck(t *testing.T) {
	dockerRequire(t)
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		image := dockerBuildWith(t,
			`HEALTHCHECK --interval=1s --timeout=2s --start-period=30s --retries=2 CMD ["/dinit", "check"]`+"\n",
			dockerService{name: "web", mode: "notify 3 2s", files: map[string]string{"notification-fd": "3\n"}},
			dockerService{name: "db", mode: "sleep"})
		c := dockerRun(t, image, "-e", dockerInfoLevel)
		seen := c.waitHealth("healthy")
		if !slices.Equal(seen, []string{"starting", "healthy"}) {
			t.Errorf("health statuses %q, want starting then healthy", seen)
		}
		h := c.health()
		failed := 0
		for i, e := range h.Log {
			switch {
			case e.ExitCode == 1 && e.Output == "web/run: not ready (notification-fd 3)\n":
				failed++
			case e.ExitCode == 0 && e.Output == "" && i == len(h.Log)-1:
			default:
				t.Errorf("health log entry %d: exit %d, output %q", i, e.ExitCode, e.Output)
			}
		}
		t.Logf("%d checks said not ready before the healthy one", failed)
		c.waitLog("stderr", `^TS dinit: info: web/run: ready$`, 1)
		c.stop()
		c.expectExit(0)
	})
	t.Run("unhealthy", func(t *testing.T) {
		t.Parallel()
		image := dockerBuildWith(t,
			`HEALTHCHECK --interval=1m --timeout=2s --retries=5 CMD ["/dinit", "check"]`+"\n",
			dockerService{name: "web", mode: "sleep", files: map[string]string{"notification-fd": "3\n"}})
		c := dockerRun(t, image, "--health-interval=1s", "--health-retries=2")
		seen := c.waitHealth("unhealthy")
		if !slices.Equal(seen, []string{"starting", "unhealthy"}) {
			t.Errorf("health statuses %q, want starting then unhealthy", seen)
		}
		h := c.health()
		if len(h.Log) < 2 || h.FailingStreak < 2 {
			t.Fatalf("health: %+v, want at least 2 failing checks", h)
		}
		for i, e := range h.Log {
			if e.ExitCode != 1 || e.Output != "web/run: not ready (notification-fd 3)\n" {
				t.Errorf("health log entry %d: exit %d, output %q; want 1 and the not-ready line", i, e.ExitCode, e.Output)
			}
		}
		if !c.running() {
			t.Errorf("the container stopped: unhealthy is Docker's verdict, dinit goes on")
		}
		c.stop()
		c.expectExit(0)
	})
}
