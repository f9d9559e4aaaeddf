package integration

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// dinit's stdout may be a socket that keeps message boundaries (a log
// collector reading one record per message): each line is then one
// message, and no batch of lines is refused as too long for the socket.
func TestMessageSocketStdout(t *testing.T) {
	t.Parallel()
	requireMode(t, subreaper)
	for _, typ := range []struct {
		name string
		typ  int
	}{{"seqpacket", syscall.SOCK_SEQPACKET}, {"dgram", syscall.SOCK_DGRAM}} {
		t.Run(typ.name, func(t *testing.T) {
			t.Parallel()
			const n = 20000
			msgs := runWithSocketStdout(t, typ.typ, fmt.Sprintf("i=1\nwhile [ $i -le %d ]; do echo \"line $i\"; i=$((i+1)); done\n", n))
			if len(msgs) != n {
				t.Fatalf("%d messages for %d lines", len(msgs), n)
			}
			for i, m := range msgs {
				if want := fmt.Sprintf("TS web/run: line %d\n", i+1); normalize(m) != want {
					t.Fatalf("message %d is %q, want %q", i, m, want)
				}
			}
		})
	}
}

// runWithSocketStdout runs dinit (not as PID 1) on one service whose run
// script is body, with stdout one end of a socketpair of type typ, and
// returns the messages received on the other end, in order.
func runWithSocketStdout(t *testing.T, typ int, body string) []string {
	t.Helper()
	sp, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	theirs := os.NewFile(uintptr(sp[1]), "stdout")
	defer theirs.Close()
	defer syscall.Close(sp[0])
	dir := filepath.Join(t.TempDir(), "service")
	writeTree(t, dir, tree{"web/run": script(body)})
	cmd := exec.Command(dinitBin)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "DINIT_DIR=" + dir, "DINIT_TEST_BIN=" + helperBin, "DINIT_JSON_STDOUT=0"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = theirs, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	theirs.Close()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	msgs, err := receiveUntil(sp[0], exited, exitTimeout)
	if err == nil {
		select {
		case <-exited:
		case <-time.After(exitTimeout):
			err = fmt.Errorf("dinit did not exit within %v", exitTimeout)
		}
	}
	if err != nil || cmd.ProcessState.ExitCode() != 0 {
		killSession(cmd.Process.Pid)
		t.Fatalf("%v; dinit: %v; stderr:\n%s", err, cmd.ProcessState, stderr.String())
	}
	return msgs
}

// receiveUntil receives messages on fd until exited reports and nothing
// more is queued (a datagram socket has no end of file).
func receiveUntil(fd int, exited <-chan struct{}, timeout time.Duration) ([]string, error) {
	tv := syscall.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return nil, err
	}
	var msgs []string
	buf := make([]byte, 1<<20)
	done := false
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); {
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		switch {
		case n > 0:
			msgs = append(msgs, string(buf[:n]))
			continue
		case err == nil || done: // end of file, or nothing left after the exit
			return msgs, nil
		case err != syscall.EAGAIN && err != syscall.EINTR:
			return msgs, err
		}
		select {
		case <-exited:
			done = true
		default:
		}
	}
	return msgs, fmt.Errorf("dinit did not exit within %v (%d messages)", timeout, len(msgs))
}
