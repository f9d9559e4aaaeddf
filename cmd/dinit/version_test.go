package main

import (
	"encoding/binary"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// The version is picked from build information as runtime/debug gives it
// (written out by BuildInfo.String, the format of the binary's blob).
func TestVersionOf(t *testing.T) {
	t.Parallel()
	const rev = "3986ef365bb0d482d0e750427e96b0d2c9894c54"
	settings := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tt := range []struct {
		name string
		main string
		set  []debug.BuildSetting
		want string
	}{
		{"go install @version", "v1.2.0", nil, "v1.2.0"},
		{"pseudo-version wins over the revision", "v0.0.0-20261129122428-3986ef365bb0+dirty",
			settings("vcs.revision", rev, "vcs.modified", "true"), "v0.0.0-20261129122428-3986ef365bb0+dirty"},
		{"revision", "(devel)", settings("-ldflags", "-s -w", "vcs", "git", "vcs.revision", rev, "vcs.modified", "false"), "3986ef365bb0"},
		{"dirty revision", "(devel)", settings("vcs.modified", "true", "vcs.revision", rev), "3986ef365bb0-dirty"},
		{"short revision", "", settings("vcs.revision", "abc"), "abc"},
		{"nothing known", "(devel)", settings("-trimpath", "true", "vcs.modified", "true"), "dev"},
		{"no main module", "", nil, "dev"},
	} {
		info := &debug.BuildInfo{GoVersion: "go1.26.8", Path: "github.com/dinit-dev/dinit/cmd/dinit",
			Main:     debug.Module{Path: "github.com/dinit-dev/dinit", Version: tt.main},
			Deps:     []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.50.0", Sum: "h1:x"}},
			Settings: tt.set}
		if tt.main == "" {
			info.Main = debug.Module{}
		}
		if got := versionOf(parseModinfo(info.String())); got != tt.want {
			t.Errorf("%s: version %q, want %q (build info:\n%s)", tt.name, got, tt.want, info)
		}
	}
}

// A version stamped with -X wins over the build information.
func TestDinitVersionStamped(t *testing.T) {
	saved := version
	t.Cleanup(func() { version = saved })
	version = "v9.9.9"
	if got := dinitVersion(); got != "v9.9.9" {
		t.Fatalf("dinitVersion = %q", got)
	}
}

// modinfo finds in an executable (this test's) what the runtime gives
// runtime/debug.ReadBuildInfo.
func TestModinfoOfThisExecutable(t *testing.T) {
	t.Parallel()
	want, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build information in the test binary")
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	got, err := debug.ParseBuildInfo(modinfo(exe))
	if err != nil {
		t.Fatal(err)
	}
	got.GoVersion = want.GoVersion // not part of the module information
	if got.String() != want.String() {
		t.Fatalf("modinfo:\n%s\nwant (runtime/debug):\n%s", got, want)
	}
}

// Copies of the magic that are not aligned, or not followed by a blob,
// are passed over; no blob at all is "".
func TestModinfoSkipsDecoys(t *testing.T) {
	t.Parallel()
	mod := "path\tx\nmod\tx\tv1.0.0\t\n" + strings.Repeat("build\tk=v\n", 20) // a length of 2 uvarint bytes
	framed := "0123456789abcdef" + mod + "fedcba9876543210"
	align := func(b []byte) []byte {
		for len(b)%16 != 0 {
			b = append(b, 0)
		}
		return b
	}
	exe := append([]byte("junk"), buildInfoMagic...) // misaligned
	exe = append(align(exe), buildInfoMagic...)      // aligned, but a string constant
	exe = append(exe, "not a header, more strings"...)
	exe = append(align(exe), buildInfoMagic...) // the blob
	exe = append(exe, 8, 0x2)
	exe = append(exe, make([]byte, 16)...)
	exe = append(binary.AppendUvarint(exe, 8), "go1.26.8"...)
	exe = append(binary.AppendUvarint(exe, uint64(len(framed))), framed...)
	if got, want := modinfo(exe), framed[16:len(framed)-16]; got != want {
		t.Fatalf("modinfo = %q, want %q", got, want)
	}
	if got := modinfo([]byte("no magic here")); got != "" {
		t.Fatalf("modinfo without a blob = %q", got)
	}
	if got := modinfo(exe[:len(exe)-1]); got != "" {
		t.Fatalf("modinfo of a cut blob = %q", got)
	}
}
