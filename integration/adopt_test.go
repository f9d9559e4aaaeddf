package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// adopt policy, the issue's case: a run leaves `sh -c '...; echo ...; echo
// err >&2'` behind. Once adopted, its lines come through dinit's pipes,
// attributed sh/<pid>: stdout as JSON, stderr prefixed; its end starts the
// shutdown. (The orphan waits for ../go, created after the adoption
// warning: detection takes up to a scan period.)
func TestAdoptOrphanOutput(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: adoptDebug, files: tree{
			"web/orphan.sh": script(`while [ ! -e ../go ]; do sleep 0.02; done
echo '{"orphan":"says hi"}'; echo err >&2
`),
			"web/run": script(adoptedOrphan + ready("web") + "exec sleep 1000\n"),
		}})
		o := d.orphanPID("o")
		stage := strconv.Itoa(o)
		d.waitRedirected("sh", o)
		if err := os.WriteFile(filepath.Join(d.dir, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		d.expectExit(0)
		d.expectInOrder("stdout", d.outLines(), jsonOut(`{"orphan":"says hi"}`, "sh", stage))
		errs := withoutDebug(d.errLines())
		d.expectInOrder("stderr", errs,
			warn("sh/%d: adopting reparented child process with PID %d: /bin/sh ./orphan.sh", o, o),
			info("sh/%d: PID %d finished with status 0", o, o),
			warn("shutting down: sh/%d: adopted process PID %d finished with status 0", o, o),
			exiting(0))
		d.expectInOrder("stderr", errs, svc("sh", stage, "err"))
		d.expectNoLine("stderr", errs, `cannot redirect`)
	})
}

// adopt policy: a daemon whose child inherited its stdout and stderr (the
// child is not dinit's: its parent lives) writes through dinit too, with
// the daemon's attribution, and so does a grandchild started later.
func TestAdoptDaemonChildOutput(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		d := start(t, setup{mode: m, env: adoptDebug, files: tree{
			"web/orphan.sh": script(`(while [ ! -e ../go ]; do sleep 0.02; done
 echo '{"child":"says hi"}'; echo child err >&2; sh -c "echo '{\"grandchild\":\"says hi\"}'") &
while [ ! -e ../go ]; do sleep 0.02; done
echo '{"daemon":"says hi"}'
wait
`),
			"web/run": script(adoptedOrphan + ready("web") + "exec sleep 1000\n"),
		}})
		o := d.orphanPID("o")
		stage := strconv.Itoa(o)
		d.waitRedirected("sh", o)
		if err := os.WriteFile(filepath.Join(d.dir, "go"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		d.expectExit(0)
		outs := d.outLines()
		for _, obj := range []string{`{"child":"says hi"}`, `{"grandchild":"says hi"}`, `{"daemon":"says hi"}`} {
			d.expectInOrder("stdout", outs, jsonOut(obj, "sh", stage))
		}
		errs := withoutDebug(d.errLines())
		d.expectInOrder("stderr", errs, svc("sh", stage, "child err"))
		d.expectNoLine("stderr", errs, `cannot redirect`)
		d.expectInOrder("stderr", errs, info("sh/%d: PID %d finished with status 0", o, o),
			warn("shutting down: sh/%d: adopted process PID %d finished with status 0", o, o), exiting(0))
	})
}

// adoptDebug: the adopt policy at debug level, where dinit says when an
// adopted process's output has been redirected (the redirection happens
// after the adopting warning, in steps of the loop).
var adoptDebug = []string{"DINIT_LOG_LEVEL=debug", "DINIT_REPARENTING_POLICY=adopt"}

// waitRedirected waits until the output of the adopted process name/pid
// has been redirected.
func (d *instance) waitRedirected(name string, pid int) {
	d.t.Helper()
	d.waitStderr(fmt.Sprintf(`^TS dinit: debug: %s/%d: output redirected \(`, name, pid))
}

// withoutDebug drops dinit's debug lines.
func withoutDebug(lines []string) []string {
	var kept []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "TS dinit: debug: ") {
			kept = append(kept, l)
		}
	}
	return kept
}
