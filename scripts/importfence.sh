#!/usr/bin/env bash
# Fails when a package outside the fence imports golang.org/x/sys/unix (DESIGN.md:
# only loop and proc touch the system). Allowed: ./loop and ./proc (code and tests),
# ./internal/testsvc (a test program), and the test files of ./integration.
set -euo pipefail
cd "$(dirname "$0")/.."

module=$(go list -m)
unix=golang.org/x/sys/unix

# One line per package: path, then the imports of its code, then of its tests.
# -e: list what can be parsed even while some package does not build (vet says why).
listing=$(go list -e -f '{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}' ./...)

bad=0
while IFS='|' read -r pkg code tests; do
	rel=${pkg#"$module"}
	case $rel in
	/loop | /loop/* | /proc | /proc/* | /internal/testsvc) continue ;;
	/integration | /integration/*) tests="" ;; # its test files may
	esac
	for imp in $code $tests; do
		if [ "$imp" = "$unix" ]; then
			echo "importfence: $pkg imports $unix (only loop and proc may; see DESIGN.md)" >&2
			bad=1
		fi
	done
done <<<"$listing"

# fmt adds about 150 KiB (148 KiB measured: static, stripped, amd64, go1.26)
# to a binary that has to stay under 2 MiB for FROM scratch images: the dinit
# binary must not link it.
if go list -deps ./cmd/dinit | grep -qx fmt; then
	echo "importfence: cmd/dinit links fmt (use strconv and proc's appendf)" >&2
	bad=1
fi

if [ "$bad" -ne 0 ]; then
	exit 1
fi
echo "importfence: ok"
