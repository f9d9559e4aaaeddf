package main

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"time"
)

func modeJSON(args []string) int {
	return numberedLines(args, outLine, `{"n":`, `,"msg":"hello"}`)
}

func modePlain(args []string) int {
	return numberedLines(args, outLine, "line ", "")
}

func modeStderr(args []string) int {
	return numberedLines(args, func(b []byte) { errLine(string(b)) }, "err ", "")
}

// numberedLines parses "N [delay]" and writes lines 1..N, sleeping delay between them.
func numberedLines(args []string, write func([]byte), prefix, suffix string) int {
	if len(args) < 1 || len(args) > 2 {
		return usage("want N [delay]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return usage("bad count " + strconv.Quote(args[0]))
	}
	delay, err := optDuration(args, 1, 0)
	if err != nil {
		return usage(err.Error())
	}
	for i := 1; i <= n; i++ {
		if i > 1 && delay > 0 {
			time.Sleep(delay)
		}
		write(numbered(prefix, i, suffix))
	}
	return 0
}

// optDuration parses args[i] as a Go duration, or returns def when it is absent.
func optDuration(args []string, i int, def time.Duration) (time.Duration, error) {
	if len(args) <= i {
		return def, nil
	}
	d, err := time.ParseDuration(args[i])
	if err != nil || d < 0 {
		return 0, errors.New("bad duration " + strconv.Quote(args[i]))
	}
	return d, nil
}

func modeExit(args []string) int {
	if len(args) != 1 {
		return usage("want exit C")
	}
	c, err := parseExitCode(args[0])
	if err != nil {
		return usage(err.Error())
	}
	return c
}

func parseExitCode(s string) (int, error) {
	c, err := strconv.Atoi(s)
	if err != nil || c < 0 || c > 255 {
		return 0, errors.New("bad exit code " + strconv.Quote(s))
	}
	return c, nil
}

// modeLog is a log/run program: it wraps every line of stdin into a JSON object.
func modeLog(args []string) int {
	if len(args) != 0 {
		return usage("log takes no arguments")
	}
	r := bufio.NewReader(os.Stdin)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		if len(line) > 0 {
			b := appendJSONString([]byte(`{"via":"log","line":`), line)
			outLine(append(b, '}'))
		}
		if err != nil {
			return 0
		}
	}
}

// modeTick writes {"t":<unix nanoseconds>} every period until it is killed:
// the reader can tell how late each line reached it.
func modeTick(args []string) int {
	if len(args) != 1 {
		return usage("want tick PERIOD")
	}
	period, err := optDuration(args, 0, 0)
	if err != nil || period <= 0 {
		return usage("bad period " + strconv.Quote(args[0]))
	}
	for {
		outLine(append(strconv.AppendInt([]byte(`{"t":`), time.Now().UnixNano(), 10), '}'))
		time.Sleep(period)
	}
}
