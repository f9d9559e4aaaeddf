package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dinit-dev/dinit/proc"
)

// defaultPath is the PATH searched when the environment has none: the
// one Docker sets in containers whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// lookError is a main program that cannot be run, with the shells' code:
// 127 not found, 126 found but not executable.
type lookError struct {
	prog string
	code int
	why  string
}

func (e *lookError) Error() string { return "main program " + strconv.Quote(e.prog) + ": " + e.why }

// lookPath finds what `dinit PROGRAM` executes, as execvp does: PROGRAM
// itself when it has a slash, else the first executable regular file of
// that name in path (PATH). A file found but not executable makes 126 when
// no later directory has an executable one. Nothing is executed here: the
// error comes before anything starts.
func lookPath(prog, path string) (string, error) {
	if prog == "" {
		return "", &lookError{prog, proc.ExitNotFound, "empty name"}
	}
	if strings.Contains(prog, "/") {
		if err := checkExecutable(prog); err != nil {
			return "", asLookError(prog, err)
		}
		return prog, nil
	}
	if path == "" {
		path = defaultPath
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "." // an empty entry is the working directory, as for execvp
		}
		file := filepath.Join(dir, prog)
		err := checkExecutable(file)
		if err == nil {
			return file, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", asLookError(prog, denied)
	}
	return "", &lookError{prog, proc.ExitNotFound, "not found in PATH"}
}

// checkExecutable: a file we may execute, not a directory (access(X_OK),
// which root passes only when some execute bit is set).
func checkExecutable(file string) error {
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return errIsDir
	}
	if err := syscall.Access(file, 1 /* X_OK */); err != nil {
		return &fs.PathError{Op: "access", Path: file, Err: err}
	}
	return nil
}

var errIsDir = errors.New("is a directory")

func asLookError(prog string, err error) error {
	code := proc.ExitNotExecutable
	why := "not executable: " + err.Error()
	if errors.Is(err, fs.ErrNotExist) {
		code, why = proc.ExitNotFound, "not found"
	}
	return &lookError{prog, code, why}
}
