#!/usr/bin/env bash
# A signal during a long startup: dinit (as PID 1, unshare) starts N idle
# services; SIGTERM is sent 150 ms after dinit started. Prints how many
# services had started when the signal was acted on, and how late dinit's
# "got signal 15" line is stamped after the sending.
#   scripts/bench-startup.sh [N]      (root; bin/dinit from `make static`)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq -w 1 "$n"); do
	mkdir "$dir/s$i"
	printf '#!/bin/sh\nexec sleep 1000\n' >"$dir/s$i/run"
	chmod +x "$dir/s$i/run"
done
DINIT_DIR=$dir DINIT_LOG_LEVEL=info setsid unshare --pid --fork --mount-proc --kill-child bin/dinit 2>"$dir.err" >/dev/null &
unshare_pid=$!
sleep 0.15
dinit=$(cat /proc/$unshare_pid/task/$unshare_pid/children | awk '{print $1}')
sent=$(date +%s.%N)
kill -TERM "$dinit"
wait $unshare_pid || true
got=$(grep -m1 'got signal 15' "$dir.err" | cut -d' ' -f1)
started=$(grep -c 'running with PID' "$dir.err")
python3 - "$sent" "$got" "$started" "$n" <<'PY'
import sys, datetime
sent, got, started, n = float(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
g = datetime.datetime.strptime(got, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
print(f"services {n}: {started} started when SIGTERM was acted on, {1000*(g-sent):.0f} ms after it was sent")
PY
rm -f "$dir.err"
