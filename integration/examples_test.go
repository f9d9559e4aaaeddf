package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// The examples of examples/: make run's tree, and the distroless and single
// Dockerfiles built as written (examples/README.md). examples/debian is not
// built (its base image needs a registry); examples/kubernetes is read by
// TestReadmeKubernetes.

// TestExamplesMakeRun: dinit started as `make run` starts it (the recipe is
// read from the Makefile), on examples/services, stopped with Ctrl-C's
// SIGINT: every service's lines, the terminate program, exit 0.
func TestExamplesMakeRun(t *testing.T) {
	t.Parallel()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile := repoFile(t, "Makefile")
	const recipe = "\tDINIT_DIR=examples/services DINIT_LOG_LEVEL=info ./bin/dinit\n"
	if !regexp.MustCompile(`(?m)^run: build ## .*\n` + regexp.QuoteMeta(recipe)).Match(makefile) {
		t.Fatalf("the Makefile's run target is not `build` then %q: update this test", recipe)
	}
	d := start(t, setup{mode: subreaper, dir: filepath.Join(root, "examples", "services"), env: infoLevel})
	d.waitStdout(`^\{"msg":"tick","n":1,"service":"json-app"`)
	d.waitStdout(`^\{"msg":"oneshot done","service":"oneshot"`)
	d.waitStdout(`^\{"via":"log","line":"raw event 1","service":"with-log"`)
	d.waitStdout(`^\{"msg":"working","service":"with-terminate"`)
	d.waitStderr(`^TS dinit: warning: plain-app/run: not JSON stdout: plain line 1$`)
	d.waitStderr(`^TS dinit: info: oneshot/run: PID \d+ finished and disabled itself$`)
	d.signal(syscall.SIGINT)
	d.expectExit(0)

	pidRe := regexp.MustCompile(`"pid":\d+|PID \d+`)
	var out []string
	for _, l := range d.outLines() {
		if !strings.Contains(l, `"msg":"tick"`) && !strings.Contains(l, `"line":"raw event`) && !strings.Contains(l, `"msg":"working"`) {
			out = append(out, pidRe.ReplaceAllString(l, "PID"))
		}
	}
	d.expectSameLines("stdout (but the repeated lines)", out, []string{
		jsonOut(`{"msg":"oneshot done"}`, "oneshot", "run"),
		jsonOut(`{"msg":"stopping"}`, "json-app", "run"),
		jsonOut(`{"msg":"terminating",PID}`, "with-terminate", "term"),
		jsonOut(`{"msg":"got TERM from terminate, cleaning up"}`, "with-terminate", "run"),
	})
	d.expectInOrder("stderr", d.errLines(),
		svc("plain-app", "run", "plain-app starting"),
		info("got signal 2, terminating services"),
		warn("shutting down: got signal 2"),
		info("dinit exiting with status 0"))
	for _, l := range d.errLines() {
		if strings.Contains(l, "finished with") && !strings.Contains(l, "finished with status 0") {
			t.Errorf("a program did not exit 0 on its SIGTERM: %q", l)
		}
	}
}

// examplesContext lays out a build context as `make release testsvc` (and,
// for single, `cp /bin/busybox bin/busybox`) leave the repository: the
// static binaries of this run in dist/ and bin/, and examples/ copied.
func examplesContext(t *testing.T, busybox bool) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dinit, testsvc := dockerBinaries(t)
	files := map[string]string{
		"dist/dinit-linux-" + dockerGate.arch + "!": string(dinit),
		"bin/testsvc!": string(testsvc),
	}
	if busybox {
		bb, err := staticBusybox()
		if err != nil {
			dockerUnavailable(t, err.Error())
		}
		data, err := os.ReadFile(bb)
		if err != nil {
			t.Fatal(err)
		}
		files["bin/busybox!"] = string(data)
	}
	err = filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if info, _ := d.Info(); info != nil && info.Mode()&0o111 != 0 {
			rel += "!"
		}
		files[rel] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := readmeContext(t, files)
	if err := os.Remove(filepath.Join(dir, "dinit")); err != nil { // readmeContext's, not wanted here
		t.Fatal(err)
	}
	return dir
}

