package sys

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// list lists with l and wants exactly want, in that order.
func list(t *testing.T, l *ChildLister, p Proc, pid int, want ...int) {
	t.Helper()
	got, err := l.List(p, pid)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("List = %v, %v; want %v", got, err, want)
	}
}

// tids are the threads the lister knows, and how many of their files it
// holds open.
func tids(l *ChildLister) (tids []int, open int) {
	for _, th := range l.threads {
		tids = append(tids, th.tid)
		if th.fd >= 0 {
			open++
		}
	}
	return tids, open
}

// One lister over the listings of a fake tree: the files it holds open are
// read again (a rewritten list shows), a thread that appears is read, one
// that is gone is closed and dropped, one without a children file (it
// ended between the directory and the open) is passed over; threads are
// read in numeric order.
func TestChildListerFollowsTheThreads(t *testing.T) {
	t.Parallel()
	p := fakeProc(t, map[string]string{
		"1/task/1/children":  "10 11 ",
		"1/task/10/children": "12\n",
		"1/task/9/children":  "",
	})
	write := func(name, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(p.Root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.Root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var l ChildLister
	defer l.Close()
	list(t, &l, p, 1, 10, 11, 12)
	write("1/task/1/children", "11 ")
	list(t, &l, p, 1, 11, 12)
	write("1/task/5/children", "13 14 ")
	write("1/task/7/stat", "7 (ended) X 1")
	list(t, &l, p, 1, 11, 13, 14, 12)
	if err := os.RemoveAll(filepath.Join(p.Root, "1/task/10")); err != nil {
		t.Fatal(err)
	}
	list(t, &l, p, 1, 11, 13, 14)
	if got, open := tids(&l); !slices.Equal(got, []int{1, 5, 7, 9}) || open != 3 {
		t.Fatalf("threads %v with %d files open; want [1 5 7 9], 3 (7 has none)", got, open)
	}
	l.Close()
	if got, open := tids(&l); len(got) != 0 || open != 0 || l.taskOpen {
		t.Fatalf("closed, still: threads %v, task directory %v", got, l.taskOpen)
	}
	list(t, &l, p, 1, 11, 13, 14) // after Close: opened again
}

// Another tree or process than the last listing's starts over; a tree
// whose main thread has no children file (a kernel without
// CONFIG_PROC_CHILDREN) is read by stat; a missing process is os.ReadDir's
// error, and nothing stays open.
func TestChildListerAnotherTree(t *testing.T) {
	t.Parallel()
	a := fakeProc(t, map[string]string{"1/task/1/children": "10", "2/task/2/children": "20"})
	b := fakeProc(t, map[string]string{
		"1/task/1/stat":     "1 (dinit) S 0",
		"1/task/2/children": "30", // not read: the main thread's file decides
		"21/stat":           "21 (kid) S 1",
		"22/stat":           "22 (other) S 21",
	})
	var l ChildLister
	defer l.Close()
	list(t, &l, a, 1, 10)
	list(t, &l, a, 2, 20)
	list(t, &l, b, 1, 21)
	got, err := l.List(a, 7)
	want := "open " + filepath.Join(a.Root, "7", "task") + ": no such file or directory"
	if got != nil || err == nil || err.Error() != want || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("List of a missing process = %v, %v; want %q", got, err, want)
	}
	if th, _ := tids(&l); len(th) != 0 || l.taskOpen {
		t.Fatalf("after a failed listing: threads %v, task directory open %v", th, l.taskOpen)
	}
}

// Own, and Proc.Own which calls it, say exactly these words.
func TestChildListerOwnIsProcOwn(t *testing.T) {
	t.Parallel()
	ours := fakeProc(t, nil)
	foreign := fakeProc(t, map[string]string{"self/stat": "1 (init) S 0"})
	if err := os.RemoveAll(filepath.Join(foreign.Root, "self")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1", filepath.Join(foreign.Root, "self")); err != nil {
		t.Fatal(err)
	}
	long := fakeProc(t, map[string]string{"self/stat": ""})
	if err := os.RemoveAll(filepath.Join(long.Root, "self")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(strconv.Itoa(os.Getpid())+"/../../../../../../../..", filepath.Join(long.Root, "self")); err != nil {
		t.Fatal(err)
	}
	missing := Proc{Root: t.TempDir()}
	var l ChildLister
	for _, c := range []struct {
		p    Proc
		self int
		want string
	}{
		{ours, os.Getpid(), ""},
		{ours, os.Getpid() + 1, ErrForeignProc.Error()},
		{foreign, os.Getpid(), ErrForeignProc.Error()},
		{foreign, 1, ""},
		{long, os.Getpid(), ErrForeignProc.Error()},
		{missing, os.Getpid(), "readlink " + filepath.Join(missing.Root, "self") + ": no such file or directory"},
		{RealProc, os.Getpid(), ""},
	} {
		got, old := errText(l.Own(c.p, c.self)), errText(c.p.Own(c.self))
		if got != c.want || old != c.want {
			t.Errorf("Own(%s, %d) = %q, Proc.Own %q; want %q", c.p.Root, c.self, got, old, c.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// lockedThread is a goroutine locked to its thread: it runs what it is
// given there, and its end ends the thread (it never unlocks).
type lockedThread struct {
	tid  int
	do   chan func()
	done chan struct{}
}

func startLocked(t *testing.T) *lockedThread {
	t.Helper()
	lt := &lockedThread{do: make(chan func()), done: make(chan struct{})}
	tid := make(chan int)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with us
		tid <- unix.Gettid()
		for f := range lt.do {
			f()
			lt.done <- struct{}{}
		}
	}()
	lt.tid = <-tid
	return lt
}

func (lt *lockedThread) run(f func()) { lt.do <- f; <-lt.done }

// end ends the goroutine, and with it its thread: waited for (bounded)
// until the thread is gone from /proc.
func (lt *lockedThread) end(t *testing.T) {
	t.Helper()
	close(lt.do)
	dir := procPath(os.Getpid(), "task/"+strconv.Itoa(lt.tid))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d still there", lt.tid)
		}
	}
}

// newThread is a locked thread the lister has not seen: threads are locked
// (and kept) until the runtime has to start a new one; the others are let
// go at the end of the test (not waited for: the main thread, if it is
// one of them, never ends).
func newThread(t *testing.T, l *ChildLister) *lockedThread {
	t.Helper()
	known, _ := tids(l)
	for range 64 {
		lt := startLocked(t)
		if !slices.Contains(known, lt.tid) {
			return lt
		}
		t.Cleanup(func() { close(lt.do) })
	}
	t.Fatal("no new thread after 64 locked ones")
	return nil
}

// sleeper starts `sleep 1000` from the calling thread (a child attaches to
// the thread that forked it).
func sleeper() (int, error) {
	return syscall.ForkExec("/bin/sleep", []string{"sleep", "1000"}, &syscall.ProcAttr{Env: []string{}})
}

// On the real /proc: a child forked by a thread that appeared since the
// last listing is listed; once that thread ended, its child (now attached
// to another of our threads) is listed once, and the ended thread's file is
// closed. Every file held is close-on-exec; Close leaves no descriptor.
// Not parallel: it starts children and ends threads.
func TestChildListerOnRealThreads(t *testing.T) {
	self := os.Getpid()
	fds := fdCount(t)
	var l ChildLister
	before, err := l.List(RealProc, self)
	if err != nil {
		t.Fatal(err)
	}
	before = slices.Clone(before)
	ours := kid(t, -1, "/bin/sleep", "1000")
	lt := newThread(t, &l)
	var theirs int
	lt.run(func() { theirs, err = sleeper() })
	if err != nil {
		t.Fatal(err)
	}
	reapAtEnd(t, theirs)
	if b, _ := os.ReadFile(procPath(self, "task/"+strconv.Itoa(lt.tid)+"/children")); string(b) != strconv.Itoa(theirs)+" " {
		t.Fatalf("the new thread's children: %q, want %d", b, theirs)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(before), ours, theirs)))
	sameChildren(t, &l, want)
	lt.end(t)
	sameChildren(t, &l, want)
	if th, _ := tids(&l); slices.Contains(th, lt.tid) {
		t.Fatalf("the ended thread %d is still held: %v", lt.tid, th)
	}
	for _, th := range l.threads {
		if fl, _ := fdFlags(t, th.fd); fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("thread %d's file (fd %d) is not close-on-exec", th.tid, th.fd)
		}
	}
	if fl, _ := fdFlags(t, l.task); fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("the task directory (fd %d) is not close-on-exec", l.task)
	}
	l.Close()
	if n := fdCount(t); n != fds {
		t.Fatalf("%d descriptors after Close, %d before the first listing", n, fds)
	}
}

// sameChildren lists with l and wants want, in any order; a listing again
// wants it too, and opens no file of a thread it knew (its directory kept
// its inode number: no tid was taken for a new thread's).
func sameChildren(t *testing.T, l *ChildLister, want []int) {
	t.Helper()
	for range 2 {
		known := slices.Clone(l.threads)
		got, err := l.List(RealProc, os.Getpid())
		if got = slices.Sorted(slices.Values(got)); err != nil || !slices.Equal(got, want) {
			t.Fatalf("List = %v, %v; want %v", got, err, want)
		}
		for _, th := range l.threads {
			i := slices.IndexFunc(known, func(k thread) bool { return k.tid == th.tid })
			if i >= 0 && known[i].fd >= 0 && (known[i].fd != th.fd || known[i].ino != th.ino) {
				t.Fatalf("thread %d: fd %d, inode %d; was %d, %d", th.tid, th.fd, th.ino, known[i].fd, known[i].ino)
			}
		}
	}
}

// fdCount is how many descriptors the test process holds (the runtime's
// poller started first: the directory's read may start it).
func fdCount(t *testing.T) int {
	t.Helper()
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
