package main

import (
	"os"
	"strings"
)

// version is stamped at build time by the Makefile (-X main.version=...,
// from git describe). Without it (go build, go install), dinitVersion
// takes it from the build information the go command writes into the
// binary, the text runtime/debug.ReadBuildInfo parses. runtime/debug is
// not used: it links fmt (about 220 KiB here), and the binary must stay
// under 2.25 MiB (scripts/importfence.sh).
var version string

// dinitVersion is what --version prints. The build information is read
// from our own executable, only when asked.
func dinitVersion() string {
	if version != "" {
		return version
	}
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		return "dev"
	}
	return versionOf(parseModinfo(modinfo(exe)))
}

// buildInfo is what the version is picked from: the fields of
// runtime/debug.BuildInfo that matter here.
type buildInfo struct {
	mainVersion string // "(devel)" for a go build without VCS information
	revision    string // build setting vcs.revision
	modified    bool   // build setting vcs.modified=true
}

// versionOf picks the version: the main module's version (go install
// ...@v1.2.0; since Go 1.24 go build in a git checkout sets a
// pseudo-version too), else the VCS revision, shortened to 12 digits, with
// -dirty for uncommitted changes; "dev" when neither is known
// (-buildvcs=false, or a linked git worktree, which the go command does
// not recognise: golang.org/issue/58218).
func versionOf(bi buildInfo) string {
	if v := bi.mainVersion; v != "" && v != "(devel)" {
		return v
	}
	if bi.revision == "" {
		return "dev"
	}
	rev := bi.revision[:min(len(bi.revision), 12)]
	if bi.modified {
		rev += "-dirty"
	}
	return rev
}

// parseModinfo reads the lines of the build information that matter:
// "mod\t<path>\t<version>[\t<sum>]" and "build\t<key>=<value>" (the format
// of runtime/debug.BuildInfo.String; the values read here are never
// quoted).
func parseModinfo(text string) buildInfo {
	var bi buildInfo
	for _, line := range strings.Split(text, "\n") {
		if mod, ok := strings.CutPrefix(line, "mod\t"); ok {
			if f := strings.Split(mod, "\t"); len(f) >= 2 {
				bi.mainVersion = f[1]
			}
		} else if kv, ok := strings.CutPrefix(line, "build\t"); ok {
			key, value, _ := strings.Cut(kv, "=")
			switch key {
			case "vcs.revision":
				bi.revision = value
			case "vcs.modified":
				bi.modified = value == "true"
			}
		}
	}
	return bi
}
