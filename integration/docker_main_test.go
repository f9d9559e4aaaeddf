package integration

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// The main program in a real container: `ENTRYPOINT ["/dinit"]` with the
// program as CMD (here, the arguments of docker run).

func TestDockerMainProgram(t *testing.T) {
	dockerRequire(t)
	bare := dockerBuild(t) // /dinit and /testsvc, no /etc/service
	t.Run("exit codes", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			argv   []string
			status int
			stderr string // its last line
		}{
			{[]string{"/testsvc", "exit", "0"}, 0, dockerWarn("shutting down: testsvc/run: PID N finished with status 0")},
			{[]string{"/testsvc", "exit", "7"}, 7, dockerWarn("dinit exiting with status 7")},
			{[]string{"--", "/testsvc", "exit", "3"}, 3, dockerWarn("dinit exiting with status 3")},
			{[]string{"/nosuch"}, 127, `TS dinit: error: main program "/nosuch": not found`},
			{[]string{"nosuch"}, 127, `TS dinit: error: main program "nosuch": not found in PATH`},
			{[]string{"/"}, 126, `TS dinit: error: main program "/": not executable: is a directory`},
		}
		for _, c := range cases {
			t.Run(strings.Join(c.argv, " "), func(t *testing.T) {
				t.Parallel()
				ct := dockerRunCmd(t, nil, bare, c.argv)
				ct.expectExit(c.status)
				_, stderr := ct.normLogs()
				if len(stderr) == 0 || stderr[len(stderr)-1] != c.stderr {
					t.Errorf("stderr %q, want last line %q", stderr, c.stderr)
				}
			})
		}
	})
	t.Run("docker stop, the program dies of TERM", func(t *testing.T) {
		t.Parallel()
		c := dockerRunCmd(t, []string{"-e", dockerInfoLevel}, bare, []string{"/testsvc", "sleep"})
		c.waitLog("stderr", `testsvc/run: running with PID N`, 1)
		c.stop()
		c.expectExit(143)
		_, stderr := c.normLogs()
		dockerInOrder(t, "stderr", stderr,
			dockerInfo("got signal 15, terminating services"),
			dockerWarn("shutting down: got signal 15"),
			dockerInfo("testsvc/run: sending SIGTERM to PID N"),
			dockerInfo("testsvc/run: PID N finished with signal 15"),
			dockerWarn("dinit exiting with status 143"))
	})
	t.Run("docker stop, the program exits 0 on TERM", func(t *testing.T) {
		t.Parallel()
		c := dockerRunCmd(t, nil, bare, []string{"/testsvc", "trap"})
		c.waitLog("stdout", `"msg":"ready"`, 1)
		c.stop()
		c.expectExit(0)
		stdout, _ := c.normLogs()
		dockerSameLines(t, "stdout", stdout, []string{
			dockerJSON(`{"msg":"ready"}`, "testsvc", "run"),
			dockerJSON(`{"signal":"SIGTERM"}`, "testsvc", "run"),
			dockerJSON(`{"msg":"bye"}`, "testsvc", "run"),
		})
	})
	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, code := dockerRunStdin(t, bare, "hi\nthere\n", "/testsvc", "log")
		if code != 0 {
			t.Fatalf("exit code %d, stderr %q", code, stderr)
		}
		dockerSameLines(t, "stdout", dockerLines(dockerNormalize(stdout)), []string{
			dockerJSON(`{"via":"log","line":"hi"}`, "testsvc", "run"),
			dockerJSON(`{"via":"log","line":"there"}`, "testsvc", "run"),
		})
	})
	t.Run("services alongside", func(t *testing.T) {
		t.Parallel()
		image := dockerBuild(t,
			dockerService{name: "fail", mode: "exit 5"},
			dockerService{name: "trap", mode: "trap"},
		)
		c := dockerRunCmd(t, []string{"-e", dockerInfoLevel}, image, []string{"/testsvc", "sleep"})
		c.expectExit(143)
		_, stderr := c.normLogs()
		dockerInOrder(t, "stderr", stderr,
			dockerInfo("fail/run: PID N finished with status 5"),
			dockerWarn("shutting down: fail/run: PID N finished with status 5"),
			dockerInfo("testsvc/run: sending SIGTERM to PID N"),
			dockerWarn("dinit exiting with status 143"))
		// trap may not have its handlers yet (fail ends at once): its end
		// is either; that it was stopped is what counts.
		dockerInOrder(t, "stderr", stderr, dockerInfo("trap/run: sending SIGTERM to PID N"))
	})
}

// dockerRunStdin runs `docker run --rm -i image argv...` with stdin and
// returns what the client printed and the exit code.
func dockerRunStdin(t *testing.T, image, stdin string, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	name := dockerUnique(t, "dinit-dockertest-")
	args := append([]string{"run", "--rm", "-i", "--name", name, "--log-driver", "json-file", image}, argv...)
	cmd := exec.CommandContext(ctx, "docker", args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("docker %v: %v: %s", args, err, errb.String())
	}
	return out.String(), errb.String(), code
}
