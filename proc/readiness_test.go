package proc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// untilTrue runs turns of the relay and the readiness pipes until cond
// holds, or fails the test after 10 s.
func untilTrue(t *testing.T, s *Supervisor, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 10 s; messages:\n%s", what, strings.Join(messages(s), "\n"))
		}
		pollOnce(t, s)
		if s.readyPending {
			s.checkReadiness()
		}
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "go")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fdsOf lists the fds a process holds, sorted.
func fdsOf(t *testing.T, pid int) []string {
	t.Helper()
	fds := procFds(t, pid)
	slices.Sort(fds)
	return fds
}

// A run with notification-fd 5 gets our pipe as fd 5 (and no fd 3 or 4);
// bytes without a newline do not make it ready, the newline does: said at
// info, and check turns healthy. A service without the file is ready once
// started.
func TestReadinessFromNotificationFd(t *testing.T) {
	fifo := mkfifo(t)
	dir := writeService(t, map[string]string{
		"web/run":             "#!/bin/sh\nprintf starting >&5\nread x < " + fifo + "\nprintf ' up\\n' >&5\nexec sleep 1000\n",
		"web/notification-fd": "5\n",
		"db/run":              "#!/bin/sh\nexec sleep 1000\n",
	})
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	svcs := startDir(t, s, dir)
	db, web := svcs[0], svcs[1]
	if fds := fdsOf(t, db.run.pid); slices.Contains(fds, "5") {
		t.Fatalf("db/run has fd 5: %v", fds)
	}
	if !db.isReady() || web.isReady() {
		t.Fatalf("ready: db %v web %v", db.isReady(), web.isReady())
	}
	if got := string(s.Answer("check")); got != "1\nweb/run: not ready (notification-fd 5)\n" {
		t.Fatalf("check before: %q", got)
	}
	messages(s) // the start
	if err := os.WriteFile(fifo, []byte("go\n"), 0); err != nil {
		t.Fatal(err)
	}
	untilTrue(t, s, "readiness", web.isReady)
	expectMessages(t, s, "TS dinit: info: web/run: ready")
	if web.ready.fd != -1 {
		t.Fatalf("the readiness pipe is still open: fd %d", web.ready.fd)
	}
	if got := string(s.Answer("check")); got != "0\n" {
		t.Fatalf("check after: %q", got)
	}
	// fd 5 is our pipe; 3 and 4 are closed. Until run has become sleep,
	// and while sleep starts up, fds come and go (dash opens a
	// redirection's file at the lowest free fd; sleep's libc opens its
	// locale there for a moment): looked at again for a while, so that
	// only an fd that stays fails the test.
	var fds []string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("web/run's fds when last looked at: %v", fds)
		}
	})
	untilTrue(t, s, "web/run with fd 5 and neither 3 nor 4", func() bool {
		fds = fdsOf(t, web.run.pid)
		return slices.Contains(fds, "5") && !slices.Contains(fds, "3") && !slices.Contains(fds, "4")
	})
}

// A run that closes its notification fd without a newline never becomes
// ready; the pipe is closed at EOF.
func TestReadinessEOFWithoutNewline(t *testing.T) {
	dir := writeService(t, map[string]string{
		"web/run":             "#!/bin/sh\nprintf nope >&3\nexec 3>&-\necho closed\nexec sleep 1000\n",
		"web/notification-fd": "3",
	})
	s := newUnitSupervisor(t, Config{Level: LevelInfo})
	killProcsAtEnd(t, s)
	web := startDir(t, s, dir)[0]
	untilTrue(t, s, "EOF of the readiness pipe", func() bool { return web.ready.fd == -1 })
	if web.isReady() {
		t.Fatal("ready without a newline")
	}
	if got := string(s.Answer("check")); got != "1\nweb/run: not ready (notification-fd 3)\n" {
		t.Fatalf("check: %q", got)
	}
}

func TestNotificationFdValues(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notification-fd")
	if n, err := readNotificationFd(path); n != 0 || err != nil {
		t.Fatalf("no file: %d, %v", n, err)
	}
	for _, tt := range []struct{ in, err string }{
		{"3", ""}, {" 7 \n", ""}, {"1023", ""},
		{"2", `: invalid value "2": want a whole number from 3 to 1023`},
		{"1024", `: invalid value "1024": want a whole number from 3 to 1023`},
		{"abc\n", `: invalid value "abc": want a whole number from 3 to 1023`},
		{"", `: invalid value "": want a whole number from 3 to 1023`},
		{"0x5", `: invalid value "0x5": want a whole number from 3 to 1023`},
	} {
		if err := os.WriteFile(path, []byte(tt.in), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := readNotificationFd(path)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case tt.err != "" && (err == nil || err.Error() != path+tt.err):
			t.Errorf("%q: error %v, want %s", tt.in, err, path+tt.err)
		}
	}
}

// A bad notification-fd is a configuration error: discover fails, naming
// the file and the value, before anything starts.
func TestDiscoverRefusesABadNotificationFd(t *testing.T) {
	dir := writeService(t, map[string]string{"web/run": "#!/bin/sh\n", "web/notification-fd": "1"})
	_, err := discover(dir)
	want := filepath.Join(dir, "web", "notification-fd") + `: invalid value "1": want a whole number from 3 to 1023`
	if err == nil || err.Error() != want {
		t.Fatalf("discover: %v, want %s", err, want)
	}
}
