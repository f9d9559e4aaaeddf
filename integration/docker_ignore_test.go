package integration

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDockerIgnore: the repository's .dockerignore lets through what the
// Dockerfiles built from the repository root COPY (the root Dockerfile and
// examples/*/Dockerfile, for every TARGETARCH), and nothing else: not
// .git, not the rest of bin/ and dist/, not the sources. The context is a
// copy of .dockerignore with one file per COPY source and decoys; the
// legacy builder then copies the whole context into an image, whose files
// are listed.
func TestDockerIgnore(t *testing.T) {
	dockerRequire(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, df := range dockerfiles(t, root) {
		want = append(want, copySources(t, df)...)
	}
	slices.Sort(want)
	want = slices.Compact(want)
	ctx := t.TempDir()
	decoys := []string{".git/HEAD", ".git/objects/pack/p.pack", "dist/SHA256SUMS", "bin/dinit", "go.mod",
		"proc/start.go", "README.md", "examples/README.md", "integration/x_test.go"}
	files := map[string]string{"Dockerfile": "FROM scratch\nCOPY . /ctx/\nCMD [\"/none\"]\n"}
	ignore, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err == nil { // without one, the decoys show up
		files[".dockerignore"] = string(ignore)
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, f := range append(slices.Clone(want), decoys...) {
		files[f] = f + "\n"
	}
	for name, data := range files {
		writeFile(t, filepath.Join(ctx, name), data)
	}
	if got := contextFiles(t, ctx); !slices.Equal(got, want) {
		t.Errorf("files in the build context:\n%s", diffLines(got, want))
	}
}

// dockerfiles are the Dockerfiles whose context is the repository root.
func dockerfiles(t *testing.T, root string) []string {
	t.Helper()
	examples, err := filepath.Glob(filepath.Join(root, "examples", "*", "Dockerfile"))
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples/*/Dockerfile: %v", err)
	}
	return append([]string{filepath.Join(root, "Dockerfile")}, examples...)
}

// copySources lists the files a Dockerfile's COPY instructions take from
// the context (not from another image): a source ending in / stands for
// a file in it, ${TARGETARCH} for each release architecture.
func copySources(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.EqualFold(f[0], "COPY") {
			continue
		}
		if strings.HasPrefix(f[1], "[") || strings.HasSuffix(line, "\\") {
			t.Fatalf("%s: %q: this test reads only the one-line, non-JSON form of COPY", path, line)
		}
		args := slices.DeleteFunc(f[1:], func(a string) bool { return strings.HasPrefix(a, "--") })
		if strings.Contains(line, "--from=") {
			continue
		}
		for _, src := range args[:len(args)-1] {
			if strings.HasSuffix(src, "/") {
				src += "file"
			}
			for _, arch := range []string{"amd64", "arm64"} {
				srcs = append(srcs, strings.ReplaceAll(src, "${TARGETARCH}", arch))
			}
		}
	}
	return srcs
}

// contextFiles builds ctx with the legacy builder (as the Makefile's docker
// build does without buildx) and returns the regular files under /ctx of
// the image, relative to it, sorted.
func contextFiles(t *testing.T, ctx string) []string {
	t.Helper()
	image := dockerUnique(t, "dinit-dockertest:")
	t.Cleanup(func() { _, _ = dockerOutput("rmi", "-f", image) })
	dockerCLI(t, "build", "-q", "--rm", "--force-rm", "-t", image, ctx)
	name := dockerUnique(t, "dinit-dockertest-")
	t.Cleanup(func() { _, _ = dockerOutput("rm", "-f", "-v", name) })
	dockerCLI(t, "create", "--name", name, image)
	exported := filepath.Join(t.TempDir(), "rootfs.tar")
	dockerCLI(t, "export", "-o", exported, name)
	f, err := os.Open(exported)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []string
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rel, ok := strings.CutPrefix(h.Name, "ctx/"); ok && h.Typeflag == tar.TypeReg {
			files = append(files, rel)
		}
	}
	slices.Sort(files)
	return files
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
