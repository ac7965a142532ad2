#!/usr/bin/env bash
# Services that never leave one message.  A start function that computes
# for 8 s finishes with the default endless_interrupt (it is only reported);
# SIGTERM ends a node whose service loops (interrupted) within a second or
# two; a loop that catches every interrupt is abandoned after
# shutdown_timeout: the log names it and the node exits with status 1.
source "$(dirname "$0")/core_lib.sh"

node_config "$SCRATCH/compute.lua" "stuck_main compute" </dev/null
start_node "$SCRATCH/compute.lua" "$SCRATCH/compute.out"
wait_exit "$NODE_PID" 30 || fail "compute: node still running after 30 s"
cat "$SCRATCH/compute.out"
[ "$EXIT_STATUS" = 0 ] || fail "compute: exit status $EXIT_STATUS"
grep -q "COMPUTED true endless flag true" "$SCRATCH/compute.out" || fail "the long start function did not finish"
grep -q "maybe in an endless loop" "$SCRATCH/compute.out" || fail "the long start function was not reported"
grep -q "interrupted" "$SCRATCH/compute.out" && fail "the long start function was interrupted"

node_config "$SCRATCH/loop.lua" "stuck_main loop" <<CONF
endless_interrupt = 0
CONF
start_node "$SCRATCH/loop.lua" "$SCRATCH/loop.out"
wait_for_text "$SCRATCH/loop.out" "STUCK READY" 10 || fail "loop: not ready"
kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 5 || fail "loop: SIGTERM did not end the node within 5 s"
cat "$SCRATCH/loop.out"
[ "$EXIT_STATUS" = 0 ] || fail "loop: exit status $EXIT_STATUS"

node_config "$SCRATCH/pcall.lua" "stuck_main pcall" <<CONF
logger = "$SCRATCH/pcall.log"
shutdown_timeout = 2
CONF
start_node "$SCRATCH/pcall.lua" "$SCRATCH/pcall.out"
wait_for_text "$SCRATCH/pcall.log" "STUCK READY" 10 || fail "pcall: not ready"
HANDLE=$(grep -o '\[:[0-9a-f]*\] STUCK READY' "$SCRATCH/pcall.log" | cut -c3-10)
kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 8 || fail "pcall: SIGTERM did not end the node within 8 s"
cat "$SCRATCH/pcall.out" "$SCRATCH/pcall.log"
[ "$EXIT_STATUS" = 1 ] || fail "pcall: exit status $EXIT_STATUS, want 1"
grep -q "shutdown: \[ :$HANDLE \] did not finish within 2 s" "$SCRATCH/pcall.log" || fail "the stuck service is not named in the log"
echo PASS
