# shellcheck shell=bash
# Helpers for the core's shell tests (sourced): a scratch directory, nodes
# started in the background and killed on exit, waits with deadlines.
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
SCRATCH=$(mktemp -d /tmp/skynet_core_test.XXXXXX)
NODE_PIDS=()
export TEST=unused # test/config.lua substitutes $TEST

cleanup() {
	local pid
	for pid in "${NODE_PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$SCRATCH"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	exit 1
}

# node_config FILE START: a config built on test/config.lua that starts
# START; extra lines come from stdin
node_config() {
	{
		printf 'include "%s/test/config.lua"\n' "$ROOT"
		printf 'start = "%s"\n' "$2"
		cat
	} >"$1"
}

# start_node CONFIG OUTPUT: runs ./skynet in the background; sets NODE_PID
start_node() {
	./skynet "$1" >"$2" 2>&1 &
	NODE_PID=$!
	NODE_PIDS+=("$NODE_PID")
}

# wait_for_text FILE TEXT SECONDS: until FILE contains TEXT (fixed string)
wait_for_text() {
	local deadline=$((SECONDS + $3))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# wait_exit PID SECONDS: waits for a child to exit; sets EXIT_STATUS
wait_exit() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		if [ $SECONDS -ge $deadline ]; then
			EXIT_STATUS=timeout
			return 1
		fi
		sleep 0.1
	done
	wait "$1"
	EXIT_STATUS=$?
}

# wait_gone PID SECONDS: waits for a process that is not our child
wait_gone() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}
