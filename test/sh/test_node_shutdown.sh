#!/usr/bin/env bash
# skynet.abort() and SIGTERM stop the node with exit status 0 and every log
# line written, to stdout and to a logger file.
source "$(dirname "$0")/core_lib.sh"

# count_lines FILE: how many "line N" log lines, and is the last one there
check_lines() {
	local n
	n=$(grep -c 'line [0-9]' "$1")
	[ "$n" = 2000 ] || fail "$2: $n of 2000 log lines written"
	grep -q 'line 2000$' "$1" || fail "$2: last log line missing"
}

# abort, logging to stdout
node_config "$SCRATCH/abort.lua" "logburst_main abort 2000" </dev/null
start_node "$SCRATCH/abort.lua" "$SCRATCH/abort.out"
wait_exit "$NODE_PID" 10 || fail "skynet.abort(): node still running after 10 s"
[ "$EXIT_STATUS" = 0 ] || fail "skynet.abort(): exit status $EXIT_STATUS"
check_lines "$SCRATCH/abort.out" "abort to stdout"

# abort, logging to a file
node_config "$SCRATCH/abort_file.lua" "logburst_main abort 2000" <<CONF
logger = "$SCRATCH/abort.log"
CONF
start_node "$SCRATCH/abort_file.lua" "$SCRATCH/abort_file.out"
wait_exit "$NODE_PID" 10 || fail "skynet.abort() with a log file: node still running after 10 s"
[ "$EXIT_STATUS" = 0 ] || fail "skynet.abort() with a log file: exit status $EXIT_STATUS"
check_lines "$SCRATCH/abort.log" "abort to a file"

# SIGTERM while services are busy logging
node_config "$SCRATCH/term.lua" "logburst_main wait 2000" <<CONF
logger = "$SCRATCH/term.log"
CONF
start_node "$SCRATCH/term.lua" "$SCRATCH/term.out"
wait_for_text "$SCRATCH/term.log" "tick 3" 10 || fail "SIGTERM: node did not get ready"
kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 10 || fail "SIGTERM: node still running after 10 s"
[ "$EXIT_STATUS" = 0 ] || fail "SIGTERM: exit status $EXIT_STATUS"
check_lines "$SCRATCH/term.log" "SIGTERM"
# the log ends with complete lines: nothing was cut mid-write
[ -z "$(tail -c 1 "$SCRATCH/term.log")" ] || fail "SIGTERM: log ends in a partial line"
echo "shutdown tests passed"
