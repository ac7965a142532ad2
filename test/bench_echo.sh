#!/usr/bin/env bash
# The TCP echo benchmark: boots test/bench/echo_server.lua (thread = 2) and
# drives it with build/<mode>/test/loadgen from outside the node, client and
# server sharing the machine.  Two loads, RUNS runs each (default 5):
# 64-byte messages over 50 connections and 64 KB messages over 10, one
# message in flight per connection.  Prints the median round trips/s of each
# against its floor; exit status 1 when one misses it.
# Usage: test/bench_echo.sh   (SECONDS_PER_RUN, RUNS and ECHO_PORT override)
cd "$(dirname "$0")/.." || exit 1
source test/bench/bench_lib.sh
OBJDIR=${OBJDIR:-build/release}
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
export ECHO_PORT=${ECHO_PORT:-$(python3 test/free_port.py)}
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

log=$out/echo_server.log
if ! start_bench_node test/bench/config_echo.lua "$log" ECHO_READY; then
	echo "bench_echo: the echo node did not start (is port $ECHO_PORT free?), see $log"
	exit 1
fi

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
stop_bench_node
exit $status
