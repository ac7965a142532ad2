#!/usr/bin/env bash
# The connection-storm benchmark: boots test/bench/echo_server.lua (thread =
# 2, the default listen backlog) and has build/<mode>/test/loadgen open
# STORM connections (default 15,000) back to back, as clients do when they
# reconnect after a restart; a connection counts once it has echoed a byte.
# Prints the median of RUNS runs (default 3): connections accepted per
# second and the seconds for all of them.  It only reports: the exit status
# is 0 unless the benchmark could not run.  Runs in a network namespace of
# its own when it can, so its ports do not crowd other programs' loopback.
# Usage: test/bench_storm.sh   (STORM and RUNS override)
if [ -z "${STORM_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	STORM_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
cd "$(dirname "$0")/.." || exit 1
source test/bench/bench_lib.sh
OBJDIR=${OBJDIR:-build/release}
RUNS=${RUNS:-3}
STORM=${STORM:-15000}
LOADGEN=$OBJDIR/test/loadgen
out=test/out/bench
mkdir -p "$out"

if [ ! -x "$LOADGEN" ]; then
	echo "bench_storm: $LOADGEN is missing (run make)"
	exit 1
fi
# the node and loadgen each hold one fd per connection
ulimit -n $((STORM + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((STORM + 100)) ]; then
	echo "bench_storm: ulimit -n $(ulimit -n) is too low for $STORM connections (hard limit $(ulimit -Hn))"
	exit 1
fi

ECHO_PORT=$(python3 test/free_port.py)
export ECHO_PORT
log=$out/storm_server.log
if ! start_bench_node test/bench/config_echo.lua "$log" ECHO_READY; then
	echo "bench_storm: the echo node did not start, see $log"
	exit 1
fi

rates=()
times=()
for _ in $(seq "$RUNS"); do
	read -r rate _ secs _ < <("$LOADGEN" -p "$ECHO_PORT" -n "$STORM" 2>>"$log")
	if [ -n "$secs" ]; then
		rates+=("$rate")
		times+=("$secs")
	fi
	sleep 1 # the node closes the last storm's connections
done
stop_bench_node

printf '%-52s %12s  %s\n' "connection storm (median of $RUNS runs)" median runs
if [ ${#rates[@]} -eq 0 ]; then
	echo "bench_storm: no run finished, see $log"
	exit 1
fi
printf '%-52s %12s  [%s]\n' "connections accepted per second ($STORM back to back)" \
	"$(printf '%s\n' "${rates[@]}" | median)" "${rates[*]}"
printf '%-52s %12s  [%s]\n' "seconds for $STORM connections" \
	"$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
exit 0
