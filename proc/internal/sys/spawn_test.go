package sys

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fdNames lists a process's open fds and what each names.
func fdNames(t *testing.T, pid int) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(procPath(pid, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, e := range ents {
		names[e.Name()], _ = os.Readlink(procPath(pid, "fd/"+e.Name()))
	}
	return names
}

// The child has exactly fds 0, 1 and 2, the ones of the Spec (once our
// inherited fds are close-on-exec, as dinit makes them at start), its own
// process group, its directory, exactly its environment and argv[0] = Path;
// and it runs: it answers on its stdout what it reads on its stdin.
func TestSpawnGivesTheChildItsSpec(t *testing.T) {
	MarkInheritedCloexec() // as dinit does first: `go test` may leak fds to us
	inR, inW, err := PlainPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(inR, inW)
	outR, outW, err := Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(outR, outW)
	devnull, err := OpenDevNull()
	if err != nil {
		t.Fatal(err)
	}
	defer Close(devnull)
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"A=1", "B=two words", "PATH=/usr/bin:/bin"}
	pid, pidfd, err := Spawn(Spec{Path: "/bin/sh", Dir: dir, Env: env, Stdin: inR, Stdout: outW, Stderr: devnull}, false)
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, pid)
	if pidfd != -1 {
		t.Fatalf("pidfd %d without asking for one", pidfd)
	}
	ours := fdNames(t, os.Getpid())
	want := map[string]string{"0": ours[strconv.Itoa(inR)], "1": ours[strconv.Itoa(outW)], "2": "/dev/null"}
	if got := fdNames(t, pid); !maps.Equal(got, want) {
		t.Fatalf("child's fds %v, want %v", got, want)
	}
	if pgid, err := unix.Getpgid(pid); err != nil || pgid != pid {
		t.Fatalf("process group %d (%v), want its own (%d)", pgid, err, pid)
	}
	if cwd, err := os.Readlink(procPath(pid, "cwd")); err != nil || cwd != dir {
		t.Fatalf("directory %q (%v), want %q", cwd, err, dir)
	}
	if b, err := os.ReadFile(procPath(pid, "environ")); err != nil || string(b) != strings.Join(env, "\x00")+"\x00" {
		t.Fatalf("environment %q (%v), want %q", b, err, env)
	}
	if b, err := os.ReadFile(procPath(pid, "cmdline")); err != nil || string(b) != "/bin/sh\x00" {
		t.Fatalf("command line %q (%v)", b, err)
	}
	writeAll(t, inW, `echo "$A|$B|$(pwd)"`+"\n")
	if got := readLine(t, outR); got != "1|two words|"+dir+"\n" {
		t.Fatalf("the child said %q", got)
	}
	Close(inW)
	waitExited(t, pid)
	if st, ok := Reap(pid); !ok || st != (ExitStatus{}) {
		t.Fatalf("reap = %+v, %v", st, ok)
	}
}

// readLine reads from a nonblocking fd until a newline, for at most 5 s.
func readLine(t *testing.T, fd int) string {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	for !strings.HasSuffix(string(got), "\n") {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 5000); err != nil && !errors.Is(err, unix.EINTR) || n == 0 {
			t.Fatalf("no line within 5 s; got %q (%v)", got, err)
		}
		n, err := unix.Read(fd, buf)
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			t.Fatal(err)
		}
		if n == 0 && err == nil {
			t.Fatalf("EOF after %q", got)
		}
		got = append(got, buf[:max(n, 0)]...)
	}
	return string(got)
}

// Asked for one, the pidfd names the child (its fdinfo says which PID)
// and is close-on-exec: no other program inherits it.
func TestSpawnPidfdNamesTheChild(t *testing.T) {
	if !PidfdSupported() {
		t.Skip("pidfd_open refused here: spawn gives -1 (TestSpawnGivesTheChildItsSpec)")
	}
	pid, pidfd, _ := blockedShell(t, true)
	if pidfd < 0 {
		t.Fatal("no pidfd")
	}
	info, err := os.ReadFile(procPath(os.Getpid(), "fdinfo/"+strconv.Itoa(pidfd)))
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nPid:\t" + strconv.Itoa(pid) + "\n"; !strings.Contains(string(info), want) {
		t.Fatalf("fdinfo of the pidfd:\n%s\nwant a line %q", info, want[1:])
	}
	if fdfl, _ := fdFlags(t, pidfd); fdfl&unix.FD_CLOEXEC == 0 {
		t.Fatal("the pidfd is inheritable")
	}
}

// The error wraps the cause, for errors.Is, and names the path.
func TestSpawnErrorUnwraps(t *testing.T) {
	_, pidfd, err := Spawn(Spec{Path: "/", Dir: "/"}, true)
	var se *SpawnError
	if !errors.As(err, &se) || se.Path != "/" || !errors.Is(err, unix.EACCES) || pidfd != -1 {
		t.Fatalf("err = %v (%T), pidfd %d; want a SpawnError of / for EACCES, -1", err, err, pidfd)
	}
	if err.Error() != "fork/exec /: permission denied" {
		t.Fatalf("err = %q", err)
	}
}

// Extra lands at ExtraAt; the fds between 2 and it are closed (-1).
func TestSpecFilesPlaceExtra(t *testing.T) {
	none := ^uintptr(0)
	for _, tt := range []struct {
		spec Spec
		want []uintptr
	}{
		{Spec{Stdin: 7, Stdout: 8, Stderr: 9}, []uintptr{7, 8, 9}},
		{Spec{Stdin: 7, Stdout: 8, Stderr: 9, Extra: 11, ExtraAt: 3}, []uintptr{7, 8, 9, 11}},
		{Spec{Stdin: 7, Stdout: 8, Stderr: 9, Extra: 11, ExtraAt: 5}, []uintptr{7, 8, 9, none, none, 11}},
	} {
		if got := tt.spec.files(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: files %v, want %v", tt.spec, got, tt.want)
		}
	}
}
