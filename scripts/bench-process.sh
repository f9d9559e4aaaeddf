#!/usr/bin/env bash
# Whole-process benchmarks: dinit beside the alternatives on the same input.
# Uses only what is installed (Debian packages: s6 for s6-log, tini,
# dumb-init); a missing one is reported and left out, nothing is installed.
# Prints markdown tables; arguments name the tables to run (all by default).
# Environment: LINES (default 1000000), RUNS (5), FLOOD_SECS (3).
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${LINES:-1000000}
RUNS=${RUNS:-5}
FLOOD_SECS=${FLOOD_SECS:-3}
LINE='{"level":"info","msg":"request handled","path":"/api/v1/items","status":200,"ms":12}'
# A 20-byte JSON line: where the per-line cost dominates.
SHORT='{"msg":"hi!","n":1}'
# A plain-text line of the same length (an access log, with quotes to escape).
TEXT='172.17.0.1 - - [28/Nov/2026:13:57:31 +0000] "GET /api/v1/items HTTP/1.1" 200 5123 "-"'

go build -o bin/benchcount ./internal/benchcount
go build -o bin/benchstop ./internal/benchstop
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Its own build, in $WORK: bin/dinit stays the user's (make build, make static).
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$WORK/dinit" ./cmd/dinit
DINIT=$WORK/dinit
DATA=$WORK/lines.json
awk -v l="$LINE" -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) print l }' > "$DATA"
SHORTDATA=$WORK/short.json
awk -v l="$SHORT" -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) print l }' > "$SHORTDATA"
TEXTDATA=$WORK/lines.txt
awk -v l="$TEXT" -v n="$LINES" 'BEGIN { for (i = 0; i < n; i++) print l }' > "$TEXTDATA"

now_us() { echo $(($(date +%s%N) / 1000)); }

