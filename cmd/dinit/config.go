package main

import (
	"strconv"
	"strings"
	"time"

	"github.com/dinit-dev/dinit/proc"
)

// configError names the variable and the value that were refused.
type configError struct {
	name, value, want string
}

func (e *configError) Error() string {
	return "invalid " + e.name + " value " + strconv.Quote(e.value) + ": " + e.want
}

// defaultDir is DINIT_DIR when it is not set.
const defaultDir = "/etc/service"

// parseConfig reads the configuration from the environment (getenv) and
// validates all of it before anything starts.
func parseConfig(getenv func(string) string) (proc.Config, error) {
	cfg := proc.Config{Dir: defaultDir, Level: proc.LevelWarn, Stdout: proc.StdoutJSON, KillTimeout: 30 * time.Second, Status: true}
	if v := getenv("DINIT_DIR"); v != "" {
		cfg.Dir = v
	}
	var err error
	if cfg.LogFormat, err = parseLogFormat(getenv("DINIT_LOG_FORMAT")); err != nil {
		return cfg, err
	}
	if cfg.Stdout, err = parseStdoutMode(getenv("DINIT_JSON_STDOUT")); err != nil {
		return cfg, err
	}
	if cfg.Status, err = parseSwitch("DINIT_STATUS", getenv("DINIT_STATUS")); err != nil {
		return cfg, err
	}
	if cfg.Level, err = parseLevel(getenv("DINIT_LOG_LEVEL")); err != nil {
		return cfg, err
	}
	if cfg.Policy, err = parsePolicy(getenv("DINIT_REPARENTING_POLICY")); err != nil {
		return cfg, err
	}
	if cfg.KillTimeout, err = parseKillTimeout(getenv("DINIT_KILL_TIMEOUT")); err != nil {
		return cfg, err
	}
	if cfg.ExitCode, err = parseExitPolicy(getenv("DINIT_EXIT_CODE")); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// parseLogFormat reads DINIT_LOG_FORMAT. It is read first: the errors of
// the other variables are then written in the format asked for.
func parseLogFormat(v string) (proc.LogFormat, error) {
	switch v {
	case "", "text":
		return proc.LogText, nil
	case "json":
		return proc.LogJSON, nil
	}
	return proc.LogText, &configError{"DINIT_LOG_FORMAT", v, "want one of text, json"}
}

// parseStdoutMode reads DINIT_JSON_STDOUT: on (the default), off, or wrap.
// The reference treats every value but "0" as on; a typo here is refused.
func parseStdoutMode(v string) (proc.StdoutMode, error) {
	if v == "wrap" {
		return proc.StdoutWrap, nil
	}
	on, ok := switchValue(v)
	switch {
	case !ok:
		return proc.StdoutJSON, &configError{"DINIT_JSON_STDOUT", v, "want one of 1, true, yes, on, 0, false, no, off, wrap"}
	case on:
		return proc.StdoutJSON, nil
	}
	return proc.StdoutPlain, nil
}

// parseSwitch reads an on/off variable that is on by default.
func parseSwitch(name, v string) (bool, error) {
	on, ok := switchValue(v)
	if !ok {
		return true, &configError{name, v, "want one of 1, true, yes, on, 0, false, no, off"}
	}
	return on, nil
}

// switchValue reads the spellings of on and off; "" is on.
func switchValue(v string) (on, ok bool) {
	switch v {
	case "", "1", "true", "yes", "on":
		return true, true
	case "0", "false", "no", "off":
		return false, true
	}
	return false, false
}

func parseExitPolicy(v string) (proc.ExitPolicy, error) {
	switch v {
	case "", "dinit":
		return proc.ExitByDinit, nil
	case "service":
		return proc.ExitByService, nil
	}
	return 0, &configError{"DINIT_EXIT_CODE", v, "want one of dinit, service"}
}

var levels = map[string]proc.Level{
	"none": proc.LevelNone, "error": proc.LevelError, "warn": proc.LevelWarn,
	"info": proc.LevelInfo, "debug": proc.LevelDebug,
}

func parseLevel(v string) (proc.Level, error) {
	if v == "" {
		return proc.LevelWarn, nil
	}
	if l, ok := levels[v]; ok {
		return l, nil
	}
	return 0, &configError{"DINIT_LOG_LEVEL", v, "want one of none, error, warn, info, debug"}
}

var policies = map[string]proc.Policy{
	"terminate": proc.PolicyTerminate, "adopt": proc.PolicyAdopt, "ignore": proc.PolicyIgnore,
}

func parsePolicy(v string) (proc.Policy, error) {
	if v == "" {
		return proc.PolicyTerminate, nil
	}
	if p, ok := policies[v]; ok {
		return p, nil
	}
	return 0, &configError{"DINIT_REPARENTING_POLICY", v, "want one of terminate, adopt, ignore"}
}

// maxKillTimeout keeps the deadline arithmetic far from overflow (~292 years).
const maxKillTimeout = int64(1<<63-1) / int64(time.Second)

// parseKillTimeout takes whole seconds in any form strconv.ParseInt(s, 0, 64)
// accepts (30, 0x1e, 0o36, 0b11110, 1_000), as the reference does.
func parseKillTimeout(v string) (time.Duration, error) {
	if v == "" {
		return 30 * time.Second, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
	if err != nil || n < 0 || n > maxKillTimeout || strings.TrimSpace(v) != v {
		return 0, &configError{"DINIT_KILL_TIMEOUT", v, "want a whole number of seconds, 0 or more"}
	}
	return time.Duration(n) * time.Second, nil
}
