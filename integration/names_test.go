package integration

import (
	"strings"
	"testing"
)

// A service directory name is text dinit did not write: its control
// characters are escaped wherever it goes into a line, so it cannot start
// a line that passes for one of dinit's own.
func TestNamesCannotForgeLines(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		const name = "x\n2026-01-01T00:00:00.000Z dinit: error: forged\x1b[31m"
		const shown = `x\nTS dinit: error: forged\x1b[31m` // escaped, timestamps normalised
		// raw: the generic format check takes a source to have no spaces;
		// the lines are checked here instead.
		d := start(t, setup{mode: m, env: infoLevel, raw: true, files: tree{
			name + "/run": script("echo hi >&2\necho '{\"a\":1}'\n"),
		}})
		d.expectExit(0)
		got := d.errLines()
		d.expectInOrder("stderr", got,
			info("%s/run: starting", shown),
			svc(shown, "run", "hi"),
		)
		for _, l := range got {
			if strings.HasPrefix(l, "TS dinit: error: forged") || strings.ContainsAny(l, "\x1b") {
				t.Errorf("forged or raw line on stderr: %q", l)
			}
		}
		d.expectLines("stdout", d.outLines(), []string{jsonOut(`{"a":1}`, strings.Replace(name, "2026-01-01T00:00:00.000Z", "TS", 1), "run")})
	})
}
