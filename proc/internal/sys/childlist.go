package sys

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// ChildLister lists a process's children as Proc.Children does, and
// allocates nothing once it knows the process's threads: the supervisor
// lists its children every second for its whole life (and at every turn
// that reaps, during a shutdown), and its loop's steady state must not
// allocate (issue 14). The zero ChildLister is ready; a listing's result
// is valid until the next one; one goroutine at a time (the loop's).
//
// It keeps the task directory and each thread's children file open, and
// reads them again from offset 0 at every listing: a directory rewound
// lists the threads of now, and a children file is a seq_file, which
// regenerates on a read at offset 0 (checked on Linux 6.18: a child
// started or reaped since is there, or gone, at the next read). That is
// two system calls a thread instead of four, and no path walk: with 4
// threads, /proc/self's check and a listing took 29 µs (medians of
// BenchmarkChildLister), against 102 µs opening everything anew
// (BenchmarkChildren) and 247 µs before issue 14. A file is opened when
// its thread first shows up (threads.go).
//
// The descriptors are O_CLOEXEC (no program we start gets one) and Close
// releases them. While they are open, a plain umount of /proc fails with
// EBUSY ("target is busy"); umount -l works, and then Own, which reads
// /proc/self by its path at every scan, fails as it did before.
type ChildLister struct {
	root    string // the procfs and process the descriptors are of
	pid     int
	task    int      // the task directory, when taskOpen
	threads []thread // by tid
	listing uint64   // this listing's number: a thread it saw has it

	taskOpen bool
	path     []byte // the path being built
	dents    []byte // getdents64's buffer
	text     []byte // one children file
	pids     []int
	num      [20]byte // a PID in decimal
	link     [24]byte // what /proc/self names: a PID has at most 7 digits
}

// Own is Proc.Own, allocating nothing unless it fails: p's self must name
// PID self. It is read by its path every time: /proc may have been
// unmounted or covered since.
func (l *ChildLister) Own(p Proc, self int) error {
	l.path = append(append(l.path[:0], p.Root...), "/self\x00"...)
	n, errno := readlinkPath(l.path, l.link[:])
	if errno != 0 {
		return &fs.PathError{Op: "readlink", Path: filepath.Join(p.Root, "self"), Err: errno} // as os.Readlink's
	}
	if !bytes.Equal(l.link[:n], strconv.AppendInt(l.num[:0], int64(self), 10)) {
		return ErrForeignProc
	}
	return nil
}

// List lists the children of process pid: see Proc.Children. Another
// procfs or process than the last listing's closes what was open first.
func (l *ChildLister) List(p Proc, pid int) ([]int, error) {
	if p.Root != l.root || pid != l.pid {
		l.Close()
		l.root, l.pid = p.Root, pid
	}
	if err := l.readThreads(p, pid); err != nil {
		return nil, err
	}
	l.pids = l.pids[:0]
	for i := range l.threads {
		if !l.readChildren(&l.threads[i]) {
			return p.childrenByStat(pid)
		}
	}
	return l.pids, nil
}

// Close closes every descriptor the lister holds; it may list again.
func (l *ChildLister) Close() {
	for _, t := range l.threads {
		Close(t.fd)
	}
	l.threads = l.threads[:0]
	if l.taskOpen {
		_ = unix.Close(l.task)
		l.taskOpen = false
	}
}

// readChildren adds thread t's children to l.pids; false when the main
// thread has no children file. A thread that ended since the directory
// was read has no file any more (ENOENT), or its open file reads as empty:
// passed over; its children went to another of our threads, which is read
// too. The main thread (tid == pid) stays in the directory as long as its
// process has a thread, so its file missing means a kernel built without
// CONFIG_PROC_CHILDREN: every stat must be read.
func (l *ChildLister) readChildren(t *thread) bool {
	if t.fd < 0 {
		fd, errno := l.openChildren(t.tid)
		if errno != 0 {
			return errno != unix.ENOENT || t.tid != l.pid
		}
		t.fd = fd
	}
	if l.readAll(t.fd) {
		l.pids = appendPIDs(l.pids, l.text)
	}
	return true
}

// openChildren opens "<root>/<pid>/task/<tid>/children".
func (l *ChildLister) openChildren(tid int) (int, unix.Errno) {
	l.pathTo("/task/")
	l.path = append(strconv.AppendInt(l.path, int64(tid), 10), "/children\x00"...)
	return openPath(l.path, 0)
}

// readAll reads fd from offset 0 to its end into l.text, growing it when
// full (more children than ever before). A seq_file gives at most a page
// per read, so a short read is not the end; only 0 is.
func (l *ChildLister) readAll(fd int) bool {
	l.text = l.text[:0]
	for {
		if len(l.text) == cap(l.text) {
			l.text = append(l.text, make([]byte, 4096)...)[:len(l.text)]
		}
		n, err := unix.Pread(fd, l.text[len(l.text):cap(l.text)], int64(len(l.text)))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return false // as a thread that ended: passed over
		case n <= 0:
			return true
		}
		l.text = l.text[:len(l.text)+n]
	}
}

// pathTo makes l.path "<root>/<pid><rest>".
func (l *ChildLister) pathTo(rest string) {
	l.path = strconv.AppendInt(append(append(l.path[:0], l.root...), '/'), int64(l.pid), 10)
	l.path = append(l.path, rest...)
}

// appendPIDs appends the numbers among the fields of b (separated by
// ASCII white space, as bytes.Fields splits them: the kernel writes
// "10 11 "); a field that is not a number is passed over.
func appendPIDs(dst []int, b []byte) []int {
	for start := 0; start < len(b); {
		end := start
		for end < len(b) && !isSpace(b[end]) {
			end++
		}
		if n, ok := atoi(b[start:end]); ok {
			dst = append(dst, n)
		}
		start = end + 1
	}
	return dst
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

// atoi reads a decimal number of at most 18 digits (no overflow; a PID
// has at most 7), without the string strconv.Atoi would need.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
