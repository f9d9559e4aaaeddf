package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
)

// Logs that pipelines can trust, in a real container: with
// DINIT_LOG_FORMAT=json and DINIT_JSON_STDOUT=wrap every line of `docker
// logs`, stdout and stderr, is one strict JSON object, and the jq recipes of
// the README work on them as they are (run when jq is installed; under
// CI=true it must be).

// dockerWriterSource is the run program of the service web: it writes
// out.bin to stdout and err.bin to stderr as they are, then waits for
// SIGTERM and exits 0. Images are FROM scratch (no shell, no cat): it is
// built static, as testsvc is.
const dockerWriterSource = `package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	out, err := os.ReadFile("out.bin")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	errs, _ := os.ReadFile("err.bin")
	os.Stdout.Write(out)
	os.Stderr.Write(errs)
	<-sig
}
`

var dockerWriterBin struct {
	once sync.Once
	bin  []byte
	err  error
}

// dockerWriter returns the writer program, built once per run for the
// engine's architecture.
func dockerWriter(t *testing.T) []byte {
	t.Helper()
	dockerWriterBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "dinit-docker-writer-")
		if err != nil {
			dockerWriterBin.err = err
			return
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(dockerWriterSource), 0o644); err != nil {
			dockerWriterBin.err = err
			return
		}
		cmd := exec.Command(goTool(), "build", "-trimpath", "-ldflags=-s -w", "-o", "writer", "main.go")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+dockerGate.arch, "GOFLAGS=", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			dockerWriterBin.err = fmt.Errorf("static build of the writer for linux/%s: %v\n%s", dockerGate.arch, err, out)
			return
		}
		dockerWriterBin.bin, dockerWriterBin.err = os.ReadFile(filepath.Join(dir, "writer"))
	})
	if dockerWriterBin.err != nil {
		t.Fatal(dockerWriterBin.err)
	}
	return dockerWriterBin.bin
}

// dockerLogsContent is what web writes: objects, plain text, invalid UTF-8,
// control characters, lone surrogate escapes, JavaScript line separators,
// stderr lines, last lines without a newline. No overlong line: docker
// splits lines at 16 KiB and `docker logs 2>&1` may then put a stderr line
// between the parts of a stdout line, whatever dinit does.
var dockerLogsContent = content{
	stdout: []outLine{
		{in: `{"id":1,"text":"hello"}`, obj: `{"id":1,"text":"hello"}`},
		{in: `{}`, obj: `{}`},
		{in: `plain text line`},
		{in: "bad \xff\xfe utf8"},
		{in: "{\"bad\":\"x\xffy\"}", obj: "{\"bad\":\"x\ufffdy\"}"},
		{in: "ctl \x01\x1b[31mred\x1b[0m tab\there"},
		{in: "sep \u2028 and \u2029"},
		{in: `{"lone":"\ud800","rev":"\udc00\ud800"}`, obj: `{"lone":"\ufffd","rev":"\ufffd\ufffd"}`},
		{in: `{"pair":"\ud83d\ude00","esc":"\\ud800"}`, obj: `{"pair":"\ud83d\ude00","esc":"\\ud800"}`},
		{in: `[1,2,3]`},
		{in: `last words`}, // no newline
	},
	stderr: []string{"err plain", "err bad \xff utf8", `{"json":"on stderr"}`, "err last"},
}

// dockerLogsImage builds the image: web (the writer), and testsvc services
// that write an object (json), a plain line (plain), a stderr line (stderr)
// and objects on TERM (trap).
func dockerLogsImage(t *testing.T) string {
	t.Helper()
	files := dockerLogsContent.files()
	return dockerBuild(t,
		dockerService{name: "web", mode: "writer", run: dockerWriter(t), files: map[string]string{
			"out.bin": files["web/out.bin"].data,
			"err.bin": files["web/err.bin"].data,
		}},
		dockerService{name: "json", mode: "json 2 1h"},
		dockerService{name: "plain", mode: "plain 2 1h"},
		dockerService{name: "stderr", mode: "stderr 2 1h"},
		dockerService{name: "trap", mode: "trap"},
	)
}

