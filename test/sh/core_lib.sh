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

# run_actions LOG PID SECONDS HANDLER: while node PID runs, does each
# "ACTION name" line it prints to LOG (T.shell_action in test/lua/testlib.lua)
# by calling HANDLER name, then creates $SCRATCH/name.done for the node to go
# on.  ACTIONS_DONE counts them; returns 1 if the node still runs after SECONDS.
run_actions() {
	local log=$1 pid=$2 deadline=$((SECONDS + $3)) handler=$4 actions name
	ACTIONS_DONE=0
	while kill -0 "$pid" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		mapfile -t actions < <(grep -a '^ACTION ' "$log" | cut -d' ' -f2)
		while [ "$ACTIONS_DONE" -lt ${#actions[@]} ]; do
			name=${actions[$ACTIONS_DONE]}
			echo "action: $name"
			"$handler" "$name"
			touch "$SCRATCH/$name.done"
			ACTIONS_DONE=$((ACTIONS_DONE + 1))
		done
		sleep 0.1
	done
}

# lua_client_preload: what LD_PRELOAD needs for a plain lua5.4 to load this
# build's luaclib/*.so: a sanitizer build's modules need its runtime loaded
# first (nothing in a normal build)
lua_client_preload() {
	if [ -f build/.mode-sanitize ]; then
		echo "$(cc -print-file-name=libasan.so):$(cc -print-file-name=libubsan.so)"
	elif [ -f build/.mode-tsan ]; then
		cc -print-file-name=libtsan.so
	fi
}
