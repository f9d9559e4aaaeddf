package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/fmtjson"
)

// Answer answers one request of the status socket (proc/status): its first
// line is the exit code the client exits with, the rest what it prints.
//
//	status       the table of programs
//	status json  the same as one JSON document
//	check        nothing (healthy, 0), or one line saying why not (1)
func (s *Supervisor) Answer(request string) []byte {
	switch request {
	case "status":
		return s.statusTable(append([]byte(nil), "0\n"...))
	case "status json":
		return append(s.statusJSON(append([]byte(nil), "0\n"...)), '\n')
	case "check":
		if ok, why := s.health(); !ok {
			return []byte("1\n" + why + "\n")
		}
		return []byte("0\n")
	}
	return []byte("1\nunknown request " + strconv.Quote(request) + "\n")
}

// state is the supervisor's state for status: "running", or "shutting
// down" with the reason, and since when.
func (s *Supervisor) state() (word, reason string, since time.Time) {
	if s.stopping() {
		return "shutting down", s.stopReason, s.stoppedAt
	}
	return "running", "", s.startedAt
}

// stamp formats t as our lines do (UTC, milliseconds); "-" for zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	var c fmtjson.Clock
	c.Set(t)
	return string(c.Bytes())
}

// statusTable appends the table form:
//
//	dinit: running since 2026-11-29T10:35:53.703Z (PID 1)
//	PROGRAM  PID  STATE    SINCE                     READY  STDOUT           STDERR
//	web/run  12   running  2026-11-29T10:35:53.705Z  yes    12 lines, 980 B  3 lines, 96 B
func (s *Supervisor) statusTable(b []byte) []byte {
	word, reason, since := s.state()
	b = append(b, "dinit: "...)
	b = append(b, word...)
	if reason != "" {
		b = append(append(b, ": "...), reason...)
	}
	b = append(b, " since "+stamp(since)+" (PID "+strconv.Itoa(s.self)+")\n"...)
	cells := [][]string{{"PROGRAM", "PID", "STATE", "SINCE", "READY", "STDOUT", "STDERR"}}
	for _, r := range s.rows() {
		cells = append(cells, r.cells())
	}
	return appendColumns(b, cells)
}

func (r row) cells() []string {
	pid, ready := "-", r.ready
	if r.pid != 0 {
		pid = strconv.Itoa(r.pid)
	}
	if ready == "" {
		ready = "-"
	}
	return []string{r.service + "/" + r.stage, pid, r.state, stamp(r.since), ready,
		streamCell(r.relayed.hasOut, r.relayed.out.Lines, r.relayed.out.Bytes),
		streamCell(r.relayed.hasErr, r.relayed.err.Lines, r.relayed.err.Bytes)}
}

// streamCell: "12 lines, 980 B", or "-" for a stream we do not relay.
func streamCell(has bool, lines, bytes int64) string {
	if !has {
		return "-"
	}
	noun := " lines, "
	if lines == 1 {
		noun = " line, "
	}
	return strconv.FormatInt(lines, 10) + noun + strconv.FormatInt(bytes, 10) + " B"
}

// appendColumns appends cells as left-aligned columns, two spaces apart.
func appendColumns(b []byte, cells [][]string) []byte {
	widths := make([]int, len(cells[0]))
	for _, line := range cells {
		for i, c := range line {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, line := range cells {
		for i, c := range line {
			b = append(b, c...)
			if i < len(line)-1 {
				for n := len(c); n < widths[i]+2; n++ {
					b = append(b, ' ')
				}
			}
		}
		b = append(b, '\n')
	}
	return b
}

// statusJSON appends the JSON form: {"dinit":{...},"programs":[{...},...]}.
func (s *Supervisor) statusJSON(b []byte) []byte {
	word, reason, since := s.state()
	b = append(b, `{"dinit":{"pid":`...)
	b = strconv.AppendInt(b, int64(s.self), 10)
	b = fmtjson.AppendString(append(b, `,"state":`...), word)
	if reason != "" {
		b = fmtjson.AppendString(append(b, `,"reason":`...), reason)
	}
	b = fmtjson.AppendString(append(b, `,"since":`...), stamp(since))
	b = append(b, `},"programs":[`...)
	for i, r := range s.rows() {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.appendJSON(b)
	}
	return append(b, "]}"...)
}

func (r row) appendJSON(b []byte) []byte {
	b = fmtjson.AppendString(append(b, `{"service":`...), r.service)
	b = fmtjson.AppendString(append(b, `,"stage":`...), r.stage)
	if r.pid != 0 {
		b = strconv.AppendInt(append(b, `,"pid":`...), int64(r.pid), 10)
	}
	b = fmtjson.AppendString(append(b, `,"state":`...), r.state)
	if !r.since.IsZero() {
		b = fmtjson.AppendString(append(b, `,"since":`...), stamp(r.since))
	}
	if r.ready != "" {
		b = strconv.AppendBool(append(b, `,"ready":`...), r.ready == "yes")
	}
	if r.end != nil && r.end.Signal != 0 {
		b = strconv.AppendInt(append(b, `,"signal":`...), int64(r.end.Signal), 10)
	} else if r.end != nil {
		b = strconv.AppendInt(append(b, `,"status":`...), int64(r.end.Code), 10)
	}
	return append(r.relayed.appendJSON(b), '}')
}

// appendJSON appends the counts as fields, as the accounting line has them.
func (r relayed) appendJSON(b []byte) []byte {
	num := func(b []byte, key string, v int64) []byte {
		return strconv.AppendInt(append(append(append(b, ",\""...), key...), "\":"...), v, 10)
	}
	if r.hasOut {
		b = num(num(b, "stdout_lines", r.out.Lines), "stdout_bytes", r.out.Bytes)
	}
	if r.hasErr {
		b = num(num(b, "stderr_lines", r.err.Lines), "stderr_bytes", r.err.Bytes)
	}
	return num(num(b, "not_json", r.notJSON()), "split", r.split())
}
