#!/usr/bin/env bash
# `while true do end` in a handler: the monitor logs "maybe in an endless
# loop" within seconds, the loop is interrupted after endless_interrupt, the
# node keeps serving.
source "$(dirname "$0")/core_lib.sh"

node_config "$SCRATCH/endless.lua" endless_main <<CONF
logger = "$SCRATCH/endless.log"
endless_interrupt = 4
CONF
start_node "$SCRATCH/endless.lua" "$SCRATCH/endless.out"
wait_exit "$NODE_PID" 30 || fail "node still running after 30 s"
cat "$SCRATCH/endless.log"
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
grep -q "TEST PASS" "$SCRATCH/endless.log" || fail "endless_main did not pass"
grep -q "maybe in an endless loop" "$SCRATCH/endless.log" || fail "no endless loop report in the log"
