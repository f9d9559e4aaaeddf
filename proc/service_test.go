package proc

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func serviceNames(svcs []*service) []string {
	var names []string
	for _, s := range svcs {
		names = append(names, s.name)
	}
	return names
}

// Name order is byte order; dot names, plain files, FIFOs, symlinks to
// files and dangling symlinks are skipped; a symlink to a directory is a
// service under the link's own name and path.
func TestDiscoverEntries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"b2", "b10", "a_b", "a.b", "a-b", "a", "B", ".hidden", ".dotdir.d", "target"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir() // a link out of DINIT_DIR
	for link, target := range map[string]string{
		"linkdir":  filepath.Join(dir, "target"),
		"outside":  other,
		"linkfile": filepath.Join(dir, "file"),
		"dangling": filepath.Join(dir, "nowhere"),
		".dotlink": filepath.Join(dir, "target"),
		"loop":     filepath.Join(dir, "loop"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	svcs, err := discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"B", "a", "a-b", "a.b", "a_b", "b10", "b2", "linkdir", "outside", "target"}
	if got := serviceNames(svcs); !slices.Equal(got, want) {
		t.Fatalf("services %q, want %q", got, want)
	}
	for _, s := range svcs {
		if s.dir != filepath.Join(dir, s.name) || s.run != nil || s.log != nil || s.disabled {
			t.Fatalf("%s: %+v", s.name, s)
		}
	}
	if p := svcs[0].path("log", "run"); p != filepath.Join(dir, "B", "log", "run") {
		t.Fatalf("path %s", p)
	}
}

func TestDiscoverDirectories(t *testing.T) {
	dir := t.TempDir()
	// No services at all: no error, nothing (Run then warns and exits 0).
	if svcs, err := discover(dir); err != nil || len(svcs) != 0 {
		t.Fatalf("empty directory: %v, %v", svcs, err)
	}
	if _, err := discover(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing directory: %v", err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := discover(file); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("a file as DINIT_DIR: %v", err)
	}
	// Relative forms are made absolute (programs run in their own
	// directories, where a relative path would not resolve).
	if err := os.Mkdir(filepath.Join(dir, "svc"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, rel := range []string{".", "./", "../" + filepath.Base(dir), "svc/.."} {
		svcs, err := discover(rel)
		if err != nil || len(svcs) != 1 || svcs[0].dir != filepath.Join(dir, "svc") {
			t.Fatalf("discover(%q) = %v, %v", rel, svcs, err)
		}
	}
}

// exists: anything but "does not exist" counts, so that a program we
// cannot run is reported instead of silently ignored.
func TestExists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		file:                           true,
		dir:                            true,
		filepath.Join(dir, "missing"):  false,
		filepath.Join(dir, "dangling"): false,
	} {
		if got := exists(path); got != want {
			t.Errorf("exists(%s) = %v, want %v", path, got, want)
		}
	}
}
