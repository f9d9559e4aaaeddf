package integration

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's Kubernetes manifest (examples/kubernetes/pod.yaml). There is
// no cluster here: the manifest is read with yamlSubset (the plain YAML a
// Pod manifest needs, nothing more), its settings checked against what the
// README says, and the Quick start's image run on Docker with them: its
// environment, its probe commands through docker exec, its grace period as
// docker stop's; and in a "pod" whose pause container's PID and network
// namespaces the app joins, as shareProcessNamespace makes it. Not
// exercised: the kubelet, kubectl, an API server's validation.

// pod is what the tests read from the manifest.
type pod struct {
	grace       int
	env         map[string]string
	probes      map[string][]string // startupProbe, readinessProbe, livenessProbe: exec.command
	sharePIDs   bool
	containerNo int
}

func readPod(t *testing.T) pod {
	t.Helper()
	data := repoFile(t, "examples", "kubernetes", "pod.yaml")
	doc, err := yamlSubset(string(data))
	if err != nil {
		t.Fatalf("examples/kubernetes/pod.yaml: %v", err)
	}
	get := func(path ...any) any {
		t.Helper()
		v, err := yamlGet(doc, path...)
		if err != nil {
			t.Fatalf("examples/kubernetes/pod.yaml: %v", err)
		}
		return v
	}
	if get("apiVersion") != "v1" || get("kind") != "Pod" {
		t.Fatalf("not a v1 Pod: apiVersion %v, kind %v", get("apiVersion"), get("kind"))
	}
	var p pod
	if p.grace, err = strconv.Atoi(get("spec", "terminationGracePeriodSeconds").(string)); err != nil {
		t.Fatalf("terminationGracePeriodSeconds: %v", err)
	}
	if v, err := yamlGet(doc, "spec", "shareProcessNamespace"); err == nil {
		p.sharePIDs = v == "true"
	}
	p.containerNo = len(get("spec", "containers").([]any))
	p.env = map[string]string{}
	for i := range get("spec", "containers", 0, "env").([]any) {
		p.env[get("spec", "containers", 0, "env", i, "name").(string)] = get("spec", "containers", 0, "env", i, "value").(string)
	}
	p.probes = map[string][]string{}
	for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
		for _, w := range get("spec", "containers", 0, probe, "exec", "command").([]any) {
			p.probes[probe] = append(p.probes[probe], w.(string))
		}
	}
	return p
}

