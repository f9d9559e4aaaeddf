package integration

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeGo stands for the go command: it logs its arguments, answers
// version, and makes an empty program of what build writes with -o.
const fakeGo = `#!/bin/sh
echo "$*" >> "$FAKE_GO_LOG"
[ "$1" = version ] && { echo "go version go0.0 linux/amd64"; exit 0; }
while [ $# -gt 0 ]; do
	[ "$1" = -o ] && { printf '#!/bin/sh\n' > "$2"; chmod +x "$2"; }
	shift
done
`

// scripts/bench-process.sh builds the dinit it measures into its own
// temporary directory: bin/dinit, the user's build, is left alone. Run
// on a copy of the script with a fake go and the table "true" (a table
// is a command), so that nothing is built or measured.
func TestBenchProcessKeepsBinDinit(t *testing.T) {
	t.Parallel()
	script := repoFile(t, "scripts", "bench-process.sh")
	repo, fake := t.TempDir(), t.TempDir()
	log := filepath.Join(fake, "log")
	const users = "the user's bin/dinit\n"
	writeTree(t, repo, tree{"scripts/bench-process.sh": file{data: string(script), perm: 0o755}, "bin/dinit": text(users)})
	writeTree(t, fake, tree{"go": file{data: fakeGo, perm: 0o755}})
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repo, "scripts", "bench-process.sh"), "true")
	cmd.Env = append(os.Environ(), "PATH="+fake+":"+os.Getenv("PATH"), "FAKE_GO_LOG="+log, "LINES=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench-process.sh true: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(filepath.Join(repo, "bin", "dinit")); string(got) != users {
		t.Errorf("bin/dinit was overwritten: %q", got)
	}
	calls, _ := os.ReadFile(log)
	built := false
	for _, c := range splitLines(string(calls)) {
		built = built || strings.HasSuffix(c, " ./cmd/dinit")
	}
	if !built {
		t.Errorf("no build of ./cmd/dinit among the go commands:\n%s", calls)
	}
}
