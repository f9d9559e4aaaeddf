package proc

import "golang.org/x/sys/unix"

// ptPauseNr blocks until a signal's handler ran: pause.
const ptPauseNr = unix.SYS_PAUSE