# median_us CMD: runs CMD (a bash -c string) RUNS times, prints the median
# wall time in microseconds.
median_us() {
	local times=() s e
	for _ in $(seq "$RUNS"); do
		s=$(now_us)
		bash -c "$1"
		e=$(now_us)
		times+=($((e - s)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

# ratio_rows CMDS ORDER: one table row per name of the array ORDER, timing
# the command CMDS[name]: seconds, lines/s, and the ratio to the first row.
ratio_rows() {
	local -n _cmds=$1 _order=$2
	local base="" us name
	for name in "${_order[@]}"; do
		us=$(median_us "${_cmds[$name]}")
		[ -n "$base" ] || base=$us
		awk -v n="$name" -v us="$us" -v base="$base" -v lines="$LINES" 'BEGIN {
			gsub(/\|/, "\\|", n)
			printf "| %s | %.3f | %.2f M | %.2f |\n", n, us / 1e6, lines / (us / 1e6) / 1e6, us / base }'
	done
}

service() { # service DIR NAME CMD: a service whose run execs CMD
	mkdir -p "$1/$2"
	printf '#!/bin/sh\nexec %s\n' "$3" > "$1/$2/run"
	chmod +x "$1/$2/run"
}

# cpu_ms CMD: the median over RUNS of the CPU time (ms) of the command that
# CMD runs under $PERF (perf stat -i: the process itself, not its children),
# or "n/a" when perf is not installed.
PERF="perf stat -i -x, -e task-clock -o $WORK/perf.out --"
cpu_ms() {
	command -v perf > /dev/null || { echo n/a; return; }
	local times=()
	for _ in $(seq "$RUNS"); do
		bash -c "$1"
		times+=("$(awk -F, '/task-clock/ { print $1 }' "$WORK/perf.out")")
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

# relay_rows DATA: the relay rows of one input file: wall time, lines/s, the
# ratio to `cat | cat`, and the CPU seconds per million lines of the relay
# itself (the middle cat; dinit without the service it runs).
relay_rows() {
	local data=$1 dir=$WORK/relay$RANDOM name us base="" cpu
	service "$dir" flood "cat $data"
	local got
	got=$(DINIT_DIR=$dir "$DINIT" 2> /dev/null | wc -l)
	[ "$got" -eq "$LINES" ] || { echo "dinit relayed $got of $LINES lines" >&2; exit 1; }
	declare -A cmds=(
		["cat | cat"]="cat $data | cat | cat > /dev/null"
		["dinit (JSON)"]="DINIT_DIR=$dir $DINIT 2> /dev/null | cat > /dev/null"
		["dinit (DINIT_JSON_STDOUT=0)"]="DINIT_JSON_STDOUT=0 DINIT_DIR=$dir $DINIT 2> /dev/null | cat > /dev/null"
	)
	declare -A cpu=(
		["cat | cat"]="cat $data | $PERF cat | cat > /dev/null"
		["dinit (JSON)"]="DINIT_DIR=$dir $PERF $DINIT 2> /dev/null | cat > /dev/null"
		["dinit (DINIT_JSON_STDOUT=0)"]="DINIT_JSON_STDOUT=0 DINIT_DIR=$dir $PERF $DINIT 2> /dev/null | cat > /dev/null"
	)
	local order=("cat | cat" "dinit (JSON)" "dinit (DINIT_JSON_STDOUT=0)")
	if command -v s6-log > /dev/null; then
		cmds["s6-log t 1"]="cat $data | s6-log t 1 | cat > /dev/null"
		cpu["s6-log t 1"]="cat $data | $PERF s6-log t 1 | cat > /dev/null"
		order+=("s6-log t 1")
	fi
	if command -v tini > /dev/null; then
		cmds["tini (pass-through)"]="tini -s -- cat $data | cat > /dev/null"
		cpu["tini (pass-through)"]="$PERF tini -s -- cat $data | cat > /dev/null"
		order+=("tini (pass-through)")
	fi
	if command -v dumb-init > /dev/null; then
		cmds["dumb-init (pass-through)"]="dumb-init cat $data | cat > /dev/null"
		cpu["dumb-init (pass-through)"]="$PERF dumb-init cat $data | cat > /dev/null"
		order+=("dumb-init (pass-through)")
	fi
	for name in "${order[@]}"; do
		us=$(median_us "${cmds[$name]}")
		[ -n "$base" ] || base=$us
		cpu=$(cpu_ms "${cpu[$name]}")
		awk -v n="$name" -v us="$us" -v base="$base" -v lines="$LINES" -v cpu="$cpu" 'BEGIN {
			gsub(/\|/, "\\|", n)
			c = cpu == "n/a" ? "n/a" : sprintf("%.3f", cpu / 1e3 / (lines / 1e6))
			printf "| %s | %.3f | %.2f M | %.2f | %s |\n", n, us / 1e6, lines / (us / 1e6) / 1e6, us / base, c }'
	done
}

relay_table() {
	command -v s6-log > /dev/null || echo "(s6-log not installed: left out)" >&2
	command -v tini > /dev/null || echo "(tini not installed: left out)" >&2
	command -v dumb-init > /dev/null || echo "(dumb-init not installed: left out)" >&2
	command -v perf > /dev/null || echo "(perf not installed: no CPU column)" >&2
	local data
	for data in "$DATA" "$SHORTDATA"; do
		echo "### Relaying $LINES JSON lines of $(head -1 "$data" | wc -c) bytes with the newline (median of $RUNS)"
		echo
		echo 'CPU: the relay'"'"'s own CPU seconds per million lines (`perf stat -i`: the middle `cat`; dinit without the service it runs).'
		echo
		echo "| relay | seconds | lines/s | ratio to cat \| cat | CPU s per M lines |"
		echo "|---|---|---|---|---|"
		relay_rows "$data"
		echo
	done
}

# logs_table: the log formats of SPEC 10 beside the JSON stdout path:
# plain text wrapped into JSON on stdout (DINIT_JSON_STDOUT=wrap), and a
# service writing only to stderr, in the text and the JSON log format. The
# ratio is to the JSON stdout row (the target: within 10 %).
logs_table() {
	service "$WORK/one" flood "cat $DATA"
	service "$WORK/text" flood "cat $TEXTDATA"
	service "$WORK/errs" flood "sh -c 'exec cat $TEXTDATA >&2'"
	local got
	got=$(DINIT_JSON_STDOUT=wrap DINIT_DIR=$WORK/text "$DINIT" 2> /dev/null | wc -l)
	[ "$got" -eq "$LINES" ] || { echo "dinit wrap relayed $got of $LINES lines" >&2; exit 1; }
	got=$(DINIT_LOG_FORMAT=json DINIT_DIR=$WORK/errs "$DINIT" 2>&1 > /dev/null | grep -c '"stream":"stderr"')
	[ "$got" -eq "$LINES" ] || { echo "dinit json log relayed $got of $LINES lines" >&2; exit 1; }

	declare -A cmds=(
		["cat | cat (text)"]="cat $TEXTDATA | cat | cat > /dev/null"
		["dinit, JSON stdout (JSON)"]="DINIT_DIR=$WORK/one $DINIT 2> /dev/null | cat > /dev/null"
		["dinit, DINIT_JSON_STDOUT=wrap (text)"]="DINIT_JSON_STDOUT=wrap DINIT_DIR=$WORK/text $DINIT 2> /dev/null | cat > /dev/null"
		["dinit, stderr, text log format (text)"]="DINIT_DIR=$WORK/errs $DINIT 2>&1 > /dev/null | cat > /dev/null"
		["dinit, stderr, DINIT_LOG_FORMAT=json (text)"]="DINIT_LOG_FORMAT=json DINIT_DIR=$WORK/errs $DINIT 2>&1 > /dev/null | cat > /dev/null"
	)
	local order=("dinit, JSON stdout (JSON)" "cat | cat (text)" "dinit, DINIT_JSON_STDOUT=wrap (text)"
		"dinit, stderr, text log format (text)" "dinit, stderr, DINIT_LOG_FORMAT=json (text)")

	echo "### Log formats: $LINES lines of ${#TEXT}-byte text or ${#LINE}-byte JSON (median of $RUNS)"
	echo
	echo "| relay (input) | seconds | lines/s | ratio to JSON stdout |"
	echo "|---|---|---|---|"
	ratio_rows cmds order
	echo
}

# single_table: the one-program mode beside tini and dumb-init: the
# start-up cost of the init itself (`init true`, averaged over a loop of
# STARTS runs, beside /bin/true alone), and a relay of the data file by
# `dinit cat FILE`, which relays every line, beside `tini cat FILE`, which
# passes the output through untouched.
single_table() {
	local starts=${STARTS:-200} name us base="" tru
	tru=$(type -P true)
	declare -A cmds=(["true"]="$tru" ["dinit true"]="$DINIT $tru")
	local order=("true" "dinit true")
	if command -v tini > /dev/null; then cmds["tini true"]="$(command -v tini) -s -- $tru"; order+=("tini true"); fi
	if command -v dumb-init > /dev/null; then cmds["dumb-init true"]="$(command -v dumb-init) $tru"; order+=("dumb-init true"); fi
	echo "### One program: start-up and relay (median of $RUNS)"
	echo
	echo "Start-up: \`INIT true\`, $starts times in a row; per run, and beside \`/bin/true\` alone."
	echo
	echo "| command | per run | minus /bin/true |"
	echo "|---|---|---|"
	for name in "${order[@]}"; do
		us=$(median_us "for i in \$(seq $starts); do ${cmds[$name]}; done 2> /dev/null")
		[ -n "$base" ] || base=$us
		awk -v n="$name" -v us="$us" -v base="$base" -v k="$starts" 'BEGIN {
			printf "| %s | %.2f ms | %.2f ms |\n", n, us / k / 1e3, (us - base) / k / 1e3 }'
	done
	echo
	declare -A relay=(
		["cat | cat"]="cat $DATA | cat | cat > /dev/null"
		["dinit cat (JSON)"]="$DINIT cat $DATA 2> /dev/null | cat > /dev/null"
		["dinit cat (DINIT_JSON_STDOUT=0)"]="DINIT_JSON_STDOUT=0 $DINIT cat $DATA 2> /dev/null | cat > /dev/null"
	)
	order=("cat | cat" "dinit cat (JSON)" "dinit cat (DINIT_JSON_STDOUT=0)")
	if command -v tini > /dev/null; then relay["tini cat (pass-through)"]="tini -s -- cat $DATA | cat > /dev/null"; order+=("tini cat (pass-through)"); fi
	if command -v dumb-init > /dev/null; then relay["dumb-init cat (pass-through)"]="dumb-init cat $DATA | cat > /dev/null"; order+=("dumb-init cat (pass-through)"); fi
	echo "Relay of $LINES lines by the main program's output:"
	echo
	echo "| command | seconds | ratio to cat \| cat |"
	echo "|---|---|---|"
	base=""
	for name in "${order[@]}"; do
		us=$(median_us "${relay[$name]}")
		[ -n "$base" ] || base=$us
		awk -v n="$name" -v us="$us" -v base="$base" 'BEGIN {
			gsub(/\|/, "\\|", n)
			printf "| %s | %.3f | %.2f |\n", n, us / 1e6, us / base }'
	done
	echo
}

