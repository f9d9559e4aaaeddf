package integration

import (
	"os"
	"path/filepath"
	"testing"
)

// A service directory (or its log/) that dinit's uid may not enter is
// refused before anything starts, naming that directory: not a file in it
// that the service may not even have (notification-fd, log/run). As root
// every directory can be entered, so dinit runs as uid 65534 here.
func TestUnenterableServiceDirectory(t *testing.T) {
	t.Parallel()
	requireTools(t, "setpriv")
	cases := []struct {
		name   string
		closed string // the directory made mode 000, in DINIT_DIR
	}{
		{"service", "a"},
		{"log", "a/log"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				bin := publicCopy(t, dinitBin)
				svcDir := filepath.Join(filepath.Dir(bin), "service")
				writeTree(t, svcDir, tree{
					"a/run": script("exec sleep 1000\n"), "a/log/run": script("exec cat\n"),
					"b/run": script("touch ../marker\n"),
				})
				for _, p := range []string{svcDir, filepath.Join(svcDir, "a"), filepath.Join(svcDir, "a", "log")} {
					if err := os.Chmod(p, 0o755); err != nil {
						t.Fatal(err)
					}
				}
				closed := filepath.Join(svcDir, c.closed)
				if err := os.Chmod(closed, 0); err != nil {
					t.Fatal(err)
				}
				wrap := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
					"/bin/sh", "-c", `shift; exec "$0" "$@"`, bin}
				d := start(t, setup{mode: m, dir: svcDir, wrap: wrap, env: infoLevel})
				d.expectExit(1)
				d.expectLines("stderr", d.errLines(), append(d.preamble(),
					`TS dinit: error: DINIT_DIR "`+svcDir+`": service a: cannot enter `+closed+`: permission denied`,
					exiting(1)))
				if fileExists(filepath.Join(svcDir, "marker")) {
					t.Errorf("service b ran")
				}
			})
		})
	}
}
