#!/usr/bin/env bash
# Benchmarks. For now the Go micro-benchmarks of the pure packages; to grow into
# end-to-end log throughput runs (testsvc json N through dinit, timed with hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."

go test -run='^$' -bench=. -benchmem ./linebuf ./fmtjson
