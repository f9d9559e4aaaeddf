package sys

import (
	"bytes"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A script whose #! interpreter is missing fails exec with ENOENT, the
// error of a missing file: "fork/exec /etc/service/web/run: no such file
// or directory" for a file that is there. The usual causes are an
// interpreter the image lacks (bash in an alpine or distroless image) and
// a script saved with CRLF line endings, whose interpreter is then
// "/bin/sh\r". When exec fails with ENOENT, Spawn looks at the file's
// first line and says which.

// shebangMax is how much of the file is read: the kernel itself reads at
// most BINPRM_BUF_SIZE (256) bytes of a #! line.
const shebangMax = 256

// shebangHint says why exec of path failed with ENOENT when the file is a
// script whose interpreter is missing; "" when it is not (no file, no #!
// line, an interpreter that is there). dir is the directory the child
// changed to: relative paths resolve there, as they did for exec.
func shebangHint(path, dir string) string {
	interp := interpreter(firstBytes(inDir(path, dir)))
	switch {
	case interp == "":
		return ""
	case interp[len(interp)-1] == '\r':
		return "check the #! line: CRLF line ending"
	case missing(inDir(interp, dir)):
		return "check the #! line: interpreter " + interp + " not found"
	}
	return ""
}

// interpreter is the interpreter a #! line names, as the kernel reads it
// (fs/binfmt_script.c): after "#!" and blanks, up to a blank, a NUL or the
// end of the line. A carriage return is not a blank: it stays in the name.
// (Plain loops: bytes.IndexAny and TrimLeft would link 4 KiB of UTF-8.)
func interpreter(head []byte) string {
	line, ok := bytes.CutPrefix(head, []byte("#!"))
	if !ok {
		return ""
	}
	start := 0
	for start < len(line) && (line[start] == ' ' || line[start] == '\t') {
		start++
	}
	end := start
	for end < len(line) && !endsName(line[end]) {
		end++
	}
	return string(line[start:end])
}

func endsName(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == 0 }

// firstBytes reads the start of a file; nil when it cannot. O_NONBLOCK:
// whatever the path names by now (a FIFO), the loop's thread must not
// block on it.
func firstBytes(path string) []byte {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	defer Close(fd)
	buf := make([]byte, shebangMax)
	n, err := unix.Read(fd, buf)
	if err != nil || n <= 0 {
		return nil
	}
	return buf[:n]
}

// missing reports that nothing is at path (the error exec met), not that
// it could not be looked at.
func missing(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == unix.ENOENT
}

func inDir(path, dir string) string {
	if dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
