package integration

import (
	"fmt"
	"os"
	"strings"
)

// Building blocks of service scripts, and what the tests wait for.

// touch creates an empty file.
func touch(path string) error { return os.WriteFile(path, nil, 0o644) }

// loop keeps a shell script running. SIGTERM ends it by that signal, but
// only once its short sleep has ended: an untrapped SIGTERM would kill the
// shell during the sleep, and the sleep would be reparented to dinit.
// Scripts print a ready line after their traps are set; tests wait for it
// before signalling, since a signal may otherwise come first.
const loop = "trap 'trap - TERM; kill -TERM $$' TERM\nwhile :; do sleep 0.05; done\n"

// ready is a line of a script that says it is ready, on stdout.
func ready(name string) string { return `echo '{"ready":"` + name + `"}'` + "\n" }

// readyOut is that line on dinit's stdout.
func readyOut(name string) string { return jsonOut(`{"ready":"`+name+`"}`, name, "run") }

// waitReady waits for the ready line of a service.
func (d *instance) waitReady(name string) {
	d.t.Helper()
	d.waitStdout(`^\{"ready":"` + name + `","service":"` + name + `"`)
}

// orphan is a line of a run script that leaves a process behind: an
// intermediate shell starts cmd in the background, prints
// {"orphan":"<key>","pid":N} and exits, so that cmd is reparented to dinit.
// prelude runs in the intermediate shell first (e.g. trap "" TERM, which
// cmd inherits).
func orphan(key, prelude, cmd string) string {
	return fmt.Sprintf(`sh -c '%s %s & echo "{\"orphan\":\"%s\",\"pid\":$!}"'`+"\n", prelude, cmd, key)
}

// adoptedOrphan starts ./orphan.sh as an orphan that knows run's PID.
var adoptedOrphan = orphan("o", "export RUNPID=$PPID;", "./orphan.sh")

// escapeSingle makes s usable inside a single-quoted shell word.
func escapeSingle(s string) string { return strings.ReplaceAll(s, "'", `'\''`) }
