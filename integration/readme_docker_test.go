package integration

import (
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The README's examples on the local Docker engine, as a new user would
// run them: its Dockerfiles and run scripts as written, its transcripts
// played back (readme_run_test.go says what is changed in a command, and
// why). What is not run: the Quick start's first step (make release: .ci/run
// runs it; the build context gets this run's static binary as dinit), curl
// from the host (no port is published), docker run -it (no terminal here:
// TestMainProgramTerminal covers it without Docker).

// TestReadmeQuickStart: the Quick start, then the jq recipes on its
// container, its HEALTHCHECK, and the FAQ's docker exec transcript in it.
func TestReadmeQuickStart(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	requireJQ(t)
	s := newSession(t, readmeContext(t, quickstartFiles(t)), "myapp")
	s.play(parseTranscript(t, readmeBlockByID(t, "quickstart/transcript")))
	image := s.name("myapp")
	c := s.container("myapp")

	t.Run("jq service", func(t *testing.T) {
		got := dockerLines(jqRecipe(t, c, readmeRecipe(t, "jq/service")))
		want := []string{`{"msg":"listening","port":8080,"service":"web","stage":"run","logged":"TS"}`}
		if norm := readmeLines(strings.Join(got, "\n")); !slices.Equal(norm, want) {
			t.Errorf("jq/service: %q, want %q", norm, want)
		}
	})
	t.Run("jq mixed", func(t *testing.T) {
		got := readmeLines(jqRecipe(t, c, readmeRecipe(t, "jq/mixed")))
		dockerSameLines(t, "jq/mixed", got, []string{
			`{"msg":"listening","port":8080,"service":"web","stage":"run","logged":"TS"}`,
			`{"msg":"TS setup/run: wrote /srv/www/index.html"}`,
			`{"msg":"TS dinit: warning: shutting down: got signal 15"}`,
		})
	})
	t.Run("jq shutdown", func(t *testing.T) {
		t.Parallel()
		j := dockerRun(t, image, "-e", "DINIT_LOG_FORMAT=json")
		expectProbe(t, j, []string{"/dinit", "check"})
		j.stop()
		j.expectExit(0)
		if got := jqRecipe(t, j, readmeRecipe(t, "jq/shutdown")); got != "got signal 15\n" {
			t.Errorf("jq/shutdown: %q, want %q", got, "got signal 15\n")
		}
	})
	t.Run("healthcheck", func(t *testing.T) {
		t.Parallel()
		// The image's HEALTHCHECK command as written; its 10 s interval
		// shortened by docker run's option.
		h := dockerRun(t, image, "--health-interval=1s")
		if seen := h.waitHealth("healthy"); seen[len(seen)-1] != "healthy" {
			t.Errorf("health statuses %q", seen)
		}
		h.stop()
		h.expectExit(0)
	})
	t.Run("faq exec", func(t *testing.T) {
		t.Parallel()
		f := newSession(t, t.TempDir(), "myapp")
		dockerCLI(t, "run", "-d", "--label", f.label, "--name", f.name("myapp"), image)
		f.play(parseTranscript(t, readmeBlockByID(t, "faq/exec/transcript")))
		fc := f.container("myapp")
		fc.stop()
		fc.expectExit(0)
	})
}

// readmeRecipe is a jq recipe of the README as jqRecipe runs it: the
// container's name as $1 where the README says c.
func readmeRecipe(t *testing.T, id string) string {
	t.Helper()
	recipe := strings.TrimSpace(readmeBlockByID(t, id))
	out := strings.Replace(recipe, "docker logs c ", `docker logs "$1" `, 1)
	if out == recipe {
		t.Fatalf("recipe %s does not start with `docker logs c `: %q", id, recipe)
	}
	return out
}

// expectProbe runs argv in the container until it exits 0 with no output
// (dinit check while services start).
func expectProbe(t *testing.T, c *dockerContainer, argv []string) {
	t.Helper()
	s := &session{t: t, names: map[string]string{}}
	s.play([]step{{cmd: "docker exec " + c.name + " " + strings.Join(argv, " ")}})
}

// TestReadmeSingleProgram: the single program's Dockerfile and transcript,
// then the FAQ's HUP transcript with its image.
func TestReadmeSingleProgram(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	s := newSession(t, readmeContext(t, map[string]string{"Dockerfile": readmeBlockByID(t, "single/Dockerfile")}), "mysite")
	s.play(parseTranscript(t, readmeBlockByID(t, "single/transcript")))
	t.Run("faq hup", func(t *testing.T) {
		h := newSession(t, t.TempDir(), "hup")
		h.names["mysite"] = s.name("mysite")
		h.play(parseTranscript(t, readmeBlockByID(t, "faq/hup/transcript")))
	})
}

// TestReadmeServices: the service with a log program and a terminate
// program, in the Quick start's Dockerfile.
func TestReadmeServices(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	files := map[string]string{
		"Dockerfile":             readmeBlockByID(t, "quickstart/Dockerfile"),
		"services/app/run":       readmeBlockByID(t, "services/app/run"),
		"services/app/log/run":   readmeBlockByID(t, "services/app/log/run"),
		"services/app/terminate": readmeBlockByID(t, "services/app/terminate"),
	}
	s := newSession(t, readmeContext(t, files), "demo")
	s.play(parseTranscript(t, readmeBlockByID(t, "services/transcript")))
	s.container("demo").expectExit(0)
}

// TestReadmeKillTimeout: with DINIT_KILL_TIMEOUT=30 a helper that ignores
// SIGTERM makes docker stop SIGKILL the container (137); with the image's
// 5, dinit kills it and exits 0. The README's worker is added to the Quick
// start's services (the README says to chmod +x it: written 0755 here).
// Takes 10 s: Docker's own stop timeout.
func TestReadmeKillTimeout(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	files := quickstartFiles(t)
	for _, name := range []string{"services/setup/run", "services/web/run"} {
		files[name+"!"] = files[name] // the Quick start made them executable
		delete(files, name)
	}
	files["services/worker/run!"] = readmeBlockByID(t, "killtimeout/services/worker/run")
	s := newSession(t, readmeContext(t, files), "myapp", "slow", "quick")
	s.play(parseTranscript(t, readmeBlockByID(t, "killtimeout/transcript")))
	// What the README says docker logs has (at the default level, the
	// only lines after the shutdown's reason are warnings).
	_, stderr := s.container("quick").normLogs()
	dockerInOrder(t, "stderr of quick", stderr,
		dockerWarn("shutting down: got signal 15"),
		dockerWarn("sleep/N: terminating reparented child process with PID N: sleep 100000"))
}

// TestReadmeHUPStopsServices: what the README says of a service that does
// not handle HUP: docker kill -s HUP stops the container with 3. The
// Quick start's Dockerfile with the kill timeout's worker as only service
// (its run is exec sleep: no HUP handler).
func TestReadmeHUPStopsServices(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	image := readmeBuild(t, map[string]string{
		"Dockerfile":           readmeBlockByID(t, "quickstart/Dockerfile"),
		"services/worker/run!": readmeBlockByID(t, "killtimeout/services/worker/run"),
	})
	c := dockerRun(t, image)
	expectProbe(t, c, []string{"/dinit", "check"})
	c.kill("HUP")
	c.expectExit(3)
	_, stderr := c.normLogs()
	dockerSameLines(t, "stderr", stderr, []string{
		dockerWarn("shutting down: worker/run: PID N finished with signal 1"),
		dockerWarn("sleep/N: terminating reparented child process with PID N: sleep 100000"),
		dockerExiting(3),
	})
}

// readmeBuild builds a context of files (see readmeContext) into an image
// removed when the test ends.
func readmeBuild(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := readmeContext(t, files)
	image := dockerUnique(t, "dinit-readme:")
	t.Cleanup(func() { _, _ = dockerOutput("rmi", "-f", image) })
	dockerCLI(t, "build", "-q", "-t", image, dir)
	return image
}

// TestReadmeShebang: the FAQ's "no such file or directory" for a run whose
// #! line names a missing interpreter (the README shows the image's run):
// an image of the Quick start's Dockerfile whose one service's run starts
// with #!/bin/bash (busybox has no bash); and the same with CRLF line ends.
func TestReadmeShebang(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	steps := parseTranscript(t, readmeBlockByID(t, "faq/enoent/transcript"))
	if len(steps) != 1 || len(steps[0].want) != 3 {
		t.Fatalf("faq/enoent: want one command and its three lines, got %q", steps)
	}
	want := readmeLines(strings.Join(steps[0].want, "\n"))
	base, _, _ := strings.Cut(want[0], " (check the #! line")
	for _, tc := range []struct {
		name, run, hint string
	}{
		{"bash", "#!/bin/bash\necho hi\n", strings.TrimPrefix(want[0], base)},
		{"crlf", "#!/bin/sh\r\necho hi\r\n", " (check the #! line: CRLF line ending)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, readmeContext(t, map[string]string{
				"Dockerfile":        readmeBlockByID(t, "quickstart/Dockerfile"),
				"services/web/run!": tc.run,
			}), "bashless")
			s.play([]step{{cmd: "docker build -t bashless ."}})
			out, errOut, err := s.shell(s.rename("docker run --rm --label " + s.label + " bashless"))
			if code := exitCode(err); code != 1 || out != "" {
				t.Fatalf("exit %d (%v), stdout %q; want 1 and nothing", code, err, out)
			}
			got := readmeLines(errOut)
			if !slices.Equal(got, append([]string{base + tc.hint}, want[1:]...)) {
				t.Errorf("stderr:\n%s", diffLines(got, append([]string{base + tc.hint}, want[1:]...)))
			}
		})
	}
}

