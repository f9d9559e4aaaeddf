package sys

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// An fd we inherit without close-on-exec (the child's fd 3, from
// ExtraFiles) becomes close-on-exec; stdin, stdout and stderr stay
// inheritable, as every program we start needs them.
func TestMarkInheritedCloexec(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	got := runChild(t, "cloexec", w)
	want := "fd 3 before: inherited\nfd 3 after: cloexec\nstdio: inherited inherited inherited\nabove stderr: all cloexec\n"
	if got != want {
		t.Fatalf("child said\n%s\nwant\n%s", got, want)
	}
}

// cloexecChild runs in the child: it reports fd 3's flag before and after
// MarkInheritedCloexec, those of fds 0 to 2, and whether every fd above 2
// is close-on-exec then.
func cloexecChild() string {
	var b strings.Builder
	b.WriteString("fd 3 before: " + cloexecWord(3) + "\n")
	MarkInheritedCloexec()
	b.WriteString("fd 3 after: " + cloexecWord(3) + "\n")
	b.WriteString("stdio: " + cloexecWord(0) + " " + cloexecWord(1) + " " + cloexecWord(2) + "\n")
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return err.Error()
	}
	open := ""
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		// The directory's own fd is closed by now: "closed" is no leak.
		if w := cloexecWord(fd); fd > 2 && w != "cloexec" && w != "closed" {
			open += " " + e.Name()
		}
	}
	if open == "" {
		open = " all cloexec"
	}
	b.WriteString("above stderr:" + open + "\n")
	return b.String()
}

func cloexecWord(fd int) string {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	switch {
	case err != nil:
		return "closed"
	case fl&unix.FD_CLOEXEC != 0:
		return "cloexec"
	}
	return "inherited"
}
