# shellcheck shell=bash
# Sourced by the benchmark scripts (from the repository's root): the median
# of a figure's runs, and one node run in the background while a script
# drives it from outside.

median() { # numbers on stdin -> median (mean of the middle two for an even count)
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

node_pid=
bare_pid=
started_pids=() # every process started here, killed if the script exits first
trap 'for pid in "${started_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done' EXIT

# wait_ready LOG READY PID: waits up to 10 s for the text READY in LOG from
# the live process PID
wait_ready() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" && break
		sleep 0.1
	done
	grep -q "$2" "$1" && kill -0 "$3" 2>/dev/null
}

# start_bench_node CONFIG LOG READY: runs ./skynet CONFIG in the background
# (killed if the script exits first) and waits up to 10 s for the text READY
# in LOG.  Sets node_pid; returns 1 when the node did not get ready.
start_bench_node() {
	./skynet "$1" >"$2" 2>&1 &
	node_pid=$!
	started_pids+=("$node_pid")
	wait_ready "$2" "$3" "$node_pid"
}

# start_bare_server LOG READY COMMAND...: the same for a program that is not
# a node (a yardstick to compare with); sets bare_pid, killed on exit
start_bare_server() {
	local log=$1 ready=$2
	shift 2
	"$@" >"$log" 2>&1 &
	bare_pid=$!
	started_pids+=("$bare_pid")
	wait_ready "$log" "$ready" "$bare_pid"
}

# stop_bench_node [PID]: SIGTERM shuts the node (PID, else the last one
# started) down cleanly; one that hangs is killed
stop_bench_node() {
	local pid=${1:-$node_pid}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	(sleep 5 && kill -KILL "$pid") >/dev/null 2>&1 &
	local watchdog=$!
	wait "$pid" 2>/dev/null
	kill "$watchdog" 2>/dev/null
	[ "$pid" = "$node_pid" ] && node_pid=
	return 0
}
