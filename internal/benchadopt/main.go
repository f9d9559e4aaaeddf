// Command benchadopt measures what many processes adopted at once cost the
// rest of dinit's work. dinit runs as PID 1 of a new PID namespace (root
// and unshare(1) needed) with DINIT_REPARENTING_POLICY=adopt and two
// services: "tick" writes {"t":<its clock>} every 5 ms, "spawn" leaves N
// orphans at once (sleeping, or busy at nice 19 with -busy). While dinit
// adopts them,
// benchadopt sends it SIGALRM, 10 ms after the previous one was logged
// (logged at info, not forwarded).
// It prints the longest delay of a tick line (dinit's "logged" stamp minus
// the ticker's) and of a signal (dinit's "got signal 14" stamp minus the
// sending time), over the window from the first orphan adopted to the last
// one redirected, and dinit's peak RSS.
//
//	benchadopt -dinit bin/dinit -testsvc bin/testsvc -n 500 [-busy]
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	dinit := flag.String("dinit", "bin/dinit", "dinit binary")
	testsvc := flag.String("testsvc", "bin/testsvc", "testsvc binary (the ticker)")
	n := flag.Int("n", 500, "orphans adopted at once")
	busy := flag.Bool("busy", false, "busy orphans (a shell loop) instead of sleeping ones")
	ignore := flag.Duration("ignore", 0, "baseline: the ignore policy, measured for this long")
	flag.Parse()
	r, err := measure(*dinit, *testsvc, *n, *busy, *ignore)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchadopt:", err)
		os.Exit(1)
	}
	kind := "sleeping"
	if *busy {
		kind = "busy"
	}
	fmt.Printf("orphans %d (%s) redirected %d in %.0f ms; longest delay: line %.0f ms, signal %.0f ms (%d signals); dinit CPU %.0f ms; peak RSS %s\n",
		*n, kind, r.redirected, ms(r.window), ms(r.lineDelay), ms(r.sigDelay), r.signals, ms(r.cpu), r.hwm)
}

type result struct {
	redirected          int
	window              time.Duration
	lineDelay, sigDelay time.Duration
	signals             int
	hwm                 string
	cpu                 time.Duration // dinit's user and system time
}

// run: tick and spawn. The orphans are the children of a subshell that
// exits at once, so they are reparented to dinit all together.
func services(testsvc string, n int, busy bool) (string, error) {
	dir, err := os.MkdirTemp("", "benchadopt-")
	if err != nil {
		return "", err
	}
	orphan := "sleep 1000"
	if busy {
		// At the lowest priority: the machine is then overloaded a hundred
		// times over, and at their own priority the ticker, the bench and
		// dinit alike would wait whole rounds of the scheduler for a CPU,
		// which is not what is measured here.
		orphan = "nice -n 19 sh -c 'while :; do :; done'"
	}
	files := map[string]string{
		"tick/run":  "#!/bin/sh\nexec " + testsvc + " tick 5ms\n",
		"spawn/run": fmt.Sprintf("#!/bin/sh\n(for i in $(seq %d); do %s & done)\nexec sleep 1000\n", n, orphan),
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func measure(dinit, testsvc string, n int, busy bool, ignore time.Duration) (result, error) {
	var r result
	testsvc, _ = filepath.Abs(testsvc)
	dir, err := services(testsvc, n, busy)
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "--kill-child", dinit)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "DINIT_DIR=" + dir, "DINIT_LOG_LEVEL=debug",
		"DINIT_REPARENTING_POLICY=adopt", "DINIT_KILL_TIMEOUT=2"}
	if ignore > 0 {
		cmd.Env = append(cmd.Env, "DINIT_REPARENTING_POLICY=ignore")
	}
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+v) // to compare with the default of one P
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()
	m := newMonitor(n, ignore)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.ticks(stdout) }()
	go func() { defer wg.Done(); m.messages(stderr) }()
	pid, err := dinitPID(cmd.Process.Pid)
	if err != nil {
		return r, err
	}
	if err := m.signal(pid); err != nil {
		return r, err
	}
	r.hwm = statusField(pid, "VmHWM")
	r.cpu = cpuTime(pid)
	_ = syscall.Kill(pid, syscall.SIGTERM)
	wg.Wait()
	_ = cmd.Wait()
	return m.result(r), nil
}

