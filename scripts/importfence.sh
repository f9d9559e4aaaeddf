#!/usr/bin/env bash
# The import fence (DESIGN.md, ARCHITECTURE.md): where system calls and
# unsafe may live, and which room of proc may import which.
#
#  - golang.org/x/sys/unix: in the code of loop, proc/internal/sys,
#    proc/relay, proc/inject and proc/status only. proc itself (the
#    supervisor) makes no system call; its tests, the test program
#    internal/testsvc and the tests of integration may use it to set up
#    processes.
#  - unsafe: in the code of loop, proc/internal/sys and proc/inject only.
#  - rooms: proc/internal/sys imports nothing of dinit; proc/relay imports
#    no other room but sys; proc/inject imports no other room but sys;
#    proc/status imports nothing of dinit but loop (the status socket's
#    mechanism knows nothing of services); only proc and cmd/dinit see the
#    rooms' users (nothing imports proc but cmd/dinit).
#  - fmt: not linked into cmd/dinit (see the end).
set -euo pipefail
cd "$(dirname "$0")/.."

module=$(go list -m)
unix=golang.org/x/sys/unix
bad=0
fail() {
	echo "importfence: $*" >&2
	bad=1
}

# One line per package: path, then the imports of its code, then of its tests.
# -e: list what can be parsed even while some package does not build (vet says why).
listing=$(go list -e -f '{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}' ./...)

while IFS='|' read -r pkg code tests; do
	rel=${pkg#"$module"}
	unix_code=no unix_tests=no unsafe_code=no
	case $rel in
	/loop | /proc/internal/sys | /proc/relay | /proc/inject | /proc/status) unix_code=yes unix_tests=yes ;;
	/proc | /integration | /internal/testsvc) unix_tests=yes ;;
	esac
	case $rel in
	/internal/testsvc) unix_code=yes ;;
	esac
	case $rel in
	/loop | /proc/internal/sys | /proc/inject | /internal/testsvc) unsafe_code=yes ;;
	esac
	for imp in $code; do
		[ "$imp" = "$unix" ] && [ $unix_code = no ] && fail "$rel imports $unix (only loop, proc/internal/sys, proc/relay, proc/inject and proc/status may)"
		[ "$imp" = unsafe ] && [ $unsafe_code = no ] && fail "$rel imports unsafe (only loop, proc/internal/sys and proc/inject may)"
		case $rel:$imp in
		/proc/internal/sys:"$module"/*) fail "proc/internal/sys imports $imp (it imports nothing of dinit)" ;;
		/proc/relay:"$module"/proc*) [ "$imp" != "$module/proc/internal/sys" ] && fail "proc/relay imports $imp (of the rooms, only sys)" ;;
		/proc/inject:"$module"/proc*) [ "$imp" != "$module/proc/internal/sys" ] && fail "proc/inject imports $imp (of the rooms, only sys)" ;;
		/proc/status:"$module"/*) [ "$imp" != "$module/loop" ] && fail "proc/status imports $imp (of dinit, only loop)" ;;
		esac
		if [ "$imp" = "$module/proc" ] && [ "$rel" != /cmd/dinit ]; then
			fail "$rel imports proc (only cmd/dinit runs the supervisor)"
		fi
	done
	for imp in $tests; do
		[ "$imp" = "$unix" ] && [ $unix_tests = no ] && fail "the tests of $rel import $unix"
	done
done <<<"$listing"

# fmt adds about 150 KiB (148 KiB measured: static, stripped, amd64, go1.26)
# to a binary that has to stay under 2.25 MiB for FROM scratch images: the dinit
# binary must not link it.
if go list -deps ./cmd/dinit | grep -qx fmt; then
	fail "cmd/dinit links fmt (use strconv and relay's appendf)"
fi

if [ "$bad" -ne 0 ]; then
	exit 1
fi
echo "importfence: ok"