flood_table() {
	local dir=$WORK/flood n
	for n in 1 2 3 4 5 6 7 8; do service "$dir" "f$n" "yes '$LINE'"; done
	DINIT_DIR=$dir "$DINIT" > "$WORK/flood.pipe" 2> /dev/null &
	local pid=$! s e
	s=$(now_us)
	sleep "$FLOOD_SECS"
	kill -TERM "$pid"
	wait "$pid" || true
	e=$(now_us)
	echo "### 8 services flooding at once for ${FLOOD_SECS} s"
	echo
	bin/benchcount < "$WORK/flood.pipe" | awk -v us=$((e - s)) '
		/^lines/ { printf "Total: %d lines, %.2f M lines/s.\n\n| service | lines | share of the first half of the output |\n|---|---|---|\n", $2, $2 / (us / 1e6) / 1e6 }
		/^service/ { printf "| %s | %d | %.3f |\n", $2, $4, $6 }'
	rm -f "$WORK/flood.pipe"
	echo
}

# fanin_row N: N services flooding (`yes LINE`) for FLOOD_SECS; prints
# "lines_per_s min_share max_share": the rate of the second half of the
# output (by its timestamps: once every service runs), and the shares of the
# first half scaled by N (1.000 is an exactly fair share).
fanin_row() {
	local n=$1 dir=$WORK/fanin$1 i pid
	for i in $(seq -w 1 "$n"); do service "$dir" "f$i" "yes '$LINE'"; done
	DINIT_DIR=$dir "$DINIT" > "$WORK/fanin.pipe" 2> /dev/null &
	pid=$!
	sleep "$FLOOD_SECS"
	kill -TERM "$pid"
	wait "$pid" || true
	bin/benchcount < "$WORK/fanin.pipe" | awk -v n="$n" '
		/^second-half-rate/ { rate = $2 }
		/^service/ { k++; if (min == "" || $6 < min) min = $6; if ($6 > max) max = $6 }
		END { if (k != n) { print "benchcount saw " k " of " n " services" > "/dev/stderr"; exit 1 }
			printf "%.0f %.3f %.3f\n", rate, min * n, max * n }'
	rm -f "$WORK/fanin.pipe"
}