// exitCode is the exit status of a command's error (0 for nil, -1 when it
// did not run to an exit).
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// TestReadmeHealthcheck: the README's HEALTHCHECK Dockerfile for an image
// with no shell, its one service a static program (testsvc) that gets ready
// after a second (notification-fd 3): starting, then healthy. The interval
// is shortened by docker run's option; the command is the image's.
func TestReadmeHealthcheck(t *testing.T) {
	dockerRequire(t)
	_, testsvc := dockerBinaries(t)
	image := readmeBuild(t, map[string]string{
		"Dockerfile":                   readmeBlockByID(t, "healthcheck/Dockerfile"),
		"services/web/run!":            string(testsvc),
		"services/web/mode":            "notify 3 1s\n",
		"services/web/notification-fd": "3\n",
		"services/other/run!":          string(testsvc),
		"services/other/mode":          "sleep\n",
	})
	c := dockerRun(t, image, "--health-interval=1s")
	if seen := c.waitHealth("healthy"); !slices.Equal(seen, []string{"starting", "healthy"}) {
		t.Errorf("health statuses %q, want starting then healthy", seen)
	}
	var cfg struct{ Test []string }
	if err := json.Unmarshal([]byte(c.inspect("{{json .Config.Healthcheck}}")), &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Test, []string{"CMD", "/dinit", "check"}) {
		t.Errorf("the image's health check is %q, want the exec form of /dinit check", cfg.Test)
	}
	c.stop()
	c.expectExit(0)
}

