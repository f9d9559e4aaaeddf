package status

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestSocketName(t *testing.T) {
	for _, c := range []struct {
		ino  uint64
		pid  int
		want string
	}{
		{4026531836, 1, "dinit-status-4026531836"},
		{4026531836, 4242, "dinit-status-4026531836-4242"},
		{4026532001, 2, "dinit-status-4026532001-2"},
	} {
		if got := SocketName(c.ino, c.pid); got != c.want {
			t.Errorf("SocketName(%d, %d) = %q, want %q", c.ino, c.pid, got, c.want)
		}
	}
}

// The namespace's inode is the one readlink shows: "pid:[<ino>]".
func TestPIDNamespace(t *testing.T) {
	ino, err := PIDNamespace()
	if err != nil {
		t.Fatal(err)
	}
	link, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		t.Fatal(err)
	}
	if want := "pid:[" + strconv.FormatUint(ino, 10) + "]"; link != want {
		t.Fatalf("PIDNamespace %d, but the link reads %q", ino, link)
	}
	if !strings.HasPrefix(SocketName(ino, 1), "dinit-status-") {
		t.Fatal(SocketName(ino, 1))
	}
}
