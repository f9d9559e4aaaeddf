package main

import (
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	cfg, err := parseConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := proc.Config{Dir: "/etc/service", Level: proc.LevelWarn, Stdout: proc.StdoutJSON, Policy: proc.PolicyTerminate, KillTimeout: 30 * time.Second, Status: true}
	if cfg != want {
		t.Fatalf("got %+v, want %+v", cfg, want)
	}
}

func TestValidValues(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want func(*proc.Config)
	}{
		{map[string]string{"DINIT_DIR": "/srv"}, func(c *proc.Config) { c.Dir = "/srv" }},
		{map[string]string{"DINIT_JSON_STDOUT": "0"}, func(c *proc.Config) { c.Stdout = proc.StdoutPlain }},
		{map[string]string{"DINIT_JSON_STDOUT": "false"}, func(c *proc.Config) { c.Stdout = proc.StdoutPlain }},
		{map[string]string{"DINIT_JSON_STDOUT": "no"}, func(c *proc.Config) { c.Stdout = proc.StdoutPlain }},
		{map[string]string{"DINIT_JSON_STDOUT": "off"}, func(c *proc.Config) { c.Stdout = proc.StdoutPlain }},
		{map[string]string{"DINIT_JSON_STDOUT": "1"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_JSON_STDOUT": "true"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_JSON_STDOUT": "yes"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_JSON_STDOUT": "on"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_JSON_STDOUT": "wrap"}, func(c *proc.Config) { c.Stdout = proc.StdoutWrap }},
		{map[string]string{"DINIT_LOG_FORMAT": "text"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_STATUS": "0"}, func(c *proc.Config) { c.Status = false }},
		{map[string]string{"DINIT_STATUS": "off"}, func(c *proc.Config) { c.Status = false }},
		{map[string]string{"DINIT_STATUS": "yes"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_LOG_FORMAT": "json"}, func(c *proc.Config) { c.LogFormat = proc.LogJSON }},
		{map[string]string{"DINIT_LOG_LEVEL": "none"}, func(c *proc.Config) { c.Level = proc.LevelNone }},
		{map[string]string{"DINIT_LOG_LEVEL": "error"}, func(c *proc.Config) { c.Level = proc.LevelError }},
		{map[string]string{"DINIT_LOG_LEVEL": "info"}, func(c *proc.Config) { c.Level = proc.LevelInfo }},
		{map[string]string{"DINIT_LOG_LEVEL": "debug"}, func(c *proc.Config) { c.Level = proc.LevelDebug }},
		{map[string]string{"DINIT_REPARENTING_POLICY": "adopt"}, func(c *proc.Config) { c.Policy = proc.PolicyAdopt }},
		{map[string]string{"DINIT_REPARENTING_POLICY": "ignore"}, func(c *proc.Config) { c.Policy = proc.PolicyIgnore }},
		{map[string]string{"DINIT_KILL_TIMEOUT": "0"}, func(c *proc.Config) { c.KillTimeout = 0 }},
		{map[string]string{"DINIT_EXIT_CODE": "dinit"}, func(c *proc.Config) {}},
		{map[string]string{"DINIT_EXIT_CODE": "service"}, func(c *proc.Config) { c.ExitCode = proc.ExitByService }},
		{map[string]string{"DINIT_KILL_TIMEOUT": "0x10"}, func(c *proc.Config) { c.KillTimeout = 16 * time.Second }},
		{map[string]string{"DINIT_KILL_TIMEOUT": "0o17"}, func(c *proc.Config) { c.KillTimeout = 15 * time.Second }},
		{map[string]string{"DINIT_KILL_TIMEOUT": "1_000"}, func(c *proc.Config) { c.KillTimeout = 1000 * time.Second }},
	}
	for _, tt := range tests {
		want, _ := parseConfig(envOf(nil))
		tt.want(&want)
		got, err := parseConfig(envOf(tt.env))
		if err != nil || got != want {
			t.Errorf("%v: got %+v, %v; want %+v", tt.env, got, err, want)
		}
	}
}

func TestInvalidValuesNameVariableAndValue(t *testing.T) {
	tests := []struct {
		name, value, msg string
	}{
		{"DINIT_JSON_STDOUT", "2", `invalid DINIT_JSON_STDOUT value "2": want one of 1, true, yes, on, 0, false, no, off, wrap`},
		{"DINIT_JSON_STDOUT", "TRUE", `invalid DINIT_JSON_STDOUT value "TRUE": want one of 1, true, yes, on, 0, false, no, off, wrap`},
		{"DINIT_JSON_STDOUT", " 0", `invalid DINIT_JSON_STDOUT value " 0": want one of 1, true, yes, on, 0, false, no, off, wrap`},
		{"DINIT_STATUS", "disabled", `invalid DINIT_STATUS value "disabled": want one of 1, true, yes, on, 0, false, no, off`},
		{"DINIT_LOG_FORMAT", "JSON", `invalid DINIT_LOG_FORMAT value "JSON": want one of text, json`},
		{"DINIT_LOG_FORMAT", "logfmt", `invalid DINIT_LOG_FORMAT value "logfmt": want one of text, json`},
		{"DINIT_LOG_LEVEL", "loud", `invalid DINIT_LOG_LEVEL value "loud": want one of none, error, warn, info, debug`},
		{"DINIT_LOG_LEVEL", "WARN", `invalid DINIT_LOG_LEVEL value "WARN": want one of none, error, warn, info, debug`},
		{"DINIT_REPARENTING_POLICY", "kill", `invalid DINIT_REPARENTING_POLICY value "kill": want one of terminate, adopt, ignore`},
		{"DINIT_EXIT_CODE", "first", `invalid DINIT_EXIT_CODE value "first": want one of dinit, service`},
		{"DINIT_EXIT_CODE", "Service", `invalid DINIT_EXIT_CODE value "Service": want one of dinit, service`},
		{"DINIT_KILL_TIMEOUT", "abc", `invalid DINIT_KILL_TIMEOUT value "abc": want a whole number of seconds, 0 or more`},
		{"DINIT_KILL_TIMEOUT", "-1", `invalid DINIT_KILL_TIMEOUT value "-1": want a whole number of seconds, 0 or more`},
		{"DINIT_KILL_TIMEOUT", "1.5", `invalid DINIT_KILL_TIMEOUT value "1.5": want a whole number of seconds, 0 or more`},
		{"DINIT_KILL_TIMEOUT", " 5", `invalid DINIT_KILL_TIMEOUT value " 5": want a whole number of seconds, 0 or more`},
		{"DINIT_KILL_TIMEOUT", "99999999999999999999", `invalid DINIT_KILL_TIMEOUT value "99999999999999999999": want a whole number of seconds, 0 or more`},
		{"DINIT_KILL_TIMEOUT", "9223372037", `invalid DINIT_KILL_TIMEOUT value "9223372037": want a whole number of seconds, 0 or more`},
	}
	for _, tt := range tests {
		_, err := parseConfig(envOf(map[string]string{tt.name: tt.value}))
		if err == nil || err.Error() != tt.msg {
			t.Errorf("%s=%q: err %v; want %s", tt.name, tt.value, err, tt.msg)
		}
	}
}