// TestReadmeKubernetes: the manifest's settings are those the README
// documents, and the image runs with them on Docker.
func TestReadmeKubernetes(t *testing.T) {
	p := readPod(t)
	if p.containerNo != 1 {
		t.Errorf("%d containers, want the one app", p.containerNo)
	}
	for name, argv := range p.probes {
		if !slices.Equal(argv, []string{"/dinit", "check"}) {
			t.Errorf("%s runs %q, want [/dinit check]", name, argv)
		}
	}
	kill, err := strconv.ParseInt(p.env["DINIT_KILL_TIMEOUT"], 0, 64)
	if err != nil || kill != 5 || int(kill) >= p.grace {
		t.Errorf("DINIT_KILL_TIMEOUT %q with a grace period of %d s: want 5, below it", p.env["DINIT_KILL_TIMEOUT"], p.grace)
	}
	if p.sharePIDs {
		t.Errorf("shareProcessNamespace is set: the README's manifest leaves it unset")
	}

	dockerRequire(t)
	readmeRequireBase(t)
	image := readmeBuild(t, executable(quickstartFiles(t)))
	var env []string
	for k, v := range p.env {
		env = append(env, "-e", k+"="+v)
	}
	stopTime := "--time=" + strconv.Itoa(p.grace)

	t.Run("own PID namespace", func(t *testing.T) {
		t.Parallel()
		c := dockerRun(t, image, env...)
		for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
			expectProbe(t, c, p.probes[probe])
		}
		dockerCLI(t, "stop", stopTime, c.name)
		c.expectExit(0)
	})
	t.Run("shareProcessNamespace", func(t *testing.T) {
		t.Parallel()
		pause := dockerRunCmd(t, nil, readmeBase, []string{"sleep", "100000"})
		podOpts := []string{"--pid", "container:" + pause.name, "--network", "container:" + pause.name}
		c := dockerRun(t, image, append(append(podOpts, env...), "-e", "DINIT_LOG_LEVEL=info")...)
		c.waitLog("stderr", `^TS dinit: info: not running as a PID N, but PID N, registering as a process subreaper$`, 1)
		for _, probe := range []string{"startupProbe", "readinessProbe", "livenessProbe"} {
			expectProbe(t, c, p.probes[probe])
		}
		// An orphan of kubectl exec (docker exec here) goes to the pause
		// container, PID 1, not to dinit.
		if r := c.exec(nil, "sh", "-c", "sleep 500 &"); r.code != 0 {
			t.Fatalf("docker exec sh -c 'sleep 500 &': %+v", r)
		}
		expectEventually(t, func() string {
			r := c.exec(nil, "ps", "-o", "ppid,args")
			for _, l := range dockerLines(r.stdout) {
				if strings.Join(strings.Fields(l), " ") == "1 sleep 500" {
					return ""
				}
			}
			return "the exec'd orphan is not the pause container's child:\n" + r.stdout
		})
		// A second dinit in the pod: the client cannot tell which is meant.
		bare := dockerBuild(t)
		other := dockerRunCmd(t, podOpts, bare, []string{"/testsvc", "sleep"})
		several := regexp.MustCompile(`^dinit check: several dinits answer in this PID namespace \(@dinit-status-\d+-\d+, @dinit-status-\d+-\d+\): ask from a process one of them started\n$`)
		expectEventually(t, func() string {
			r := c.exec(nil, p.probes["readinessProbe"]...)
			if r.code == 1 && r.stdout == "" && several.MatchString(r.stderr) {
				return ""
			}
			return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		})
		dockerCLI(t, "rm", "-f", other.name)
		expectProbe(t, c, p.probes["readinessProbe"])
		dockerCLI(t, "stop", stopTime, c.name)
		c.expectExit(0)
	})
}

// executable marks the Quick start's run files executable (its transcript
// runs chmod +x on them).
func executable(files map[string]string) map[string]string {
	out := map[string]string{}
	for name, content := range files {
		if strings.HasPrefix(name, "services/") {
			name += "!"
		}
		out[name] = content
	}
	return out
}

