package sys

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Stat
		ok   bool
	}{
		{"42 (sleep) S 1 42 42 0 -1", Stat{Comm: "sleep", State: 'S', PPID: 1}, true},
		{"7 (my prog) Z 3 7 7 0", Stat{Comm: "my prog", State: 'Z', PPID: 3}, true},
		{"8 (a) b) R 9 8 8", Stat{Comm: "a) b", State: 'R', PPID: 9}, true},
		{"9 ()) ) S 12 1", Stat{Comm: ")) ", State: 'S', PPID: 12}, true},
		{"10 (x(y) S 2", Stat{Comm: "x(y", State: 'S', PPID: 2}, true},
		{"", Stat{}, false},
		{"11 sleep S 1", Stat{}, false},
		{"12 (sleep) S", Stat{}, false},
		{"13 (sleep) S x", Stat{}, false},
		{"14 (sleep) SS 1", Stat{}, false},
		// A whole line: starttime is field 22.
		{"15 (cat) S 1 15 15 0 -1 4194304 94 0 0 0 0 0 0 0 20 0 1 0 123456 2314240 224 18446744073709551615",
			Stat{Comm: "cat", State: 'S', PPID: 1, Start: 123456}, true},
	}
	for _, tt := range tests {
		got, ok := ParseStat([]byte(tt.in))
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSplitCmdline(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, line, first string }{
		{"/bin/sleep\x00100\x00", "/bin/sleep 100", "/bin/sleep"},
		{"nginx: master process /usr/sbin/nginx\x00", "nginx: master process /usr/sbin/nginx", "nginx:"},
		{"sh\x00-c\x00echo hi\x00", "sh -c echo hi", "sh"},
		{"", "", ""},
		{"\x00\x00", "", ""},
	}
	for _, tt := range tests {
		line, first := splitCmdline([]byte(tt.in))
		if line != tt.line || first != tt.first {
			t.Errorf("splitCmdline(%q) = %q, %q; want %q, %q", tt.in, line, first, tt.line, tt.first)
		}
	}
}

// fakeProc lays out a fake /proc tree and returns it.
func fakeProc(t *testing.T, files map[string]string) Proc {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := files["self/stat"]; !ok {
		// /proc/self names the test process, as in its own namespace.
		if err := os.Symlink(strconv.Itoa(os.Getpid()), filepath.Join(root, "self")); err != nil {
			t.Fatal(err)
		}
	}
	return Proc{Root: root}
}

func TestChildrenReadsEveryThread(t *testing.T) {
	t.Parallel()
	p := fakeProc(t, map[string]string{
		"1/task/1/children":  "10 11 ",
		"1/task/5/children":  "12 ",
		"1/task/6/children":  "",
		"10/stat":            "10 (x) S 1",
		"unrelated/children": "99",
	})
	got, err := p.Children(1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []int{10, 11, 12}) {
		t.Fatalf("children = %v", got)
	}
}

func TestChildrenFallsBackToStatWithoutChildrenFile(t *testing.T) {
	t.Parallel()
	p := fakeProc(t, map[string]string{
		"1/task/1/stat": "1 (dinit) S 0",
		"1/stat":        "1 (dinit) S 0",
		"20/stat":       "20 (a (b) c) S 1 20",
		"21/stat":       "21 (other) S 20 21",
		"22/stat":       "22 (z) Z 1 22",
		"self/stat":     "1 (dinit) S 0",
	})
	got, err := p.Children(1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []int{20, 22}) {
		t.Fatalf("children = %v", got)
	}
}

// Describe follows the reference: the name is what follows the last "/" of
// the first word (comm when that is empty), cut to maxNameLen bytes; the
// command line is empty when it cannot be read, so that messages leave
// ": <cmdline>" out.
func TestDescribe(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 4000)
	p := fakeProc(t, map[string]string{
		"30/cmdline": "/usr/bin/sleep\x00100\x00",
		"30/comm":    "sleep\n",
		"31/cmdline": "",
		"31/comm":    "zombie thing\n",
		"33/cmdline": "/usr/sbin/\x00-x\x00",
		"33/comm":    "daemon\n",
		"34/cmdline": "/opt/" + long + "\x00",
		"35/cmdline": "/opt/" + strings.Repeat("x", 63) + "\u00e9tat\x00",
	})
	cases := []struct {
		pid           int
		cmdline, name string
	}{
		{30, "/usr/bin/sleep 100", "sleep"},
		{31, "", "zombie thing"},
		{32, "", "unknown"},
		{33, "/usr/sbin/ -x", "daemon"},
		{34, "/opt/" + long, strings.Repeat("x", 64)},
		{35, "/opt/" + strings.Repeat("x", 63) + "\u00e9tat", strings.Repeat("x", 63)},
	}
	for _, c := range cases {
		if cmdline, name := p.Describe(c.pid); cmdline != c.cmdline || name != c.name {
			t.Errorf("Describe(%d) = %q, %q; want %q, %q", c.pid, cmdline, name, c.cmdline, c.name)
		}
	}
}
