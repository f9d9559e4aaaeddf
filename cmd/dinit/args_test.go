package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dinit-dev/dinit/proc"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want command
		err  string
	}{
		{nil, command{}, ""},
		{[]string{"--help"}, command{help: true}, ""},
		{[]string{"-h"}, command{help: true}, ""},
		{[]string{"-help"}, command{help: true}, ""},
		{[]string{"--version"}, command{version: true}, ""},
		{[]string{"-version"}, command{version: true}, ""},
		{[]string{"sleep", "10"}, command{main: []string{"sleep", "10"}}, ""},
		{[]string{"sleep", "--help"}, command{main: []string{"sleep", "--help"}}, ""},
		{[]string{"--", "sleep"}, command{main: []string{"sleep"}}, ""},
		{[]string{"--", "--help"}, command{main: []string{"--help"}}, ""},
		{[]string{"--", "status"}, command{main: []string{"status"}}, ""},
		{[]string{"help"}, command{main: []string{"help"}}, ""},
		{[]string{"version"}, command{main: []string{"version"}}, ""},
		{[]string{"--"}, command{}, "no program after --"},
		{[]string{"-x"}, command{}, `unknown option "-x" (see dinit --help)`},
		{[]string{"--bogus", "x"}, command{}, `unknown option "--bogus" (see dinit --help)`},
		{[]string{"status"}, command{query: "status"}, ""},
		{[]string{"status", "--json"}, command{query: "status json"}, ""},
		{[]string{"check"}, command{query: "check"}, ""},
		{[]string{"status", "-j"}, command{}, `unexpected argument "-j" for dinit status (usage: dinit status [--json], dinit check; a program named status runs with dinit -- status)`},
		{[]string{"check", "--json"}, command{}, `unexpected argument "--json" for dinit check (usage: dinit status [--json], dinit check; a program named check runs with dinit -- check)`},
		{[]string{"status", "--json", "x"}, command{}, `unexpected argument "x" for dinit status (usage: dinit status [--json], dinit check; a program named status runs with dinit -- status)`},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if msg != tt.err || got.help != tt.want.help || got.version != tt.want.version || !slices.Equal(got.main, tt.want.main) {
			t.Errorf("parseArgs(%q) = %+v, %q; want %+v, %q", tt.args, got, msg, tt.want, tt.err)
		}
	}
}

