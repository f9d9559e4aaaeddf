package relay

import "strings"

// Event names a moment in the life of a program or of dinit, for the
// JSON log format: the "event" field of our message. The vocabulary is
// fixed and documented in the README (Logs).
type Event string

// The events. Each is logged with the message that tells it in text.
const (
	EventNone        Event = ""
	EventStarting    Event = "starting"    // a program is being started
	EventStarted     Event = "started"     // it runs: pid
	EventReady       Event = "ready"       // it said it is ready (notification-fd)
	EventExited      Event = "exited"      // it ended: pid, status or signal
	EventDisabled    Event = "disabled"    // run ended with 115: pid
	EventTerminating Event = "terminating" // stopping it: its terminate program or SIGTERM (pid, signal)
	EventSignal      Event = "signal"      // dinit received a signal: signal
	EventForwarded   Event = "forwarded"   // a received signal goes to the programs: signal
	EventReparented  Event = "reparented"  // a process became our child: pid, policy
	EventAdopted     Event = "adopted"     // an adopted process's output is ours: pid, processes
	EventReaped      Event = "reaped"      // a process ended that we never saw running: pid
	EventKill        Event = "kill"        // SIGKILL after the kill timeout: pid
	EventShutdown    Event = "shutdown"    // the shutdown began: reason
	EventExiting     Event = "exiting"     // dinit exits: status
)

// maxFields is the most numeric or text fields one message carries.
const maxFields = 6

// field is one field of a message beyond level, msg, attribution and event.
type field struct {
	key   string
	num   int64
	str   string
	isStr bool
}

// Entry is one message of ours being built: its level, event, attribution
// and fields, then the text (Logf). In the text log format only the text is
// written. There is one Entry per Output, reused: a message is built and
// logged in one expression, on the loop's thread.
//
// Its methods are marked go:noinline: inlined into each of the forty-odd
// places that log, they added 20 KB to a binary that must stay small (2.25 MiB at most),
// for messages that are rare.
type Entry struct {
	out     *Output
	level   Level
	event   Event
	service string
	stage   string
	fields  [maxFields]field
	nfields int
}

// At starts a message at level, telling ev (EventNone for a message that
// tells no event).
//
//go:noinline
func (o *Output) At(level Level, ev Event) *Entry {
	e := &o.entry
	*e = Entry{out: o, level: level, event: ev}
	return e
}

// For attributes the message to a program or process: label is
// "<service>/<stage>" (or "<name>/<pid>"); a name may not hold a '/', the
// stage is what follows the last one.
//
//go:noinline
func (e *Entry) For(label string) *Entry {
	e.service, e.stage = SplitLabel(label)
	return e
}

// SplitLabel splits "web/run" (or "sleep/42") at its last '/': a service
// name holds none, a process name may.
func SplitLabel(label string) (name, stage string) {
	if i := strings.LastIndexByte(label, '/'); i >= 0 {
		return label[:i], label[i+1:]
	}
	return label, ""
}

// About attributes the message to the program with this service name and
// stage.
//
//go:noinline
func (e *Entry) About(service, stage string) *Entry {
	e.service, e.stage = service, stage
	return e
}

// Int adds a numeric field.
//
//go:noinline
func (e *Entry) Int(key string, v int) *Entry { return e.add(field{key: key, num: int64(v)}) }

// Int64 adds a numeric field.
//
//go:noinline
func (e *Entry) Int64(key string, v int64) *Entry { return e.add(field{key: key, num: v}) }

// Str adds a text field.
//
//go:noinline
func (e *Entry) Str(key, v string) *Entry { return e.add(field{key: key, str: v, isStr: true}) }

//go:noinline
func (e *Entry) add(f field) *Entry {
	if e.nfields < maxFields {
		e.fields[e.nfields] = f
		e.nfields++
	}
	return e
}

// Logf logs the message with its text (see appendf for the verbs).
//
//go:noinline
func (e *Entry) Logf(format string, args ...any) { e.out.logf(e, format, args...) }
