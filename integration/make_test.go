package integration

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// make help lists every target with a "## " comment, the comments in one
// column however long the longest target name (test-docker once stuck out).
func TestMakeHelp(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		unavailable(t, "no make: "+err.Error())
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile := repoFile(t, "Makefile")
	targets := regexp.MustCompile(`(?m)^([a-z][a-zA-Z_-]*):.*## (.*)$`).FindAllStringSubmatch(string(makefile), -1)
	width := 0
	for _, m := range targets {
		width = max(width, len(m[1]))
	}
	var want []string
	for _, m := range targets {
		want = append(want, "  "+m[1]+strings.Repeat(" ", width-len(m[1]))+" "+m[2])
	}
	cmd := exec.Command("make", "--no-print-directory", "-s", "help")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make help: %v\n%s", err, out)
	}
	if got := splitLines(string(out)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("make help:\n%s", diffLines(got, want))
	}
}