// examplesBuild runs the example's `docker build -f examples/NAME/Dockerfile`
// in the context, for the engine's architecture.
func examplesBuild(t *testing.T, dir, name string) string {
	t.Helper()
	image := dockerUnique(t, "dinit-example-"+name+":")
	t.Cleanup(func() { _, _ = dockerOutput("rmi", "-f", image) })
	dockerCLI(t, "build", "-q", "--build-arg", "TARGETARCH="+dockerGate.arch, "-f", filepath.Join(dir, "examples", name, "Dockerfile"), "-t", image, dir)
	return image
}

// TestExamplesDistroless: examples/distroless as examples/README.md runs it:
// docker stop ends it with 0; docker kill -s HUP with 3, since the services
// that do not handle HUP die of it (the trap service prints it).
func TestExamplesDistroless(t *testing.T) {
	dockerRequire(t)
	image := examplesBuild(t, examplesContext(t, false), "distroless")
	running := func(t *testing.T) *dockerContainer {
		c := dockerRun(t, image)
		c.waitLog("stdout", `^\{"msg":"ready","service":"trap"`, 1)
		c.waitLog("stdout", `^\{"msg":"ready","service":"with-terminate"`, 1)
		c.waitLog("stdout", `"service":"json-app"`, 1)
		c.waitLog("stdout", `^\{"via":"log","line":"line 1","service":"with-log"`, 1)
		c.waitLog("stderr", `^TS dinit: warning: plain-app/run: not JSON stdout: line 1$`, 1)
		return c
	}
	t.Run("docker stop", func(t *testing.T) {
		t.Parallel()
		c := running(t)
		c.stop()
		c.expectExit(0)
		c.checkFormat()
	})
	t.Run("docker kill -s HUP", func(t *testing.T) {
		t.Parallel()
		c := running(t)
		c.kill("HUP")
		c.expectExit(3)
		stdout, stderr := c.normLogs()
		if got := dockerMatching(stdout, `^\{"signal":"SIGHUP","service":"trap"`); len(got) != 1 {
			t.Errorf("trap's SIGHUP line: %q", got)
		}
		reason := dockerMatching(stderr, `^TS dinit: warning: shutting down: `)
		if len(reason) != 1 || !regexp.MustCompile(`: (json-app|plain-app|with-log|with-terminate)/run: PID N finished with signal 1$`).MatchString(reason[0]) {
			t.Errorf("the shutdown's reason: %q, want a service that died of HUP", reason)
		}
		c.checkFormat()
	})
}

// TestExamplesSingle: examples/single as examples/README.md runs it: the
// CMD (testsvc trap) with the ticker service behind it, stopped by docker
// stop (the program exits 0 on TERM: so does the container); and a shell
// (busybox) as the main program, whose exit code is the container's (no
// terminal here for docker run -it: the shell reads its commands from -c).
func TestExamplesSingle(t *testing.T) {
	dockerRequire(t)
	image := examplesBuild(t, examplesContext(t, true), "single")
	t.Run("CMD", func(t *testing.T) {
		t.Parallel()
		c := dockerRun(t, image)
		c.waitLog("stdout", `^\{"msg":"ready","service":"testsvc","stage":"run"`, 1)
		c.waitLog("stdout", `^\{"n":1,"msg":"hello","service":"ticker"`, 1)
		c.stop()
		c.expectExit(0)
		stdout, _ := c.normLogs()
		dockerInOrder(t, "stdout", stdout,
			dockerJSON(`{"signal":"SIGTERM"}`, "testsvc", "run"),
			dockerJSON(`{"msg":"bye"}`, "testsvc", "run"))
	})
	t.Run("shell", func(t *testing.T) {
		t.Parallel()
		_, stderr, code := dockerRunStdin(t, image, "", "/bin/sh", "-c", "exit 5")
		if code != 5 {
			t.Errorf("docker run -i %s /bin/sh -c 'exit 5': exit %d, stderr %q", image, code, stderr)
		}
	})
}
