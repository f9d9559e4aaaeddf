//go:build !(mips || mipsle || mips64 || mips64le)

package proc

import (
	"os"
	"syscall"
)

// archSignals are the caught signals only some architectures have: MIPS has
// no SIGSTKFLT (the runtime's default for it is a stack dump and exit).
var archSignals = []os.Signal{syscall.SIGSTKFLT}