# fanin_table: the throughput of 100 services flooding at once beside one
# service flooding alone (the target: at least 90 %), and how fair the
# shares are.
fanin_table() {
	local one many
	one=$(fanin_row 1)
	many=$(fanin_row 100)
	echo "### Fan-in: services flooding at once for ${FLOOD_SECS} s"
	echo
	echo "Lines/s: the second half of the output, by its timestamps (every service runs by then)."
	echo "Share: each service's part of the first half of the output, times the number of services (1.000 is exactly fair)."
	echo
	echo "| services | lines/s | ratio to 1 service | lowest share | highest share |"
	echo "|---|---|---|---|---|"
	awk -v one="$one" -v many="$many" 'BEGIN {
		split(one, a, " "); split(many, b, " ")
		printf "| 1 | %.2f M | 1.00 | %.3f | %.3f |\n", a[1] / 1e6, a[2], a[3]
		printf "| 100 | %.2f M | %.2f | %.3f | %.3f |\n", b[1] / 1e6, b[1] / a[1], b[2], b[3] }'
	echo
}

idle_row() {
	local n=$1 dir=$WORK/idle$1 i
	for i in $(seq -w 1 "$n"); do service "$dir" "s$i" "sleep 100000"; done
	bin/benchstop -dinit "$DINIT" -dir "$dir" -services "$n" -runs "$RUNS" | awk '{
		printf "| %d | %.1f MiB | %d | %.1f ms | %.1f ms |\n", $2, $4 / 1024, $6, $8, $10 }'
}

