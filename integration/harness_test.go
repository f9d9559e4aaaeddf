package integration

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	// dinitBin is the binary under test.
	dinitBin string
	// helperBin is this test binary, re-executed as a helper program by
	// services (see helpers_test.go).
	helperBin string
	// afterTests run once every test has ended (the README tests' stand-in
	// base image is removed there). Appended to only from sync.Once.
	afterTests []func()
)

func TestMain(m *testing.M) {
	if name := os.Getenv(helperEnv); name != "" {
		os.Exit(runHelper(name, os.Args[1:]))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	defer func() {
		for _, f := range afterTests {
			f()
		}
	}()
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration: cannot find the test binary:", err)
		return 1
	}
	helperBin = exe
	defaultParallel()
	if bin := os.Getenv("DINIT_TEST_BINARY"); bin != "" {
		dinitBin = bin
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "dinit-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	dinitBin = filepath.Join(tmp, "dinit")
	if out, err := buildDinit(dinitBin); err != nil {
		fmt.Fprintf(os.Stderr, "integration: go build ./cmd/dinit: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// defaultParallel raises -test.parallel (default GOMAXPROCS) to 6 unless it
// was given: the tests mostly wait for processes, not for a CPU.
func defaultParallel() {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", "6")
	}
}

// buildDinit builds ./cmd/dinit of the module that contains this package.
func buildDinit(out string) ([]byte, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(goTool(), "build", "-o", out, "./cmd/dinit")
	cmd.Dir = root
	return cmd.CombinedOutput()
}

// repoFile reads a file of the repository, named by its path's parts from
// the module root.
func repoFile(t testing.TB, parts ...string) []byte {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(append([]string{root}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func moduleRoot() (string, error) {
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

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "/usr/local/go/bin/go" // where Go lives on our CI machines
}

// mode is how dinit is started.
type mode int

const (
	// pid1: PID 1 of a new PID namespace (unshare --pid --fork --mount-proc).
	pid1 mode = iota + 1
	// subreaper: a plain child of the test, registering as a subreaper.
	subreaper
)

var modes = []mode{pid1, subreaper}

func (m mode) String() string {
	switch m {
	case pid1:
		return "pid1"
	case subreaper:
		return "subreaper"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// eachMode runs f as a parallel subtest per mode.
func eachMode(t *testing.T, f func(t *testing.T, m mode)) {
	t.Helper()
	for _, m := range modes {
		t.Run(m.String(), func(t *testing.T) {
			t.Parallel()
			f(t, m)
		})
	}
}

var (
	nsOnce   sync.Once
	nsReason string // why PID namespaces are unavailable; "" when available
)

// requireMode skips (or, under CI=true, fails) a test whose mode the
// machine cannot provide.
func requireMode(t *testing.T, m mode) {
	t.Helper()
	if runtime.GOOS != "linux" {
		unavailable(t, "dinit integration tests need Linux")
	}
	if m != pid1 {
		return
	}
	nsOnce.Do(probeNamespaces)
	if nsReason != "" {
		unavailable(t, nsReason)
	}
}

func probeNamespaces() {
	if os.Geteuid() != 0 {
		nsReason = fmt.Sprintf("PID 1 mode needs root to create a PID namespace (running as uid %d)", os.Geteuid())
		return
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		nsReason = "PID 1 mode needs unshare(1) from util-linux: " + err.Error()
		return
	}
	out, err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "/bin/sh", "-c", "test $$ = 1").CombinedOutput()
	if err != nil {
		nsReason = fmt.Sprintf("cannot create a PID namespace with unshare: %v: %s", err, out)
	}
}

// unavailable skips the test, except under CI=true where a skip would hide
// missing coverage: there it fails.
func unavailable(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("environment cannot run this test: %s (CI=true: not skipping)", reason)
	}
	t.Skip(reason)
}