// dockerLogsRun starts a container of image with env, waits until every
// service has written, stops it and checks its exit code (0).
func dockerLogsRun(t *testing.T, image string, env ...string) *dockerContainer {
	t.Helper()
	var opts []string
	for _, e := range env {
		opts = append(opts, "-e", e)
	}
	c := dockerRun(t, image, opts...)
	wrap := slices.Contains(env, "DINIT_JSON_STDOUT=wrap")
	jsonLog := slices.Contains(env, "DINIT_LOG_FORMAT=json")
	c.waitLog("stdout", `"service":"json"`, 1)
	c.waitLog("stdout", `"service":"trap"`, 1)
	// web's lines, but the last of each stream (no newline: it comes at EOF).
	objects, others := 0, 0
	for _, l := range dockerLogsContent.stdout[:len(dockerLogsContent.stdout)-1] {
		if l.obj != "" {
			objects++
		} else {
			others++
		}
	}
	switch {
	case wrap:
		c.waitLog("stdout", `"service":"web"`, objects+others)
		c.waitLog("stdout", `"msg":"line 1","service":"plain"`, 1)
	case jsonLog:
		c.waitLog("stdout", `"service":"web"`, objects)
		c.waitLog("stderr", `"service":"web".*"stream":"stdout"`, others)
		c.waitLog("stderr", `"msg":"line 1","service":"plain"`, 1)
	default:
		c.waitLog("stdout", `"service":"web"`, objects)
		c.waitLog("stderr", `^TS dinit: warning: web/run: not JSON stdout: `, others)
		c.waitLog("stderr", `^TS dinit: warning: plain/run: not JSON stdout: line 1$`, 1)
	}
	errPattern := `^TS web/run: `
	if jsonLog {
		errPattern = `"service":"web".*"stream":"stderr"`
	}
	c.waitLog("stderr", errPattern, len(dockerLogsContent.stderr)-1)
	c.waitLog("stderr", `stderr/run: err 1|"msg":"err 1","service":"stderr"`, 1)
	c.stop()
	c.expectExit(0)
	c.checkFormat()
	return c
}

// TestDockerLogsJSON: DINIT_LOG_FORMAT=json and DINIT_JSON_STDOUT=wrap in a
// container: docker logs has every line of web where it belongs (decoded),
// our messages as the exact events, every line strict JSON (checkFormat);
// then the jq recipes.
func TestDockerLogsJSON(t *testing.T) {
	dockerRequire(t)
	image := dockerLogsImage(t)
	lm := logsMode{name: "wrap,log=json", stdout: "wrap", jsonLog: true, docker: true}
	c := dockerLogsRun(t, image, "DINIT_LOG_FORMAT=json", "DINIT_JSON_STDOUT=wrap", dockerInfoLevel)
	if !c.jsonLog {
		t.Fatal("the harness did not see DINIT_LOG_FORMAT=json in the options")
	}
	stdout, stderr := c.normLogs()
	v := lm.viewsOf(stdout, stderr)
	v.check(t, lm, dockerLogsContent)

	// Our messages: every service starts, is stopped with SIGTERM and ends.
	norm := func(lines ...string) []string {
		for i, l := range lines {
			lines[i] = dockerNormalize(l)
		}
		return lines
	}
	var want []string
	for _, s := range []struct{ name, end string }{
		{"json", "signal"}, {"plain", "signal"}, {"stderr", "signal"}, {"trap", "status"}, {"web", "status"},
	} {
		label := s.name + "/run"
		want = append(want, jStarted(label, 0)...)
		stopped := jStopped(label, 0)
		if s.end == "status" {
			stopped[2] = jInfo(label+": PID 0 finished with status 0", label, "exited", "pid", 0, "status", 0)
		}
		want = append(want, stopped...)
	}
	want = append(want,
		jInfo("got signal 15, terminating services", "", "signal", "signal", 15),
		jWarn("shutting down: got signal 15", "", "shutdown", "reason", "got signal 15"),
		jExiting(0),
	)
	ours, _ := ourAndTheirs(stderr)
	dockerSameLines(t, "stderr: our messages", ours, norm(want...))
	if len(ours) > 0 && ours[len(ours)-1] != dockerNormalize(jExiting(0)) {
		t.Errorf("our last message %q, want the exit status", ours[len(ours)-1])
	}
	dockerSameLines(t, "lines of the other services", v.others, []string{
		dockerJSON(`{"n":1,"msg":"hello"}`, "json", "run"),
		dockerJSON(`{"msg":"line 1"}`, "plain", "run"),
		`{"msg":"err 1","service":"stderr","stage":"run","logged":"TS","stream":"stderr"}`,
		dockerJSON(`{"msg":"ready"}`, "trap", "run"),
		dockerJSON(`{"signal":"SIGTERM"}`, "trap", "run"),
		dockerJSON(`{"msg":"bye"}`, "trap", "run"),
	})

	rawOut, rawErr := c.logs()
	outLines, errLines := dockerLines(rawOut), dockerLines(rawErr)
	t.Run("jq select service", func(t *testing.T) {
		requireJQ(t)
		got := dockerLines(jqRecipe(t, c, `docker logs "$1" 2>/dev/null | jq -c 'select(.service=="web")'`))
		var want []string
		for _, l := range outLines {
			if o, err := parseObject(l); err == nil {
				if s, _ := o.str("service"); s == "web" {
					want = append(want, l)
				}
			}
		}
		if len(want) != len(dockerLogsContent.stdout) {
			t.Errorf("%d stdout lines of web in docker logs, want %d", len(want), len(dockerLogsContent.stdout))
		}
		expectSameJSON(t, "jq's selection", got, want)
	})
	t.Run("jq every line", func(t *testing.T) {
		requireJQ(t)
		got := dockerLines(jqRecipe(t, c, `docker logs "$1" 2>&1 | jq -c .`))
		if len(got) != len(outLines)+len(errLines) {
			t.Errorf("jq -c . gave %d objects for %d lines", len(got), len(outLines)+len(errLines))
		}
		expectSameJSONSet(t, "jq -c . of stdout and stderr", got, append(slices.Clone(outLines), errLines...))
	})
	t.Run("jq mixed recipe", func(t *testing.T) {
		requireJQ(t)
		// Every line is JSON here: the recipe changes nothing.
		got := dockerLines(jqRecipe(t, c, `docker logs "$1" 2>&1 | jq -cR '(fromjson? | objects) // {msg: .}'`))
		expectSameJSONSet(t, "the mixed recipe", got, append(slices.Clone(outLines), errLines...))
	})
}

