package sys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Our own /proc names us as self.
func TestOwnRealProc(t *testing.T) {
	t.Parallel()
	if err := RealProc.Own(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	if err := RealProc.Own(os.Getpid() + 1); !errors.Is(err, ErrForeignProc) {
		t.Fatalf("another PID as self: %v, want ErrForeignProc", err)
	}
}

// A tree whose self is another process is foreign: nothing in it is read,
// however much is there. A tree without self is an error of its own.
func TestOwnFakeProc(t *testing.T) {
	t.Parallel()
	foreign := fakeProc(t, map[string]string{
		"self/stat":  "1 (init) S 0", // fakeProc makes no self link
		"40/cmdline": "/usr/bin/sleep\x00100\x00",
		"40/comm":    "sleep\n",
	})
	if err := os.RemoveAll(filepath.Join(foreign.Root, "self")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1", filepath.Join(foreign.Root, "self")); err != nil {
		t.Fatal(err)
	}
	if err := foreign.Own(os.Getpid()); !errors.Is(err, ErrForeignProc) {
		t.Fatalf("self -> 1: %v, want ErrForeignProc", err)
	}
	if err := foreign.Own(1); err != nil {
		t.Fatalf("self -> 1 for PID 1: %v", err)
	}
	if cmdline, name := foreign.Describe(40); cmdline != "" || name != "unknown" {
		t.Fatalf("Describe on a foreign tree = %q, %q; want \"\", \"unknown\"", cmdline, name)
	}
	missing := Proc{Root: t.TempDir()}
	if err := missing.Own(os.Getpid()); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrForeignProc) {
		t.Fatalf("no self: %v, want not-exist", err)
	}
	ours := fakeProc(t, map[string]string{"40/cmdline": "/usr/bin/sleep\x00100\x00"})
	if link, _ := os.Readlink(filepath.Join(ours.Root, "self")); link != strconv.Itoa(os.Getpid()) {
		t.Fatalf("fakeProc's self -> %q", link)
	}
	if err := ours.Own(os.Getpid()); err != nil {
		t.Fatal(err)
	}
}
