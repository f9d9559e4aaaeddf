//go:build amd64 || arm64

package proc

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The adopt policy end to end inside one supervisor: the orphan's stdout
// is handled as JSON, its stderr prefixed, both attributed sh/<pid>; the
// lines of its child (inherited stdout) too; its end is reaped and starts
// the shutdown.
func TestAdoptOutputIsLoggedAsNamePid(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true, KillTimeout: time.Second})
	inR, inW := injPipe(t)
	_, oldW := injPipe(t)
	pid := ptStart(t, inR, oldW, oldW, "/bin/sh", "-c",
		`read x; (echo '{"from":"child"}') & wait; echo "{\"msg\":\"$x\"}"; echo plain; echo oops >&2; exit 0`)
	ptWaitBlocked(t, pid, "sh")
	s.takeReparented(pid)
	adoptAll(t, s)
	n := strconv.Itoa(pid)
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": adopting reparented child process with PID "+n+": /bin/sh -c "+
		`read x; (echo '{"from":"child"}') & wait; echo "{\"msg\":\"$x\"}"; echo plain; echo oops >&2; exit 0`)
	_, _ = unix.Write(inW, []byte("hi\n"))
	runToEnd(t, s)
	out := tsRe.ReplaceAllString(string(s.out.stdout.buf), "TS")
	want := `{"from":"child","service":"sh","stage":"` + n + `","logged":"TS"}` + "\n" +
		`{"msg":"hi","service":"sh","stage":"` + n + `","logged":"TS"}` + "\n"
	if out != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out, want)
	}
	// The end and the last lines race (reaping, reading): any order.
	got := messages(s)
	wantErr := []string{
		"TS dinit: info: sh/" + n + ": PID " + n + " finished with status 0",
		"TS dinit: warning: sh/" + n + ": not JSON stdout: plain",
		"TS sh/" + n + ": oops",
	}
	slices.Sort(got)
	if !slices.Equal(got, wantErr) {
		t.Fatalf("stderr:\n%s\nwant (any order):\n%s", strings.Join(got, "\n"), strings.Join(wantErr, "\n"))
	}
}

// Another user's orphan while we lack CAP_SYS_PTRACE (Docker's default
// capabilities): a warning says why, and the process stays adopted,
// waited for, its output where it was.
func TestAdoptOutputWithoutCapabilityWarns(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true, KillTimeout: time.Second})
	pid := ptStartAttr(t, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}},
		-1, -1, -1, "/bin/sleep", "100")
	ptWaitBlocked(t, pid, "sleep")
	ptDropPtraceCap(t)
	s.takeReparented(pid)
	adoptAll(t, s)
	n := strconv.Itoa(pid)
	expectMessages(t, s,
		"TS dinit: warning: sleep/"+n+": adopting reparented child process with PID "+n+": /bin/sleep 100",
		"TS dinit: warning: sleep/"+n+": cannot redirect output of PID "+n+": readlink /proc/"+n+"/fd/1: permission denied")
	if p := s.procs[pid]; p == nil || p.role != roleAdopted {
		t.Fatalf("not adopted: %+v", p)
	}
	_ = unix.Kill(pid, unix.SIGTERM)
	runToEnd(t, s)
	expectMessages(t, s, "TS dinit: info: sleep/"+n+": PID "+n+" finished with signal 15")
}

// An orphan that ended before we could redirect it: a warning, then the
// reaper collects it as usual.
func TestAdoptOutputOfAZombieWarns(t *testing.T) {
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true, KillTimeout: time.Second})
	pid := ptStart(t, -1, -1, -1, "/bin/sh", "-c", "exit 4")
	ptWaitState(t, pid, 'Z')
	n := strconv.Itoa(pid)
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleAdopted, label: "sh/" + n}
	s.procs[pid] = p
	s.adoptOutput(p, "sh")
	adoptAll(t, s)
	expectMessages(t, s, "TS dinit: warning: sh/"+n+": cannot redirect output of PID "+n+": the process has ended (zombie)")
	runToEnd(t, s)
	expectMessages(t, s, "TS dinit: info: sh/"+n+": PID "+n+" finished with status 4")
}

// A descendant that must not be touched (here: it runs under a seccomp
// filter of its own, which could kill it for our calls) is named in a
// warning; the adopted process itself is redirected.
func TestAdoptOutputDescendantWarning(t *testing.T) {
	ptNeedRoot(t)
	ptLock(t)
	s := newUnitSupervisor(t, Config{Level: LevelInfo, Policy: PolicyAdopt, JSON: true, KillTimeout: time.Second})
	_, oldW := injPipe(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	inR, _ := injPipe(t) // the helper blocks reading it
	pid := ptStartAttr(t, &syscall.SysProcAttr{}, inR, oldW, oldW, "/usr/bin/env", ptHelperEnv+"=seccomp",
		"/bin/sh", "-c", `exec 3<&0; "$0" -test.run='^$' <&3 3<&- & wait`, exe)
	var kid int
	for deadline := time.Now().Add(5 * time.Second); kid == 0 || procState(kid, kid) != 'S'; time.Sleep(time.Millisecond) {
		if kids, _ := children(pid); len(kids) == 1 && commOf(pid) == "sh" {
			kid = kids[0]
		}
		if time.Now().After(deadline) {
			t.Fatal("no helper")
		}
	}
	for deadline := time.Now().Add(5 * time.Second); statusField(kid, kid, "Seccomp") != "2"; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the helper's seccomp filter is not in place")
		}
	}
	defer unix.Kill(kid, unix.SIGKILL)
	p := &process{sup: s, pid: pid, pidfd: -1, role: roleAdopted, label: "sh/" + strconv.Itoa(pid)}
	s.procs[pid] = p
	s.adoptOutput(p, "sh")
	adoptAll(t, s)
	expectMessages(t, s, "TS dinit: warning: sh/"+strconv.Itoa(pid)+": cannot redirect output of a descendant, PID "+
		strconv.Itoa(kid)+": the process runs under a seccomp filter of its own")
	if ours, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/1"); ours == injTarget(t, oldW) {
		t.Fatal("the adopted process was not redirected")
	}
	if theirs, _ := os.Readlink("/proc/" + strconv.Itoa(kid) + "/fd/1"); theirs != injTarget(t, oldW) {
		t.Fatalf("the filtered descendant was touched: %s", theirs)
	}
}
