package integration

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The README's examples, run as written. Every fenced code block of
// README.md is preceded by an HTML comment saying what exercises it:
//
//	<!-- test: ID -->            extracted by ID and run by a test of this package
//	                             (readme_docker_test.go, readme_k8s_test.go)
//	<!-- tested-by: TestA, ... --> an output or sketch whose behaviour those tests assert
//	<!-- ci: ... -->             a command .ci/run runs
//	<!-- not-run: reason -->     not run anywhere, and why
//
// TestReadmeBlocks checks that every block has such a comment, that every
// test ID is used by a test here and every ID a test uses is in the README,
// and that every test a tested-by comment names exists. It needs no Docker.

// readmeBlock is one fenced code block of README.md.
type readmeBlock struct {
	kind string // test, tested-by, ci or not-run: the comment before it
	note string // the comment's text after the kind
	id   string // for test: the first word of note
	lang string // the info string after the opening fence
	body string // the lines between the fences, indentation of the fence removed
	line int    // the opening fence's line number, from 1
}

var readmeMarkerRe = regexp.MustCompile(`^<!-- (test|tested-by|ci|not-run): (.+?) -->$`)

// readmeIDs are the test IDs the tests of this package run. A README block
// marked test: with another ID, or an ID here missing from the README, fails
// TestReadmeBlocks.
var readmeIDs = []string{
	"quickstart/Dockerfile", "quickstart/services/setup/run", "quickstart/services/web/run", "quickstart/transcript",
	"install/image",
	"single/Dockerfile", "single/transcript",
	"services/app/run", "services/app/log/run", "services/app/terminate", "services/transcript",
	"killtimeout/services/worker/run", "killtimeout/transcript",
	"jq/service", "jq/mixed", "jq/shutdown",
	"healthcheck/Dockerfile",
	"kubernetes/pod.yaml",
	"faq/hup/transcript", "faq/enoent/transcript", "faq/exec/transcript",
}

// readReadme parses README.md of the module's root into its fenced blocks.
func readReadme(t testing.TB) []readmeBlock {
	t.Helper()
	data := repoFile(t, "README.md")
	blocks, err := parseReadme(string(data))
	if err != nil {
		t.Fatalf("README.md: %v", err)
	}
	return blocks
}

// parseReadme returns the fenced blocks of a markdown text, each with the
// marker comment on the last non-blank line before its fence (kind "" when
// there is none).
func parseReadme(text string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	var cur *readmeBlock
	var body []string
	indent, last := "", ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur == nil {
			if strings.HasPrefix(trimmed, "```") {
				cur = &readmeBlock{lang: strings.TrimPrefix(trimmed, "```"), line: n}
				indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
				if m := readmeMarkerRe.FindStringSubmatch(last); m != nil {
					cur.kind, cur.note = m[1], m[2]
					if cur.kind == "test" {
						cur.id, _, _ = strings.Cut(cur.note, " ")
					}
				}
				body = body[:0]
			} else if trimmed != "" {
				last = trimmed
			}
			continue
		}
		if trimmed == "```" {
			cur.body = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur, last = nil, ""
			continue
		}
		body = append(body, strings.TrimPrefix(line, indent))
	}
	if cur != nil {
		return nil, &readmeError{line: cur.line, msg: "code block never closed"}
	}
	return blocks, sc.Err()
}

type readmeError struct {
	line int
	msg  string
}

func (e *readmeError) Error() string { return "line " + strconv.Itoa(e.line) + ": " + e.msg }

// readmeBlockByID returns the body of the README block marked test: id.
func readmeBlockByID(t testing.TB, id string) string {
	t.Helper()
	if !slices.Contains(readmeIDs, id) {
		t.Fatalf("test ID %q is not in readmeIDs", id)
	}
	for _, b := range readReadme(t) {
		if b.kind == "test" && b.id == id {
			return b.body
		}
	}
	t.Fatalf("README.md has no code block marked <!-- test: %s -->", id)
	return ""
}

var testFuncRe = regexp.MustCompile(`\bTest[A-Z]\w*`)

// TestReadmeBlocks: every code block of the README says what exercises it,
// and what it names exists.
func TestReadmeBlocks(t *testing.T) {
	t.Parallel()
	blocks := readReadme(t)
	if len(blocks) < len(readmeIDs) {
		t.Fatalf("README.md: %d code blocks, fewer than the %d tested ones", len(blocks), len(readmeIDs))
	}
	defined := definedTests(t)
	seen := map[string]int{}
	for _, b := range blocks {
		switch b.kind {
		case "":
			t.Errorf("README.md line %d: a code block without a <!-- test|tested-by|ci|not-run: ... --> comment before it", b.line)
		case "test":
			if seen[b.id] != 0 {
				t.Errorf("README.md line %d: test ID %q already marks the block of line %d", b.line, b.id, seen[b.id])
			}
			seen[b.id] = b.line
			if !slices.Contains(readmeIDs, b.id) {
				t.Errorf("README.md line %d: test ID %q is run by no test (readmeIDs)", b.line, b.id)
			}
		case "tested-by":
			names := testFuncRe.FindAllString(b.note, -1)
			if len(names) == 0 {
				t.Errorf("README.md line %d: tested-by names no Test function: %q", b.line, b.note)
			}
			for _, name := range names {
				if !defined[name] {
					t.Errorf("README.md line %d: tested-by names %s, which no _test.go file of the module defines", b.line, name)
				}
			}
		}
	}
	for _, id := range readmeIDs {
		if seen[id] == 0 {
			t.Errorf("README.md: no code block marked <!-- test: %s -->", id)
		}
	}
	for _, b := range blocks {
		for _, name := range testFuncRe.FindAllString(b.note, -1) {
			if b.kind != "tested-by" && !defined[name] {
				t.Errorf("README.md line %d: the comment names %s, which no _test.go file defines", b.line, name)
			}
		}
	}
}

// definedTests returns the names of the Test functions of every _test.go
// file of the module.
func definedTests(t *testing.T) map[string]bool {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`)
	names := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(data), -1) {
			names[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestReadmeJQRecipesMatchTests: the README's two jq recipes for docker logs
// are the pipelines TestDockerLogsJSON and TestDockerLogsMixedRecipe run
// (with the container's name as "$1" where the README says c).
func TestReadmeJQRecipesMatchTests(t *testing.T) {
	t.Parallel()
	src := repoFile(t, "integration", "docker_logs_test.go")
	for _, id := range []string{"jq/service", "jq/mixed"} {
		recipe := strings.TrimSpace(readmeBlockByID(t, id))
		inTest := strings.Replace(recipe, "docker logs c ", `docker logs "$1" `, 1)
		if !strings.Contains(string(src), "`"+inTest+"`") {
			t.Errorf("README recipe %s, %q, is not the pipeline docker_logs_test.go runs (%q)", id, recipe, inTest)
		}
	}
}

// TestReadmeKubernetesManifestIsTheExample: the manifest the README shows
// is examples/kubernetes/pod.yaml, byte for byte.
func TestReadmeKubernetesManifestIsTheExample(t *testing.T) {
	t.Parallel()
	file := repoFile(t, "examples", "kubernetes", "pod.yaml")
	if shown := readmeBlockByID(t, "kubernetes/pod.yaml"); shown != string(file) {
		t.Errorf("the README's manifest differs from examples/kubernetes/pod.yaml:\n%s", diffLines(strings.Split(shown, "\n"), strings.Split(string(file), "\n")))
	}
}
