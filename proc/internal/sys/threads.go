package sys

import (
	"cmp"
	"io"
	"io/fs"
	"slices"

	"golang.org/x/sys/unix"
)

// The threads of the process a ChildLister lists, each with its children
// file once opened. The Go runtime starts a thread now and then and ends
// none of dinit's (only a goroutine that exits locked to its thread ends
// one), so the set changes seldom: only a change opens a file or may grow
// the slice.

// thread is one thread of the listed process.
type thread struct {
	tid     int
	ino     uint64 // its directory's inode number, as the listing gave it
	fd      int    // its children file, -1 until opened
	listing uint64 // the last listing that saw it
}

// readThreads brings l.threads to the threads in the task directory now:
// a new tid is added (its file is opened when read), one that is no longer
// there is closed and dropped.
func (l *ChildLister) readThreads(p Proc, pid int) error {
	if err := l.openTask(p, pid); err != nil {
		return err
	}
	l.listing++
	if _, err := unix.Seek(l.task, 0, io.SeekStart); err != nil {
		return l.taskFailed(p, pid, "seek", err)
	}
	if l.dents == nil {
		l.dents = make([]byte, 4096) // about 150 threads a call; more take more calls
	}
	for {
		n, err := unix.Getdents(l.task, l.dents)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return l.taskFailed(p, pid, "readdirent", err)
		case n <= 0:
			l.dropUnseen()
			return nil
		}
		l.see(l.dents[:n])
	}
}

// openTask opens "<root>/<pid>/task" unless it is open.
func (l *ChildLister) openTask(p Proc, pid int) error {
	if l.taskOpen {
		return nil
	}
	l.pathTo("/task\x00")
	fd, errno := openPath(l.path, unix.O_DIRECTORY)
	if errno != 0 {
		return &fs.PathError{Op: "open", Path: p.path(pid, "task"), Err: errno} // as os.ReadDir's
	}
	l.task, l.taskOpen = fd, true
	return nil
}

// taskFailed closes everything (the next listing starts over) and says
// what failed, as os.ReadDir would.
func (l *ChildLister) taskFailed(p Proc, pid int, op string, err error) error {
	l.Close()
	return &fs.PathError{Op: op, Path: p.path(pid, "task"), Err: err}
}

// see marks the threads named in a getdents64 buffer as seen by this
// listing ("." and ".." name none).
func (l *ChildLister) see(buf []byte) {
	for {
		name, ino, size := nextDirent(buf)
		if size == 0 {
			return
		}
		if tid, ok := atoi(name); ok {
			l.saw(tid, ino)
		}
		buf = buf[size:]
	}
}

// saw marks thread tid as seen, adding it when new. A directory with
// another inode number than before is another thread's under the same tid
// (the tid came again after the PID space wrapped: proc made a new
// directory), or the first directory was not yet held by an open file when
// the listing read it: its file is opened again, at worst once too often.
func (l *ChildLister) saw(tid int, ino uint64) {
	i, found := slices.BinarySearchFunc(l.threads, tid, func(t thread, tid int) int { return cmp.Compare(t.tid, tid) })
	if !found { // by hand: slices.Insert is 2 KB of binary
		l.threads = append(l.threads, thread{})
		copy(l.threads[i+1:], l.threads[i:])
		l.threads[i] = thread{tid: tid, ino: ino, fd: -1}
	}
	t := &l.threads[i]
	if t.ino != ino {
		Close(t.fd)
		t.fd, t.ino = -1, ino
	}
	t.listing = l.listing
}

// dropUnseen closes and drops the threads this listing did not see: they
// ended.
func (l *ChildLister) dropUnseen() {
	kept := l.threads[:0]
	for _, t := range l.threads {
		if t.listing == l.listing {
			kept = append(kept, t)
		} else {
			Close(t.fd)
		}
	}
	l.threads = kept
}
