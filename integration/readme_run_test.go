package integration

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// How the README's examples run on the local Docker engine: their build
// contexts, the base image they name, and the transcripts (```console
// blocks) played back command by command.

// readmeBase is the base image the README's Dockerfiles start FROM.
const readmeBase = "busybox:1.36"

// readmeStandInLabel marks a stand-in for readmeBase built by these tests.
const readmeStandInLabel = "dinit.readme-test.stand-in"

var readmeBaseGate struct {
	once   sync.Once
	reason string // why it cannot be had; "" when it can
}

// readmeRequireBase makes sure an image tagged readmeBase exists. There is
// no registry here (nothing can be pulled), so when the engine does not
// have one, a stand-in is built under that exact tag FROM scratch, holding
// Debian's static busybox (package busybox-static, 1.35) with a link in
// /bin for each of its applets, /tmp, and an /etc/passwd and /etc/group
// for root and nobody, as the official image has. The README's Dockerfiles
// are then built as written. The stand-in is removed when the tests end
// (afterTests); a real busybox:1.36 already there is used and kept.
func readmeRequireBase(t *testing.T) {
	t.Helper()
	readmeBaseGate.once.Do(readmeEnsureBase)
	if readmeBaseGate.reason != "" {
		dockerUnavailable(t, readmeBaseGate.reason)
	}
}

func readmeEnsureBase() {
	if _, err := dockerOutput("image", "inspect", readmeBase); err == nil {
		return
	}
	bb, err := staticBusybox()
	if err != nil {
		readmeBaseGate.reason = err.Error()
		return
	}
	ctx, err := os.MkdirTemp("", "dinit-readme-base-")
	if err != nil {
		readmeBaseGate.reason = err.Error()
		return
	}
	defer os.RemoveAll(ctx)
	if err := writeStandIn(ctx, bb); err != nil {
		readmeBaseGate.reason = err.Error()
		return
	}
	out, err := dockerOutput("build", "-q", "--label", readmeStandInLabel+"=1", "-t", readmeBase, ctx)
	if err != nil {
		readmeBaseGate.reason = fmt.Sprintf("building the stand-in %s: %v: %s", readmeBase, err, out)
		return
	}
	afterTests = append(afterTests, func() {
		label, err := dockerOutput("image", "inspect", "-f", `{{index .Config.Labels "`+readmeStandInLabel+`"}}`, readmeBase)
		if err == nil && strings.TrimSpace(label) == "1" {
			_, _ = dockerOutput("rmi", readmeBase)
		}
	})
}

// staticBusybox returns the path of a statically linked busybox.
func staticBusybox() (string, error) {
	for _, p := range []string{"/bin/busybox", "/usr/bin/busybox"} {
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		static := true
		for _, prog := range f.Progs {
			static = static && prog.Type != elf.PT_INTERP
		}
		f.Close()
		if static {
			return p, nil
		}
	}
	return "", errors.New("no static busybox for the stand-in of " + readmeBase + " (apt-get install busybox-static)")
}

