package main

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// modeNotify is a service that declares readiness (s6's notification-fd): it
// waits DELAY, writes a newline to fd FD (the readiness pipe dinit gave it),
// closes it, prints {"msg":"notified"} and then blocks like sleep. (A service
// that never gets ready is the sleep mode beside a notification-fd file.)
func modeNotify(args []string) int {
	if len(args) < 1 || len(args) > 2 {
		return usage("want notify FD [DELAY]")
	}
	for _, s := range defaultSignals {
		setDefault(s)
	}
	fd, err := strconv.Atoi(args[0])
	if err != nil || fd < 0 {
		return usage("bad fd " + strconv.Quote(args[0]))
	}
	delay, err := optDuration(args, 1, 0)
	if err != nil {
		return usage(err.Error())
	}
	time.Sleep(delay)
	for {
		_, err = unix.Write(fd, []byte("\n"))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		errLine("notify: writing to fd " + args[0] + ": " + err.Error())
		return 1
	}
	_ = unix.Close(fd)
	outLine(msgLine("notified"))
	blockForever()
	return 0
}
