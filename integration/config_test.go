package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// markerService would leave a file behind if it ever ran.
var markerService = tree{"web/run": script("touch marker\n")}

func markerCreated(d *instance) bool {
	_, err := os.Stat(filepath.Join(d.dir, "web", "marker"))
	return err == nil
}

// expectConfigError: one error line starting with wantPrefix (after
// "TS dinit: error: "), nothing started, nothing on stdout, exit 1.
func expectConfigError(d *instance, wantPrefix string) {
	d.t.Helper()
	d.expectExit(1)
	errLines := d.errLines()
	if got := matching(errLines, `^TS dinit: error: `+regexp.QuoteMeta(wantPrefix)); len(got) != 1 {
		d.t.Errorf("want exactly one line starting with %q, got %q", "TS dinit: error: "+wantPrefix, got)
	}
	d.expectNoLine("stderr", errLines, `^TS dinit: (debug|info|warning): .*(starting|running with PID)`)
	d.expectNoLine("stderr: only dinit's own messages", errLines, `^TS [^ ]+/[^ ]+: `)
	if out := d.stdout.String(); out != "" {
		d.t.Errorf("stdout = %q, want nothing", out)
	}
	if markerCreated(d) {
		d.t.Errorf("a service ran (its marker file exists)")
	}
}

func TestInvalidConfiguration(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, value string }{
		{"DINIT_LOG_LEVEL", "loud"},
		{"DINIT_LOG_LEVEL", "INFO"},
		{"DINIT_REPARENTING_POLICY", "bogus"},
		{"DINIT_KILL_TIMEOUT", "abc"},
		{"DINIT_KILL_TIMEOUT", "-1"},
		{"DINIT_KILL_TIMEOUT", "1.5"},
		{"DINIT_KILL_TIMEOUT", " 5"},
		{"DINIT_KILL_TIMEOUT", "99999999999999999999"},
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			t.Parallel()
			env := []string{c.name + "=" + c.value}
			if c.name != "DINIT_LOG_LEVEL" {
				env = append(env, "DINIT_LOG_LEVEL=info")
			}
			d := start(t, setup{mode: subreaper, files: markerService, env: env})
			expectConfigError(d, `invalid `+c.name+` value "`+c.value+`"`)
		})
	}
}

// Valid forms start normally: the service runs and dinit exits 0.
func TestValidConfiguration(t *testing.T) {
	t.Parallel()
	values := []string{
		"DINIT_LOG_LEVEL=none", "DINIT_LOG_LEVEL=error", "DINIT_LOG_LEVEL=warn",
		"DINIT_LOG_LEVEL=info", "DINIT_LOG_LEVEL=debug",
		"DINIT_REPARENTING_POLICY=terminate", "DINIT_REPARENTING_POLICY=adopt",
		"DINIT_REPARENTING_POLICY=ignore",
		"DINIT_KILL_TIMEOUT=0", "DINIT_KILL_TIMEOUT=0x1e", "DINIT_KILL_TIMEOUT=017",
		"DINIT_KILL_TIMEOUT=0o17", "DINIT_KILL_TIMEOUT=0b101", "DINIT_KILL_TIMEOUT=1_000",
		"DINIT_KILL_TIMEOUT=+5",
		"DINIT_JSON_STDOUT=1", "DINIT_JSON_STDOUT=false", "DINIT_JSON_STDOUT=",
	}
	for _, v := range values {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			d := start(t, setup{mode: subreaper, files: markerService, env: []string{v}})
			d.expectExit(0)
			d.expectNoLine("stderr", d.errLines(), `^TS dinit: error: `)
			if !markerCreated(d) {
				t.Errorf("the service did not run")
			}
		})
	}
}

func TestDinitDirMissing(t *testing.T) {
	t.Parallel()
	eachMode(t, func(t *testing.T, m mode) {
		missing := filepath.Join(t.TempDir(), "does-not-exist")
		d := start(t, setup{mode: m, env: []string{"DINIT_DIR=" + missing, "DINIT_LOG_LEVEL=info"}})
		expectDirError(d, missing)
	})
}

func TestDinitDirIsAFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := start(t, setup{mode: subreaper, env: []string{"DINIT_DIR=" + f}})
	expectDirError(d, f)
}

// Without DINIT_DIR, dinit reads /etc/service.
func TestDinitDirDefault(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/etc/service"); err == nil {
		t.Skip("/etc/service exists on this machine")
	}
	d := start(t, setup{mode: subreaper, noDir: true})
	expectDirError(d, "/etc/service")
}

func expectDirError(d *instance, path string) {
	d.t.Helper()
	d.expectExit(1)
	errs := matching(d.errLines(), `^TS dinit: error: `)
	if len(errs) != 1 || !strings.Contains(errs[0], "DINIT_DIR") || !strings.Contains(errs[0], path) {
		d.t.Errorf("want one error line naming DINIT_DIR and %q, got %q", path, errs)
	}
	if out := d.stdout.String(); out != "" {
		d.t.Errorf("stdout = %q, want nothing", out)
	}
}

func TestNoServices(t *testing.T) {
	t.Parallel()
	trees := map[string]tree{
		"empty": {},
		"skipped entries": {
			".hidden/run":   script("touch ../marker\n"),
			".dotfile":      text("x"),
			"plain-file":    text("not a service\n"),
			"link-to-file":  symlink("plain-file"),
			"exec-file":     script("touch marker\n"),
			".link-to-dir":  symlink(".hidden"),
			"zz-plain-file": text(""),
		},
	}
	for name, files := range trees {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, files: files})
				d.expectExit(0)
				d.expectLines("stderr", d.errLines(), []string{warn("no services found, exiting")})
				d.expectLines("stdout", d.outLines(), nil)
				if _, err := os.Stat(filepath.Join(d.dir, "marker")); err == nil {
					t.Errorf("a skipped entry was run")
				}
			})
		})
	}
	t.Run("info", func(t *testing.T) {
		t.Parallel()
		eachMode(t, func(t *testing.T, m mode) {
			d := start(t, setup{mode: m, env: []string{"DINIT_LOG_LEVEL=info"}})
			d.expectExit(0)
			want := append(d.preamble(), warn("no services found, exiting"), exiting(0))
			d.expectLines("stderr", d.errLines(), want)
		})
	})
}

// dinit --help documents every variable (SPEC 1).
func TestHelp(t *testing.T) {
	t.Parallel()
	d := start(t, setup{mode: subreaper, args: []string{"--help"}, raw: true})
	d.expectExit(0)
	help := d.stdout.String() + d.stderr.String()
	for _, v := range []string{"DINIT_DIR", "DINIT_LOG_LEVEL", "DINIT_JSON_STDOUT", "DINIT_REPARENTING_POLICY", "DINIT_KILL_TIMEOUT"} {
		if !strings.Contains(help, v) {
			t.Errorf("dinit --help does not mention %s", v)
		}
	}
}