func writeStandIn(ctx, busybox string) error {
	rootfs := filepath.Join(ctx, "rootfs")
	for _, d := range []string{"bin", "tmp", "etc", "root"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o1777); err != nil {
		return err
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "busybox"), data, 0o755); err != nil {
		return err
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %v", err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if applet != "busybox" {
			if err := os.Symlink("busybox", filepath.Join(rootfs, "bin", applet)); err != nil {
				return err
			}
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\n",
		"Dockerfile": "FROM scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n",
	}
	for name, content := range files {
		dir := rootfs
		if name == "Dockerfile" {
			dir = ctx
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readmeContext writes a build context: dinit (the static binary of this
// run) and files, paths to contents. Files are written 0644, as a user's
// editor writes them: the transcripts' chmod +x makes them executable;
// a path ending in "!" is written 0755 instead (without the "!").
func readmeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dinit, _ := dockerBinaries(t)
	dir := t.TempDir()
	all := map[string]string{"dinit!": string(dinit)}
	for name, content := range files {
		all[name] = content
	}
	for name, content := range all {
		perm := os.FileMode(0o644)
		if n, ok := strings.CutSuffix(name, "!"); ok {
			name, perm = n, 0o755
		}
		full := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := writeProgram(full, []byte(content), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(full, perm); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// quickstartFiles are the Quick start's Dockerfile and services, from the
// README.
func quickstartFiles(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"Dockerfile":         readmeBlockByID(t, "quickstart/Dockerfile"),
		"services/setup/run": readmeBlockByID(t, "quickstart/services/setup/run"),
		"services/web/run":   readmeBlockByID(t, "quickstart/services/web/run"),
	}
}

// session plays transcripts in one build context, with the README's names
// of images and containers replaced by names unique to the test.
type session struct {
	t     *testing.T
	dir   string
	names map[string]string // README name -> unique name
	label string            // put on every container it runs
}

// newSession makes a session in dir for the README's names (of images and
// containers); it removes what it made when the test ends.
func newSession(t *testing.T, dir string, names ...string) *session {
	t.Helper()
	s := &session{t: t, dir: dir, names: map[string]string{}, label: "dinit.readme-test=" + dockerUnique(t, "")}
	for _, n := range names {
		s.names[n] = dockerUnique(t, "dinit-readme-"+n+"-")
	}
	t.Cleanup(s.cleanup)
	return s
}

func (s *session) cleanup() {
	out, _ := dockerOutput("ps", "-aq", "--filter", "label="+s.label)
	for _, id := range strings.Fields(out) {
		if s.t.Failed() {
			logs, _ := dockerOutput("logs", id)
			s.t.Logf("container %s logs:\n%s", id, logs)
		}
		_, _ = dockerOutput("rm", "-f", "-v", id)
	}
	for _, n := range s.names {
		_, _ = dockerOutput("rm", "-f", "-v", n)
		_, _ = dockerOutput("rmi", "-f", n)
	}
}

// name returns the unique name of a README name.
func (s *session) name(readme string) string {
	s.t.Helper()
	n, ok := s.names[readme]
	if !ok {
		s.t.Fatalf("no unique name for %q", readme)
	}
	return n
}

// rename replaces the README's names by the unique ones, as whole words.
func (s *session) rename(text string) string {
	if len(s.names) == 0 {
		return text
	}
	keys := make([]string, 0, len(s.names))
	for k := range s.names {
		keys = append(keys, regexp.QuoteMeta(k))
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	re := regexp.MustCompile(`\b(` + strings.Join(keys, "|") + `)\b`)
	return re.ReplaceAllStringFunc(text, func(m string) string { return s.names[m] })
}

// step is one command of a transcript and what it prints.
type step struct {
	cmd  string
	want []string
}

// parseTranscript reads a ```console block: "$ command" lines, each followed
// by the lines it prints.
func parseTranscript(t *testing.T, body string) []step {
	t.Helper()
	var steps []step
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, step{cmd: cmd})
			continue
		}
		if len(steps) == 0 {
			t.Fatalf("transcript: output before the first command: %q", l)
		}
		steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
	}
	return steps
}

// play runs a transcript's commands in order. The changes made to a command
// before it runs: the README's names are replaced by unique ones; "-p
// 8080:8080" is left out (a port of the host: tests run in parallel, and
// nothing here connects from the host); every container gets the session's
// label (so that it is removed, also one started with --rm whose client
// timed out). Builds use the legacy builder (DOCKER_BUILDKIT=0), as every
// Docker test here.
//
// Every command must exit 0. When the transcript shows lines after a
// command, its output must be those lines: stdout and stderr, each in its
// order, interleaved in any way (a terminal shows both streams, in an order
// that is not fixed), compared after readmeNorm. A command that shows no
// lines may print anything (docker build, docker run -d). Queries (docker
// exec, docker logs, docker inspect) are retried until they match, within
// dockerWaitTimeout: a user types the next command seconds later, a test at
// once. Other commands run once.
func (s *session) play(steps []step) {
	s.t.Helper()
	for _, st := range steps {
		cmd := s.rename(st.cmd)
		cmd = strings.ReplaceAll(cmd, " -p 8080:8080", "")
		cmd = strings.ReplaceAll(cmd, "docker run ", "docker run --label "+s.label+" ")
		var want []string
		for _, l := range st.want {
			want = append(want, readmeNorm(s.rename(l)))
		}
		retry := false
		for _, q := range []string{"docker exec ", "docker logs ", "docker inspect "} {
			retry = retry || strings.HasPrefix(cmd, q)
		}
		start := time.Now()
		deadline := start.Add(dockerWaitTimeout)
		for {
			out, errOut, err := s.shell(cmd)
			why := ""
			switch {
			case err != nil:
				why = err.Error()
			case len(want) > 0:
				why = interleaved(readmeLines(out), readmeLines(errOut), want)
			}
			if why == "" {
				break
			}
			if !retry || time.Now().After(deadline) {
				s.t.Fatalf("README: $ %s\n(run as: %s)\n%s\nstdout:\n%s\nstderr:\n%s\nwant:\n%s",
					st.cmd, cmd, why, out, errOut, strings.Join(want, "\n"))
			}
			time.Sleep(200 * time.Millisecond)
		}
		s.t.Logf("$ %s (%v)", st.cmd, time.Since(start).Round(time.Millisecond))
	}
}

// shell runs a command line with sh -c in the session's directory.
func (s *session) shell(cmd string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCmdTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir = s.dir
	c.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err = c.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no end within %v: %w", dockerCmdTimeout, err)
	}
	return out.String(), errb.String(), err
}

// container is a dockerContainer for a container a transcript started,
// for the harness's helpers (logs, exec, health); the session removes it.
func (s *session) container(readme string) *dockerContainer {
	return &dockerContainer{t: s.t, name: s.name(readme), started: time.Now().Add(-time.Minute)}
}

var (
	readmeSpaces    = regexp.MustCompile(` {2,}`)
	readmeStatusRow = regexp.MustCompile(`^(\S+/\S+) \d+ `)
)

// readmeNorm normalises a line for comparison: timestamps, PIDs (as
// dockerNormalize does), runs of spaces (the columns of dinit status move
// with the width of a PID), and the PID column of a dinit status row.
func readmeNorm(l string) string {
	l = readmeSpaces.ReplaceAllLiteralString(dockerNormalize(l), " ")
	return readmeStatusRow.ReplaceAllString(l, "$1 N ")
}

func readmeLines(s string) []string {
	var out []string
	for _, l := range dockerLines(s) {
		out = append(out, readmeNorm(l))
	}
	return out
}

// interleaved returns "" when want is an interleaving of out and errs (each
// kept in its order), else what is wrong.
func interleaved(out, errs, want []string) string {
	if len(out)+len(errs) != len(want) {
		return fmt.Sprintf("%d lines (%d on stdout, %d on stderr), want %d", len(out)+len(errs), len(out), len(errs), len(want))
	}
	// ok[i][j]: want[:i+j] interleaves out[:i] and errs[:j].
	ok := make([][]bool, len(out)+1)
	for i := range ok {
		ok[i] = make([]bool, len(errs)+1)
	}
	ok[0][0] = true
	for i := 0; i <= len(out); i++ {
		for j := 0; j <= len(errs); j++ {
			if i > 0 && ok[i-1][j] && out[i-1] == want[i+j-1] {
				ok[i][j] = true
			}
			if j > 0 && ok[i][j-1] && errs[j-1] == want[i+j-1] {
				ok[i][j] = true
			}
		}
	}
	if ok[len(out)][len(errs)] {
		return ""
	}
	return "the output is not the transcript's (stdout and stderr, each in its order)"
}
