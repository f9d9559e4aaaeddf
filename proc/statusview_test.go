package proc

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dinit-dev/dinit/proc/internal/sys"
)

func TestAppendColumns(t *testing.T) {
	got := string(appendColumns(nil, [][]string{{"PROGRAM", "PID", "STATE"}, {"web/run", "12345", "running"}, {"a/log", "-", "exited 3"}}))
	want := "PROGRAM  PID    STATE\n" +
		"web/run  12345  running\n" +
		"a/log    -      exited 3\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// statusFixture: a supervisor with a running service (with its log
// program), a disabled one, one not started, and one that ended by a
// signal while the shutdown runs.
func statusFixture(t *testing.T) *Supervisor {
	s := newUnitSupervisor(t, Config{})
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	s.self, s.startedAt = 1, at
	web := &service{name: "web"}
	web.run = &process{pid: 12, role: roleRun, svc: web, label: "web/run", started: at}
	web.log = &process{pid: 11, role: roleLog, svc: web, label: "web/log", started: at}
	web.programs = []*process{web.log, web.run}
	off := &service{name: "off", disabled: true}
	offRun := &process{pid: 13, role: roleRun, svc: off, label: "off/run", started: at,
		end: &sys.ExitStatus{Code: 115}, endedAt: at.Add(time.Second)}
	off.programs = []*process{offRun}
	late := &service{name: "late"}
	s.services = []*service{late, off, web}
	return s
}

func TestStatusTable(t *testing.T) {
	s := statusFixture(t)
	want := "0\ndinit: running since 2026-11-29T10:00:00.000Z (PID 1)\n" +
		"PROGRAM   PID  STATE        SINCE                     READY  STDOUT  STDERR\n" +
		"late/run  -    not started  -                         no     -       -\n" +
		"off/run   13   disabled     2026-11-29T10:00:01.000Z  no     -       -\n" +
		"web/log   11   running      2026-11-29T10:00:00.000Z  -      -       -\n" +
		"web/run   12   running      2026-11-29T10:00:00.000Z  yes    -       -\n"
	if got := string(s.Answer("status")); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStatusJSONAndCheck(t *testing.T) {
	s := statusFixture(t)
	if got := string(s.Answer("check")); got != "1\nlate/run: not started yet\n" {
		t.Fatalf("check: %q", got)
	}
	s.services = s.services[1:] // late is gone: healthy
	if got := string(s.Answer("check")); got != "0\n" {
		t.Fatalf("check: %q", got)
	}
	s.phase, s.stopReason, s.stoppedAt = stopping, "got signal 15", time.Date(2026, 11, 29, 10, 0, 2, 0, time.UTC)
	if got := string(s.Answer("check")); got != "1\nshutting down: got signal 15\n" {
		t.Fatalf("check: %q", got)
	}
	reply := string(s.Answer("status json"))
	doc, ok := strings.CutPrefix(reply, "0\n")
	if !ok || !json.Valid([]byte(doc)) || !strings.HasSuffix(doc, "}\n") {
		t.Fatalf("status json: %q", reply)
	}
	want := `{"dinit":{"pid":1,"state":"shutting down","reason":"got signal 15","since":"2026-11-29T10:00:02.000Z"},"programs":[` +
		`{"service":"off","stage":"run","pid":13,"state":"disabled","since":"2026-11-29T10:00:01.000Z","ready":false,"status":115,"not_json":0,"split":0},` +
		`{"service":"web","stage":"log","pid":11,"state":"running","since":"2026-11-29T10:00:00.000Z","not_json":0,"split":0},` +
		`{"service":"web","stage":"run","pid":12,"state":"running","since":"2026-11-29T10:00:00.000Z","ready":true,"not_json":0,"split":0}]}` + "\n"
	if doc != want {
		t.Fatalf("got\n%s\nwant\n%s", doc, want)
	}
}

func TestUnknownRequest(t *testing.T) {
	s := statusFixture(t)
	if got := string(s.Answer("stop")); got != "1\nunknown request \"stop\"\n" {
		t.Fatalf("%q", got)
	}
}

func TestStreamCell(t *testing.T) {
	for _, tt := range []struct {
		has          bool
		lines, bytes int64
		want         string
	}{{false, 0, 0, "-"}, {true, 0, 0, "0 lines, 0 B"}, {true, 1, 8, "1 line, 8 B"}, {true, 1200, 98304, "1200 lines, 98304 B"}} {
		if got := streamCell(tt.has, tt.lines, tt.bytes); got != tt.want {
			t.Errorf("%v %d %d: %q, want %q", tt.has, tt.lines, tt.bytes, got, tt.want)
		}
	}
}
