//go:build mips || mipsle || mips64 || mips64le

package proc

import (
	"os"
	"syscall"
)

// archSignals are the caught signals only some architectures have: MIPS has
// SIGEMT, whose runtime default is a stack dump and exit, and no SIGSTKFLT.
var archSignals = []os.Signal{syscall.SIGEMT}
