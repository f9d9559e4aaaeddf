package integration

import (
	"path/filepath"
	"testing"
)

// A program whose #! line names a missing interpreter, or ends in CRLF,
// fails exec with ENOENT, the error of a missing file: the error line
// then says what to check in the #! line.
const (
	noInterpreter     = "#!/nonexistent/bash\necho hi\n"
	crlfScript        = "#!/bin/sh\r\necho hi\r\n"
	noInterpreterHint = "no such file or directory (check the #! line: interpreter /nonexistent/bash not found)"
	crlfHint          = "no such file or directory (check the #! line: CRLF line ending)"
)

func TestShebangHintsOfServices(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files tree
		stage string // the program that cannot start, as "service/stage"
		path  string // its file in DINIT_DIR
		error string
	}{
		{"run without its interpreter", tree{"a/run": file{data: noInterpreter, perm: 0o755}},
			"a/run", "a/run", noInterpreterHint},
		{"log/run in CRLF", tree{"a/run": script("exec sleep 1000\n"), "a/log/run": file{data: crlfScript, perm: 0o755}},
			"a/log", "a/log/run", crlfHint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				d := start(t, setup{mode: m, env: infoLevel, files: c.files})
				d.expectExit(1)
				d.expectLines("stderr", d.errLines(), append(d.preamble(),
					info("%s: starting", c.stage),
					"TS dinit: error: "+c.stage+": error running: fork/exec "+filepath.Join(d.dir, c.path)+": "+c.error,
					warn("shutting down: a could not be started"),
					exiting(1)))
			})
		})
	}
}

// The main program gets the hint too, and the exit code of a program not
// found (127), as from a shell.
func TestShebangHintsOfTheMainProgram(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, content, error string }{
		{"no interpreter", noInterpreter, noInterpreterHint},
		{"CRLF", crlfScript, crlfHint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			eachMode(t, func(t *testing.T, m mode) {
				prog := filepath.Join(t.TempDir(), "prog")
				writeTree(t, filepath.Dir(prog), tree{"prog": file{data: c.content, perm: 0o755}})
				d := mainRun(t, m, infoLevel, prog)
				d.expectExit(127)
				d.expectLines("stderr", d.errLines(), append(d.preamble(),
					info("prog/run: starting"),
					"TS dinit: error: prog/run: error running: fork/exec "+prog+": "+c.error,
					warn("shutting down: prog could not be started"),
					finalLine(127)))
			})
		})
	}
}