// expectEventually calls check until it returns "", within
// dockerWaitTimeout, and fails the test with its last answer otherwise.
func expectEventually(t *testing.T, check func() string) {
	t.Helper()
	deadline := time.Now().Add(dockerWaitTimeout)
	for {
		why := check()
		if why == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", dockerWaitTimeout, why)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// yamlSubset reads the YAML a Pod manifest of this repository uses: block
// mappings and block sequences (indented with spaces), plain and
// double-quoted scalars, flow sequences of double-quoted strings, and
// comments. Values come back as map[string]any, []any and string. Anything
// else (tabs, anchors, multi-line scalars, flow mappings) is an error, not
// a guess.
func yamlSubset(text string) (any, error) {
	var lines []yamlLine
	for n, raw := range strings.Split(text, "\n") {
		if strings.Contains(raw, "\t") {
			return nil, fmt.Errorf("line %d: a tab", n+1)
		}
		content := strings.TrimLeft(raw, " ")
		if content == "" || strings.HasPrefix(content, "#") {
			continue
		}
		if i := strings.Index(content, " #"); i >= 0 && !strings.Contains(content[:i], `"`) {
			content = strings.TrimRight(content[:i], " ")
		}
		lines = append(lines, yamlLine{n: n + 1, indent: len(raw) - len(strings.TrimLeft(raw, " ")), text: content})
	}
	y := &yamlReader{lines: lines}
	if len(lines) == 0 {
		return nil, fmt.Errorf("empty document")
	}
	v, err := y.block(lines[0].indent)
	if err == nil && y.i < len(y.lines) {
		err = fmt.Errorf("line %d: unexpected indentation", y.lines[y.i].n)
	}
	return v, err
}

type yamlLine struct {
	n, indent int
	text      string
}

type yamlReader struct {
	lines []yamlLine
	i     int
}

// block reads the mapping or sequence whose lines start at indent.
func (y *yamlReader) block(indent int) (any, error) {
	if strings.HasPrefix(y.lines[y.i].text, "- ") {
		return y.sequence(indent)
	}
	return y.mapping(indent)
}

func (y *yamlReader) sequence(indent int) (any, error) {
	var items []any
	for y.i < len(y.lines) && y.lines[y.i].indent == indent && strings.HasPrefix(y.lines[y.i].text, "- ") {
		// "- key: value" starts a mapping two columns in.
		y.lines[y.i].indent += 2
		y.lines[y.i].text = y.lines[y.i].text[2:]
		item, err := y.block(indent + 2)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}

var yamlKeyRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_.-]*):(?: (.*))?$`)

func (y *yamlReader) mapping(indent int) (any, error) {
	m := map[string]any{}
	for y.i < len(y.lines) && y.lines[y.i].indent == indent {
		l := y.lines[y.i]
		km := yamlKeyRe.FindStringSubmatch(l.text)
		if km == nil {
			return nil, fmt.Errorf("line %d: not a key: %q", l.n, l.text)
		}
		if _, dup := m[km[1]]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", l.n, km[1])
		}
		y.i++
		if km[2] != "" {
			v, err := yamlScalar(km[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", l.n, err)
			}
			m[km[1]] = v
			continue
		}
		if y.i >= len(y.lines) || y.lines[y.i].indent <= indent {
			return nil, fmt.Errorf("line %d: %q has no value", l.n, km[1])
		}
		v, err := y.block(y.lines[y.i].indent)
		if err != nil {
			return nil, err
		}
		m[km[1]] = v
	}
	return m, nil
}

func yamlScalar(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, "["):
		var words []string
		if err := json.Unmarshal([]byte(s), &words); err != nil {
			return nil, fmt.Errorf("flow sequence %q: only double-quoted strings are read: %v", s, err)
		}
		out := make([]any, len(words))
		for i, w := range words {
			out[i] = w
		}
		return out, nil
	case strings.HasPrefix(s, `"`):
		return strconv.Unquote(s)
	case strings.ContainsAny(s[:1], `'{&*!|>%@`+"`"):
		return nil, fmt.Errorf("%q: not read by this YAML subset", s)
	}
	return s, nil
}

// yamlGet follows path (keys and indexes) into a yamlSubset value.
func yamlGet(v any, path ...any) (any, error) {
	for i, p := range path {
		switch p := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok || m[p] == nil {
				return nil, fmt.Errorf("no %v", path[:i+1])
			}
			v = m[p]
		case int:
			s, ok := v.([]any)
			if !ok || p >= len(s) {
				return nil, fmt.Errorf("no %v", path[:i+1])
			}
			v = s[p]
		}
	}
	return v, nil
}

// TestYAMLSubset: the reader of the manifest reads what it claims to and
// refuses the rest.
func TestYAMLSubset(t *testing.T) {
	t.Parallel()
	v, err := yamlSubset(`# c
a: 1
b:
  c: "x # y"
  d: [ "p", "q" ]
e:
  - f: g
    h:
      - i: j
  - k: l # comment
`)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(v)
	want := `{"a":"1","b":{"c":"x # y","d":["p","q"]},"e":[{"f":"g","h":[{"i":"j"}]},{"k":"l"}]}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
	for _, bad := range []string{"a: &x 1\n", "a:\n\tb: 1\n", "a: {b: 1}\n", "a: 1\na: 2\n", "a:\n", "- x\n"} {
		if _, err := yamlSubset(bad); err == nil {
			t.Errorf("%q: read without an error", bad)
		}
	}
}