// TestDockerLogsMixedRecipe: in the default formats (JSON stdout, text
// stderr), the README's recipe for the mixed stream, `docker logs c 2>&1 |
// jq -cR '(fromjson? | objects) // {msg: .}'`, gives one object per line:
// each stdout line as itself (so each parses strictly), each text line as
// {"msg": line}.
func TestDockerLogsMixedRecipe(t *testing.T) {
	dockerRequire(t)
	image := dockerLogsImage(t)
	c := dockerLogsRun(t, image)
	stdout, stderr := c.normLogs()
	lm := logsMode{name: "json", stdout: "json", docker: true}
	lm.viewsOf(stdout, stderr).check(t, lm, dockerLogsContent)
	requireJQ(t)
	rawOut, rawErr := c.logs()
	outLines, errLines := dockerLines(rawOut), dockerLines(rawErr)
	got := dockerLines(jqRecipe(t, c, `docker logs "$1" 2>&1 | jq -cR '(fromjson? | objects) // {msg: .}'`))
	want := slices.Clone(outLines)
	for _, l := range errLines {
		m, _ := json.Marshal(map[string]string{"msg": l})
		want = append(want, string(m))
	}
	expectSameJSONSet(t, "the mixed recipe", got, want)
	// The stdout lines alone parse as they are.
	if got := dockerLines(jqRecipe(t, c, `docker logs "$1" 2>/dev/null | jq -c .`)); len(got) != len(outLines) {
		t.Errorf("jq -c . of stdout: %d objects for %d lines", len(got), len(outLines))
	}
}

// requireJQ skips the test when jq is not installed, except under CI=true,
// where it fails: CI installs it (apt-get install -y jq).
func requireJQ(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("jq"); err != nil {
		dockerUnavailable(t, "jq is not installed (apt-get install -y jq): "+err.Error())
	}
}

// jqRecipe runs a shell pipeline, with the container's name as $1, and
// returns its stdout; it fails the test when the pipeline (jq, its last
// command) fails.
func jqRecipe(t *testing.T, c *dockerContainer, pipeline string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "sh", "-c", pipeline, "sh", c.name)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", pipeline, err, errb.String())
	}
	return out.String()
}

// canonicalJSON is a JSON line as Go writes its decoded value (keys
// sorted): how jq, docker and dinit write it makes no difference.
func canonicalJSON(l string) string {
	var v any
	if err := json.Unmarshal([]byte(l), &v); err != nil {
		return "not JSON: " + l
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// expectSameJSONSet checks that got and want are the same JSON values in
// any order (jq and docker may order stdout and stderr lines differently).
func expectSameJSONSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	var g, w []string
	for _, l := range got {
		g = append(g, canonicalJSON(l))
	}
	for _, l := range want {
		w = append(w, canonicalJSON(l))
	}
	dockerSameLines(t, what, g, w)
}

// expectSameJSON checks that got and want are the same JSON values, line by
// line (jq writes them in its own way: compare decoded).
func expectSameJSON(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d lines, want %d:\n%s", what, len(got), len(want), diffLines(got, want))
		return
	}
	for i := range got {
		var g, w any
		errG := json.Unmarshal([]byte(got[i]), &g)
		errW := json.Unmarshal([]byte(want[i]), &w)
		if errG != nil || errW != nil || !reflect.DeepEqual(g, w) {
			t.Errorf("%s: line %d is %s, want %s (%v, %v)", what, i+1, short(got[i]), short(want[i]), errG, errW)
		}
	}
}
