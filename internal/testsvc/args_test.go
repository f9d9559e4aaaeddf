package main

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

func TestResolveArgs(t *testing.T) {
	noFile := func() (string, error) { return "", errors.New("no file") }
	file := func(s string) func() (string, error) { return func() (string, error) { return s, nil } }
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "TESTSVC_MODE" {
				return v
			}
			return ""
		}
	}
	tests := []struct {
		name string
		argv []string
		env  string
		file func() (string, error)
		want []string
	}{
		{"args win", []string{"/bin/testsvc", "json", "3"}, "sleep", file("trap"), []string{"json", "3"}},
		{"args win over name", []string{"/x/terminate", "exit", "1"}, "", noFile, []string{"exit", "1"}},
		{"name is a mode", []string{"/etc/service/a/terminate"}, "sleep", file("trap"), []string{"terminate"}},
		{"run reads the file", []string{"/etc/service/a/run"}, "sleep", file(" json  5 10ms "), []string{"json", "5", "10ms"}},
		{"empty file falls to env", []string{"run"}, "exit 7", file("  "), []string{"exit", "7"}},
		{"no file falls to env", []string{"run"}, "exit 7", noFile, []string{"exit", "7"}},
		{"other name reads the file", []string{"testsvc"}, "", file("fds"), []string{"fds"}},
	}
	for _, tt := range tests {
		got, err := resolveArgs(tt.argv, env(tt.env), tt.file)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if got, err := resolveArgs([]string{"run"}, env(""), noFile); err == nil {
		t.Errorf("nothing given: got %q, want an error", got)
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, in := range []string{"", "plain", `q"b\s`, "tab\tnl\ncr\r\x00\x1f", "ünï ✓", "bad \xff\xfe utf8", "</script>"} {
		b := appendJSONString(nil, []byte(in))
		var out string
		if err := json.Unmarshal(b, &out); err != nil {
			t.Errorf("%q -> %s: not a JSON string: %v", in, b, err)
			continue
		}
		want := string([]rune(in)) // invalid bytes become U+FFFD, as in the output
		if out != want {
			t.Errorf("%q -> %s decodes to %q", in, b, out)
		}
	}
}
