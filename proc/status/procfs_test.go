package status

import (
	"os"
	"slices"
	"testing"
)

func TestParseParent(t *testing.T) {
	for _, c := range []struct {
		stat string
		want int
		ok   bool
	}{
		{"42 (sh) S 7 42 42 0 -1\n", 7, true},
		{"42 (a b) c) (d) R 1 42 42 0\n", 1, true}, // the name holds spaces and parentheses
		{"42 ()) S 99 1\n", 99, true},
		{"42 (sh S 7\n", 0, false},
		{"42 (sh) S\n", 0, false},
		{"42 (sh) S x\n", 0, false},
	} {
		got, err := parseParent([]byte(c.stat))
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("parseParent(%q) = %d, %v; want %d, ok %v", c.stat, got, err, c.want, c.ok)
		}
	}
}

func TestParentOfUs(t *testing.T) {
	got, err := parentOf(os.Getpid())
	if err != nil || got != os.Getppid() {
		t.Fatalf("parentOf(us) = %d, %v; want %d", got, err, os.Getppid())
	}
}

const netUnixHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n"

func TestListening(t *testing.T) {
	table := netUnixHeader +
		"0000000000000000: 00000002 00000000 00010000 0001 01 100 @dinit-status-77-12\n" +
		"0000000000000000: 00000003 00000000 00000000 0001 03 101 @dinit-status-77-12\n" + // accepted from it
		"0000000000000000: 00000002 00000000 00010000 0001 01 102 @dinit-status-77-9\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 103 @dinit-status-77\n" + // PID 1's
		"0000000000000000: 00000002 00000000 00010000 0001 01 104 @dinit-status-771-5\n" + // another namespace
		"0000000000000000: 00000002 00000000 00010000 0001 01 105 @dinit-status-77-x\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 106 @dinit-status-77-5 b\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 107 /run/dinit-status-77-6\n" +
		"0000000000000000: 00000002 00000000 00000000 0001 01 108 @dinit-status-77-8\n" + // bound, not listening
		"0000000000000000: 00000002 00000000 00010000 0001 01 109\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 110 @dinit-status-77-9\n"
	got := listening([]byte(table), "dinit-status-77-")
	if want := []string{"dinit-status-77-12", "dinit-status-77-9"}; !slices.Equal(got, want) {
		t.Fatalf("listening = %q, want %q", got, want)
	}
	if got := listening(nil, "dinit-status-77-"); len(got) != 0 {
		t.Fatalf("listening(nothing) = %q", got)
	}
}