// TestReadmeInstallImage: make image's Dockerfile (the repository's, as
// written, with this run's static binary where make release puts it) and
// the README's COPY --from=dinit:dev, with the image's name in place of
// dinit:dev (the tag of a user's make image must not be touched here).
func TestReadmeInstallImage(t *testing.T) {
	dockerRequire(t)
	readmeRequireBase(t)
	rootDockerfile := repoFile(t, "Dockerfile")
	if dockerGate.arch != "amd64" {
		// The classic builder leaves TARGETARCH at the Dockerfile's default.
		t.Skipf("the root Dockerfile's TARGETARCH defaults to amd64; the engine is %s", dockerGate.arch)
	}
	dinit, _ := dockerBinaries(t)
	dinitImage := readmeBuild(t, map[string]string{
		"Dockerfile":              string(rootDockerfile),
		"dist/dinit-linux-amd64!": string(dinit),
	})
	block := readmeBlockByID(t, "install/image")
	if !strings.Contains(block, "--from=dinit:dev ") {
		t.Fatalf("install/image does not copy from dinit:dev:\n%s", block)
	}
	files := quickstartFiles(t)
	files["Dockerfile"] = strings.Replace(block, "--from=dinit:dev ", "--from="+dinitImage+" ", 1)
	for _, name := range []string{"services/setup/run", "services/web/run"} {
		files[name+"!"] = files[name]
		delete(files, name)
	}
	c := dockerRun(t, readmeBuild(t, files))
	expectProbe(t, c, []string{"/dinit", "check"})
	c.stop()
	c.expectExit(0)
	if out := c.inspect("{{.Config.Env}}"); !strings.Contains(out, "DINIT_KILL_TIMEOUT=5") {
		t.Errorf("the image's environment %s lacks DINIT_KILL_TIMEOUT=5", out)
	}
}
