#!/usr/bin/env bash
# The TCP echo benchmark: boots test/bench/echo_server.lua (thread = 2) and
# drives it with build/<mode>/test/loadgen from outside the node, client and
# server sharing the machine.  Two loads, RUNS runs each (default 5):
# 64-byte messages over 50 connections and 64 KB messages over 10, one
# message in flight per connection.  Prints the median round trips/s of each
# against its floor; exit status 1 when one misses it.
# Usage: test/bench_echo.sh   (SECONDS_PER_RUN, RUNS and ECHO_PORT override)
cd "$(dirname "$0")/.." || exit 1
OBJDIR=${OBJDIR:-build/release}
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
export ECHO_PORT=${ECHO_PORT:-23001}
LOADGEN=$OBJDIR/test/loadgen
out=test/out/bench
mkdir -p "$out"

# connections | bytes | floor | what
LOADS=(
	"50|64|70000|echo 64 B x 50 connections, round trips/s"
	"10|65536|15000|echo 64 KB x 10 connections, round trips/s"
)

if [ ! -x "$LOADGEN" ]; then
	echo "bench_echo: $LOADGEN is missing (run make)"
	exit 1
fi

node_pid=
trap '[ -n "$node_pid" ] && kill -KILL "$node_pid" 2>/dev/null' EXIT
log=$out/echo_server.$ECHO_PORT.log
./skynet test/bench/config_echo.lua >"$log" 2>&1 &
node_pid=$!
for _ in $(seq 100); do
	grep -q ECHO_READY "$log" && break
	sleep 0.1
done
if ! grep -q ECHO_READY "$log" || ! kill -0 "$node_pid" 2>/dev/null; then
	echo "bench_echo: the echo node did not start (is port $ECHO_PORT free?), see $log"
	exit 1
fi

median() { # numbers on stdin -> median
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

status=0
printf '%-52s %12s %14s  %s  %s\n' "figure (median of $RUNS runs)" median limit result runs
for load in "${LOADS[@]}"; do
	IFS='|' read -r conns bytes floor what <<<"$load"
	values=()
	for _ in $(seq "$RUNS"); do
		v=$("$LOADGEN" -p "$ECHO_PORT" -c "$conns" -s "$bytes" -t "$SECONDS_PER_RUN" 2>>"$log" | awk '{ print $1 }')
		[ -n "$v" ] && values+=("$v")
	done
	m=$(printf '%s\n' "${values[@]}" | median)
	if [ -n "$m" ] && awk -v m="$m" -v f="$floor" 'BEGIN { exit !(m >= f) }'; then
		result=PASS
	else
		result=FAIL
		status=1
	fi
	printf '%-52s %12s %14s  %-6s  [%s]\n' "$what" "${m:-none}" ">= $floor" "$result" "${values[*]}"
done
kill -TERM "$node_pid" 2>/dev/null
wait "$node_pid" 2>/dev/null
node_pid=
exit $status
