package inject

import "golang.org/x/sys/unix"

// ptPauseNr blocks until a signal's handler ran: arm64 has no pause, and
// ppoll with no descriptors and no timeout (all arguments 0) does the same.
const ptPauseNr = unix.SYS_PPOLL