// dinitPID finds dinit, the one child of unshare.
func dinitPID(unshare int) (int, error) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", unshare, unshare))
		var pid int
		if _, err := fmt.Sscan(string(b), &pid); err == nil && pid > 0 {
			return pid, nil
		}
	}
	return 0, errors.New("dinit did not start")
}

func statusField(pid int, name string) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// cpuTime is a process's user and system time so far, from its stat
// (fields 14 and 15, in clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)
	fmt.Sscan(f[12], &stime)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// monitor collects the delays seen during the adoption window.
type monitor struct {
	n          int
	mu         sync.Mutex
	first      time.Time // first "adopting" line
	last       time.Time // last "output redirected" line
	redirected int
	sent       []time.Time // SIGALRMs sent, in order
	got        int         // "got signal 14" lines seen
	lineDelay  time.Duration
	sigDelay   time.Duration
	done       chan struct{}
	logged     chan struct{} // a "got signal 14" line was seen
	ignore     time.Duration // baseline run: the window's length
}

func newMonitor(n int, ignore time.Duration) *monitor {
	return &monitor{n: n, ignore: ignore, done: make(chan struct{}), logged: make(chan struct{}, 1)}
}

// inWindow: between the first adoption and the last redirection.
func (m *monitor) inWindow(at time.Time) bool {
	return !m.first.IsZero() && !at.Before(m.first) && (m.last.IsZero() || !at.After(m.last))
}

const stampLayout = "2006-01-02T15:04:05.000Z"

func (m *monitor) ticks(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var line struct {
			T      int64  `json:"t"`
			Logged string `json:"logged"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.T == 0 {
			continue
		}
		logged, err := time.Parse(stampLayout, line.Logged)
		if err != nil {
			continue
		}
		m.mu.Lock()
		if m.inWindow(logged) {
			m.lineDelay = max(m.lineDelay, logged.Sub(time.Unix(0, line.T)))
		}
		m.mu.Unlock()
	}
}

func (m *monitor) messages(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		l := sc.Text()
		at, err := time.Parse(stampLayout, strings.SplitN(l, " ", 2)[0])
		if err != nil {
			continue
		}
		m.mu.Lock()
		switch {
		case strings.Contains(l, ": adopting reparented child process") && m.first.IsZero():
			m.first = at
		case strings.Contains(l, ": ignoring reparented child process") && m.first.IsZero():
			m.first = at
			time.AfterFunc(m.ignore, func() {
				m.mu.Lock()
				m.last = m.first.Add(m.ignore)
				m.mu.Unlock()
				close(m.done)
			})
		case strings.Contains(l, ": output redirected ("):
			m.redirected++
			if m.redirected == m.n {
				m.last = at
				close(m.done)
			}
		case strings.HasSuffix(l, "got signal 14, ignoring it") && m.got < len(m.sent):
			if m.inWindow(at) {
				// The stamp has millisecond precision: round the send down.
				m.sigDelay = max(m.sigDelay, at.Sub(m.sent[m.got].Truncate(time.Millisecond)))
			}
			m.got++
			m.logged <- struct{}{}
		}
		m.mu.Unlock()
	}
}

// signal sends SIGALRM 10 ms after the previous one was logged (one at a
// time: a signal sent while the same one is pending would be merged with
// it), until every orphan is redirected (at most 60 s).
func (m *monitor) signal(pid int) error {
	timeout := time.After(60 * time.Second)
	for {
		select {
		case <-m.done:
			time.Sleep(200 * time.Millisecond)
			return nil
		case <-timeout:
			return fmt.Errorf("%d of %d orphans redirected after 60 s", m.redirected, m.n)
		case <-time.After(10 * time.Millisecond):
		}
		m.mu.Lock()
		m.sent = append(m.sent, time.Now())
		m.mu.Unlock()
		if err := syscall.Kill(pid, syscall.SIGALRM); err != nil {
			return err
		}
		select {
		case <-m.logged:
		case <-time.After(5 * time.Second):
			return errors.New("a SIGALRM was not logged within 5 s")
		}
	}
}

func (m *monitor) result(r result) result {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.redirected, r.window, r.lineDelay, r.sigDelay, r.signals = m.redirected, m.last.Sub(m.first), m.lineDelay, m.sigDelay, m.got
	return r
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
