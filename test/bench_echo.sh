#!/usr/bin/env bash
# The TCP echo benchmark: boots test/bench/echo_server.lua (thread = 2) and,
# beside it, build/<mode>/test/echo_bare (a single-threaded C epoll echo
# server, the yardstick) and a second node running the C echo service
# test/bench/service_echo_c.c (the node's ceiling: its threads and message
# path with no Lua), and drives them with build/<mode>/test/loadgen from
# outside, client and servers sharing the machine.  Two loads, RUNS runs
# each (default 5), the servers taking turns: 64-byte messages over 50
# connections and 64 KB messages over 10, one message in flight per
# connection.  Prints the node's median round trips/s against its floor and
# against the bare server's median of the same sitting, and the ceiling's
# (reported, no limit); exit status 1 when one misses its limit.
# Usage: test/bench_echo.sh   (SECONDS_PER_RUN, RUNS, ECHO_PORT, BARE_PORT, CEILING_PORT override)
cd "$(dirname "$0")/.." || exit 1
source test/bench/bench_lib.sh
OBJDIR=${OBJDIR:-build/release}
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
export ECHO_PORT=${ECHO_PORT:-$(python3 test/free_port.py)}
BARE_PORT=${BARE_PORT:-$(python3 test/free_port.py)}
CEILING_PORT=${CEILING_PORT:-$(python3 test/free_port.py)}
LOADGEN=$OBJDIR/test/loadgen
BARE=$OBJDIR/test/echo_bare
BARE_RATIO=0.8  # the node's floor, as a share of the bare server's figure
out=test/out/bench
mkdir -p "$out"

# connections | bytes | floor | what
LOADS=(
	"50|64|70000|echo 64 B x 50 connections, round trips/s"
	"10|65536|15000|echo 64 KB x 10 connections, round trips/s"
)

for tool in "$LOADGEN" "$BARE"; do
	if [ ! -x "$tool" ]; then
		echo "bench_echo: $tool is missing (run make)"
		exit 1
	fi
done

ceiling_log=$out/echo_c.log
if ! ECHO_PORT=$CEILING_PORT BENCH_CSERVICE=$OBJDIR/test/cservice \
	start_bench_node test/bench/config_echo_c.lua "$ceiling_log" ECHO_READY; then
	echo "bench_echo: the C echo node did not start (is port $CEILING_PORT free?), see $ceiling_log"
	exit 1
fi
ceiling_pid=$node_pid

log=$out/echo_server.log
if ! start_bench_node test/bench/config_echo.lua "$log" ECHO_READY; then
	echo "bench_echo: the echo node did not start (is port $ECHO_PORT free?), see $log"
	exit 1
fi

if ! start_bare_server "$out/echo_bare.log" ECHO_READY "$BARE" -p "$BARE_PORT"; then
	echo "bench_echo: the bare echo server did not start (is port $BARE_PORT free?), see $out/echo_bare.log"
	exit 1
fi

# round_trips PORT CONNS BYTES: one loadgen run, its round trips/s
round_trips() {
	"$LOADGEN" -p "$1" -c "$2" -s "$3" -t "$SECONDS_PER_RUN" 2>>"$log" | awk '{ print $1 }'
}

# passes VALUE LIMIT: VALUE is a number at least LIMIT
passes() {
	[ -n "$1" ] && awk -v v="$1" -v l="$2" 'BEGIN { exit !(v >= l) }'
}

status=0
printf '%-52s %12s %14s  %s  %s\n' "figure (median of $RUNS runs)" median limit result runs
for load in "${LOADS[@]}"; do
	IFS='|' read -r conns bytes floor what <<<"$load"
	values=()
	bare=()
	ceiling=()
	for _ in $(seq "$RUNS"); do
		v=$(round_trips "$ECHO_PORT" "$conns" "$bytes")
		[ -n "$v" ] && values+=("$v")
		v=$(round_trips "$BARE_PORT" "$conns" "$bytes")
		[ -n "$v" ] && bare+=("$v")
		v=$(round_trips "$CEILING_PORT" "$conns" "$bytes")
		[ -n "$v" ] && ceiling+=("$v")
	done
	m=$(printf '%s\n' "${values[@]}" | median)
	b=$(printf '%s\n' "${bare[@]}" | median)
	c=$(printf '%s\n' "${ceiling[@]}" | median)
	result=PASS
	passes "$m" "$floor" || { result=FAIL; status=1; }
	printf '%-52s %12s %14s  %-6s  [%s]\n' "$what" "${m:-none}" ">= $floor" "$result" "${values[*]}"
	ratio=$(awk -v m="${m:-0}" -v b="${b:-0}" 'BEGIN { if (b > 0) printf "%.2f", m / b }')
	result=PASS
	passes "$ratio" "$BARE_RATIO" || { result=FAIL; status=1; }
	printf '%-52s %12s %14s  %-6s  [%s]\n' "  bare C epoll server, same sitting" "${b:-none}" \
		"" "" "${bare[*]}"
	printf '%-52s %12s %14s  %-6s\n' "  node / bare" "x${ratio:-?}" ">= x$BARE_RATIO" "$result"
	ceiling_ratio=$(awk -v c="${c:-0}" -v b="${b:-0}" 'BEGIN { if (b > 0) printf "%.2f", c / b }')
	printf '%-52s %12s %14s  %-6s  [%s]\n' "  ceiling: C echo service in a node" "${c:-none}" \
		"x${ceiling_ratio:-?}" "" "${ceiling[*]}"
done
stop_bench_node
stop_bench_node "$ceiling_pid"
exit $status