// bin makes a directory of files: name -> mode (0: a directory).
func bin(t *testing.T, files map[string]os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	for name, mode := range files {
		p := filepath.Join(dir, name)
		var err error
		if mode == 0 {
			err = os.Mkdir(p, 0o755)
		} else if err = os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err == nil {
			err = os.Chmod(p, mode)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLookPath(t *testing.T) {
	a := bin(t, map[string]os.FileMode{"prog": 0o755, "text": 0o644, "dir": 0, "both": 0o644})
	b := bin(t, map[string]os.FileMode{"prog": 0o755, "both": 0o755, "text": 0o644})
	path := a + ":" + b
	tests := []struct {
		prog, path string
		want       string
		code       int
		err        string
	}{
		{"prog", path, filepath.Join(a, "prog"), 0, ""},
		{"both", path, filepath.Join(b, "both"), 0, ""}, // the first executable one
		{"text", path, "", 126, `main program "text": not executable: access ` + filepath.Join(a, "text") + `: permission denied`},
		{"dir", path, "", 126, `main program "dir": not executable: is a directory`},
		{"missing", path, "", 127, `main program "missing": not found in PATH`},
		{filepath.Join(a, "prog"), "", filepath.Join(a, "prog"), 0, ""},
		{filepath.Join(a, "missing"), path, "", 127, `main program "` + filepath.Join(a, "missing") + `": not found`},
		{filepath.Join(a, "text"), path, "", 126, `main program "` + filepath.Join(a, "text") + `": not executable: access ` + filepath.Join(a, "text") + `: permission denied`},
		{"", path, "", 127, `main program "": empty name`},
	}
	for _, tt := range tests {
		got, err := lookPath(tt.prog, tt.path)
		code, msg := 0, ""
		if err != nil {
			le, ok := err.(*lookError)
			if !ok {
				t.Fatalf("lookPath(%q): error %T %v, want *lookError", tt.prog, err, err)
			}
			code, msg = le.code, le.Error()
		}
		if got != tt.want || code != tt.code || msg != tt.err {
			t.Errorf("lookPath(%q) = %q, %d, %q; want %q, %d, %q", tt.prog, got, code, msg, tt.want, tt.code, tt.err)
		}
	}
}

// An empty PATH entry is the working directory, as for execvp.
func TestLookPathEmptyEntryIsWorkingDirectory(t *testing.T) {
	dir := bin(t, map[string]os.FileMode{"here": 0o755})
	t.Chdir(dir)
	got, err := lookPath("here", "/nonexistent::/also-not")
	if err != nil || got != "here" {
		t.Fatalf("lookPath = %q, %v; want here", got, err)
	}
}

// Without PATH, Docker's default is searched: sh is found in /bin or /usr/bin.
func TestLookPathDefault(t *testing.T) {
	got, err := lookPath("sh", "")
	if err != nil || (got != "/usr/bin/sh" && got != "/bin/sh" && got != "/usr/local/bin/sh") {
		t.Fatalf("lookPath(sh, \"\") = %q, %v", got, err)
	}
}

func TestServiceDir(t *testing.T) {
	yes := func(string) bool { return true }
	no := func(string) bool { return false }
	cases := []struct {
		env    map[string]string
		exists func(string) bool
		want   string
	}{
		{nil, yes, "/etc/service"},
		{nil, no, ""}, // no services, and no warning
		{map[string]string{"DINIT_DIR": "/srv"}, no, "/srv"}, // named: required
		{map[string]string{"DINIT_DIR": "/srv"}, yes, "/srv"},
	}
	for _, c := range cases {
		if got := serviceDir(envOf(c.env), c.exists); got != c.want {
			t.Errorf("serviceDir(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}

func TestConfigureMainProgram(t *testing.T) {
	dir := bin(t, map[string]os.FileMode{"prog": 0o755})
	cfg, err := configure(command{main: []string{"prog", "a", "b"}}, envOf(map[string]string{"PATH": dir, "DINIT_DIR": "/srv"}))
	if err != nil {
		t.Fatal(err)
	}
	want := proc.Program{Path: filepath.Join(dir, "prog"), Args: []string{"prog", "a", "b"}, Name: "prog"}
	if cfg.Main == nil || cfg.Main.Path != want.Path || !slices.Equal(cfg.Main.Args, want.Args) || cfg.Main.Name != want.Name || cfg.Dir != "/srv" {
		t.Fatalf("configure = %+v (main %+v), want main %+v in /srv", cfg, cfg.Main, want)
	}
	cfg, err = configure(command{main: []string{filepath.Join(dir, "prog")}}, envOf(nil))
	if err != nil || cfg.Main.Name != "prog" {
		t.Fatalf("configure with a path = %+v, %v; want the name prog", cfg.Main, err)
	}
}

// The environment is checked before the program is looked up: a bad
// variable is exit 1, whatever the program.
func TestConfigureChecksTheEnvironmentFirst(t *testing.T) {
	_, err := configure(command{main: []string{"no-such-program"}}, envOf(map[string]string{"DINIT_EXIT_CODE": "x"}))
	if err == nil || err.Error() != `invalid DINIT_EXIT_CODE value "x": want one of dinit, service` {
		t.Fatalf("err = %v", err)
	}
	if _, ok := err.(*lookError); ok {
		t.Fatal("a configuration error taken for a lookup error")
	}
}

func TestConfigureServicesOnlyKeepsTheDefaultDir(t *testing.T) {
	cfg, err := configure(command{}, envOf(nil))
	if err != nil || cfg.Dir != "/etc/service" || cfg.Main != nil {
		t.Fatalf("configure = %+v, %v", cfg, err)
	}
}
