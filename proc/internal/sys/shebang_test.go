package sys

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// writeScript writes an executable file under syscall.ForkLock's read
// side: a fork of a parallel test while it is open for writing would
// make its exec fail with ETXTBSY (golang.org/issue/22315).
func writeScript(t *testing.T, path, content string) {
	t.Helper()
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// A script whose interpreter is missing fails with ENOENT like a missing
// file; the error then says what to check in the #! line. A missing file,
// and a script whose interpreter is there (but cannot run itself), get
// no hint: the line is not what is wrong.
func TestSpawnErrorHintsAtTheShebangLine(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "inner"), "#!/nonexistent/sh\n")
	const enoent = ": no such file or directory"
	for _, tt := range []struct {
		name, content, want string // content "": no file
	}{
		{"missing interpreter", "#!/nonexistent/bash\necho hi\n", enoent + " (check the #! line: interpreter /nonexistent/bash not found)"},
		{"blanks and an argument", "#! \t/nonexistent/sh -e\n", enoent + " (check the #! line: interpreter /nonexistent/sh not found)"},
		{"relative interpreter", "#!missing-sh\n", enoent + " (check the #! line: interpreter missing-sh not found)"},
		{"CRLF", "#!/bin/sh\r\necho hi\r\n", enoent + " (check the #! line: CRLF line ending)"},
		{"missing file", "", enoent},
		{"interpreter that cannot run", "#!" + filepath.Join(dir, "inner") + "\n", enoent},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run")
			if tt.content != "" {
				writeScript(t, path, tt.content)
			}
			_, _, err := Spawn(Spec{Path: path, Dir: filepath.Dir(path)}, false)
			if err == nil || err.Error() != "fork/exec "+path+tt.want {
				t.Fatalf("err = %v\nwant  fork/exec %s%s", err, path, tt.want)
			}
		})
	}
}

// A relative path is looked at in the program's directory, where exec
// looked for it.
func TestShebangHintResolvesInTheProgramsDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "run"), "#!/nonexistent/sh\n")
	if got, want := shebangHint("./run", dir), "check the #! line: interpreter /nonexistent/sh not found"; got != want {
		t.Fatalf("hint %q, want %q", got, want)
	}
	if got := shebangHint("./run", t.TempDir()); got != "" {
		t.Fatalf("hint for a file that is not there: %q", got)
	}
}

// The interpreter as the kernel reads it (fs/binfmt_script.c).
func TestInterpreter(t *testing.T) {
	t.Parallel()
	for head, want := range map[string]string{
		"#!/bin/sh\n":              "/bin/sh",
		"#!/bin/sh":                "/bin/sh",
		"#! /usr/bin/env bash\n":   "/usr/bin/env",
		"#!\t/bin/sh -e\n":         "/bin/sh",
		"#!/bin/sh\r\n":            "/bin/sh\r",
		"#!/bin/sh -e\r\n":         "/bin/sh",
		"#!/bin/sh\x00junk\n":      "/bin/sh",
		"#!\n/bin/sh\n":            "",
		"#!   \n":                  "",
		"":                         "",
		"\x7fELF\x02\x01\x01":      "",
		" #!/bin/sh\n":             "",
		"#/bin/sh\n":               "",
		"#!/opt/x y\n#!/bin/sh\n":  "/opt/x",
		"#!/nonexistent/bash\r\n ": "/nonexistent/bash\r",
	} {
		if got := interpreter([]byte(head)); got != want {
			t.Errorf("interpreter(%q) = %q, want %q", head, got, want)
		}
	}
}
