#!/usr/bin/env bash
# The HTTP benchmark, reported and never failing: boots test/bench/http_hello.lua
# (thread = 2, 4 agents) and drives it with wrk (keep-alive GETs of a
# hello-world page, 50 connections, 2 threads) from outside the node,
# client and server sharing the machine; then a second node echoes 64-byte
# WebSocket messages over 50 connections through http.websocket's client.
# Prints the median of RUNS runs (default 3) of each figure.
# Usage: test/bench_http.sh   (SECONDS_PER_RUN and RUNS override)
cd "$(dirname "$0")/.." || exit 1
source test/bench/bench_lib.sh
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
out=test/out/bench
mkdir -p "$out"
read -r HTTP_PORT WS_PORT < <(python3 test/free_port.py 2 | paste -sd" ")
export HTTP_PORT WS_PORT

if ! command -v wrk >/dev/null; then
	echo "bench_http: wrk is missing (make deps); no HTTP figure"
	exit 0
fi
log=$out/http_hello.log
if ! start_bench_node test/bench/config_http.lua "$log" HTTP_READY; then
	echo "bench_http: the httpd node did not start, see $log"
	exit 0
fi

report() { # what values...
	local what=$1
	shift
	local m
	m=$(printf '%s\n' "$@" | median)
	printf '%-52s %12s  [%s]\n' "$what" "${m:-none}" "$*"
}

http=()
for _ in $(seq "$RUNS"); do
	v=$(wrk -t2 -c50 -d"${SECONDS_PER_RUN}s" "http://127.0.0.1:$HTTP_PORT/" 2>>"$log" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
	[ -n "$v" ] && http+=("$v")
done
ws=()
printf 'include "%s/test/bench/config_http.lua"\nstart = "ws_bench_client"\nws_connections = 50\nws_seconds = %s\n' \
	"$PWD" "$SECONDS_PER_RUN" >"$out/config_ws_client.lua"
for _ in $(seq "$RUNS"); do
	v=$(timeout 60 ./skynet "$out/config_ws_client.lua" 2>&1 | tee -a "$log" | awk '/BENCH ws_echo_per_s/ { print $3 }')
	[ -n "$v" ] && ws+=("$v")
done
stop_bench_node

printf '%-52s %12s  %s\n' "figure (median of $RUNS runs, reported only)" median runs
report "HTTP keep-alive GETs/s (wrk -t2 -c50, 4 agents)" "${http[@]}"
report "WebSocket echo round trips/s (64 B x 50 conns)" "${ws[@]}"
exit 0
