// Command benchstop measures dinit at rest and at shutdown: it starts dinit
// on a service directory, waits until every service runs, reads dinit's
// peak RSS (VmHWM) and thread count, then sends SIGTERM and measures the
// time until dinit has exited and been waited for. It also measures, as a
// floor, how long killing and reaping the same number of `sleep` processes
// takes without dinit.
//
//	benchstop -dinit bin/dinit -dir DIR -services N -runs 5
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	dinit := flag.String("dinit", "bin/dinit", "dinit binary")
	dir := flag.String("dir", "", "service directory")
	n := flag.Int("services", 0, "number of services in dir")
	runs := flag.Int("runs", 5, "runs (the median is printed)")
	flag.Parse()
	var stops, floors []time.Duration
	var hwm, threads string
	for i := 0; i < *runs; i++ {
		d, h, t, err := stopOnce(*dinit, *dir, *n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchstop:", err)
			os.Exit(1)
		}
		stops, hwm, threads = append(stops, d), h, t
		f, err := floorOnce(*n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchstop:", err)
			os.Exit(1)
		}
		floors = append(floors, f)
	}
	fmt.Printf("services %d hwm_kib %s threads %s stop_ms %.1f floor_ms %.1f\n",
		*n, hwm, threads, ms(median(stops)), ms(median(floors)))
}

func stopOnce(dinit, dir string, n int) (time.Duration, string, string, error) {
	cmd := exec.Command(dinit)
	cmd.Env = append(os.Environ(), "DINIT_DIR="+dir, "DINIT_LOG_LEVEL=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, "", "", err
	}
	if err := cmd.Start(); err != nil {
		return 0, "", "", err
	}
	sc := bufio.NewScanner(stderr)
	for running := 0; running < n && sc.Scan(); {
		if strings.Contains(sc.Text(), "running with PID") {
			running++
		}
	}
	go func() { // keep draining so dinit never waits on us
		for sc.Scan() {
		}
	}()
	time.Sleep(time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0, "", "", err
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, "", "", err
	}
	if err := cmd.Wait(); err != nil {
		return 0, "", "", fmt.Errorf("dinit: %v", err)
	}
	return time.Since(start), field(status, "VmHWM:"), field(status, "Threads:"), nil
}

// floorOnce kills and reaps n sleeps started directly: the kernel's share
// of any init's shutdown.
func floorOnce(n int) (time.Duration, error) {
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = exec.Command("sleep", "100000")
		if err := cmds[i].Start(); err != nil {
			return 0, err
		}
	}
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	for _, c := range cmds {
		_ = c.Wait()
	}
	return time.Since(start), nil
}

func field(status []byte, name string) string {
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == name {
			return f[1]
		}
	}
	return "?"
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