idle_table() {
	echo "### Idle services: peak RSS, OS threads, SIGTERM to exit (median of $RUNS)"
	echo
	echo "The floor is the time to SIGTERM and reap the same number of sleep processes directly, without dinit."
	echo
	echo "| services | VmHWM | threads | SIGTERM to exit | floor |"
	echo "|---|---|---|---|---|"
	idle_row 100
	idle_row 1000
	echo
}

zombie_row() {
	local dir=$WORK/zombies
	mkdir -p "$dir/z"
	# 2000 children exit at once under a parent that never reaps them (it
	# exec'd sleep); when it exits, all 2000 are handed to dinit as zombies.
	printf '#!/bin/sh\nsh -c '"'"'for i in $(seq 2000); do sleep 0 & done; exec sleep 0.5'"'"'\nexec sleep 100000\n' > "$dir/z/run"
	chmod +x "$dir/z/run"
	echo "### 2000 orphan zombies, by policy (dinit's own debug figure: time spent in reap batches)"
	echo
	echo "| policy | reaped | reap batches | time in reap |"
	echo "|---|---|---|---|"
	local policy pid
	for policy in terminate adopt ignore; do
		DINIT_LOG_LEVEL=debug DINIT_REPARENTING_POLICY=$policy DINIT_DIR=$dir "$DINIT" 2> "$WORK/z.err" &
		pid=$!
		for _ in $(seq 100); do
			[ "$(grep -c 'reaping process' "$WORK/z.err")" -ge 2000 ] && break
			sleep 0.05
		done
		kill -TERM "$pid"
		wait "$pid" || true
		grep -c 'reaping process' "$WORK/z.err" | tr '\n' ' ' > "$WORK/z.count"
		# Batches before the shutdown: the zombies' reaping.
		awk -v p="$policy" -v reaped="$(cat "$WORK/z.count")" '
			/got signal/ { exit }
			/reaped [0-9]+ process(es)? in/ { for (i = 1; i <= NF; i++) if ($i == "in") ms += $(i + 1); b++ }
			END { printf "| %s | %d | %d | %.1f ms |\n", p, reaped, b, ms }' "$WORK/z.err"
	done
	echo
}

echo "## dinit benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r), $(go version | cut -d' ' -f3)"
echo
# Arguments name the tables to run (e.g. logs_table); none: all of them.
tables=("$@")
[ ${#tables[@]} -gt 0 ] || tables=(relay_table logs_table single_table flood_table fanin_table idle_table zombie_row)
for table in "${tables[@]}"; do
	"$table"
done
