#!/usr/bin/env bash
# `make bench`: the Go micro-benchmarks of the hot path (ns/line, MB/s,
# allocs/op), then the whole-process benchmarks beside the alternatives
# (scripts/bench-process.sh). Installs nothing: the README lists the Debian
# packages the comparison uses.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "## Go benchmarks"
echo
echo '```'
go test -run='^$' -bench=. -benchmem ./linebuf ./fmtjson
echo '```'
echo
scripts/bench-process.sh
