package proc

import (
	"strconv"
	"time"

	"github.com/dinit-dev/dinit/loop"
	"github.com/dinit-dev/dinit/proc/internal/sys"
	"github.com/dinit-dev/dinit/proc/relay"
)

// role is why we track a process; it decides what its end means.
type role uint8

const (
	roleRun        role = iota // a service's run
	roleLog                    // a service's log/run
	roleTerm                   // a service's terminate
	roleAdopted                // reparented, adopt policy
	roleReparented             // reparented, being terminated or ignored
)

// process is one PID we are responsible for. Every PID of ours maps to one
// of these in Supervisor.procs: that map is the one owner table the reaper
// dispatches through.
type process struct {
	sup     *Supervisor
	pid     int
	pidfd   int // -1 without pidfd support, and for reparented processes
	tok     loop.Token
	role    role
	svc     *service  // nil for reparented and adopted processes
	label   string    // "web/run", or "sleep/42" for a reparented one
	stop    stopStage // reparented and adopted ones: how far we stopped it
	killAt  time.Time // when its SIGKILL is due (once stop is termSent)
	cmdline string
	srcs    []*relay.Source // the pipes of its stdout and stderr that we read
	started time.Time
	end     *sys.ExitStatus // how it ended; nil while it runs
	endedAt time.Time
}

// Event: the pidfd became readable, so the process has ended.
func (p *process) Event(uint32) { p.sup.reapNeeded = true }

func reparentedLabel(name string, pid int) string { return name + "/" + strconv.Itoa(pid) }
