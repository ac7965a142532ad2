#!/usr/bin/env bash
# A user's socket handler that raises while it serves a connection: the
# connection is closed and the error logged with its traceback, and the
# service serves its other connections on (test/lua/sockerr_main.lua drives
# skynet.socket, snax.gateserver and http.websocket servers over loopback).
source "$(dirname "$0")/core_lib.sh"
PORT=$(python3 test/free_port.py)
node_config "$SCRATCH/node.lua" sockerr_main <<<"gate_port = $PORT"
LOG=$SCRATCH/node.log
start_node "$SCRATCH/node.lua" "$LOG"
wait_exit "$NODE_PID" 60 || { cat "$LOG"; fail "the node did not finish"; }
cat "$LOG"
grep -q 'TEST PASS' "$LOG" || fail "sockerr_main did not pass"
grep -q 'socket: accept callback of .* closing it: .*data boom' "$LOG" || fail "the raise while reading was not logged"
grep -q 'socket: accept callback of .* closing it: .*accept boom before start' "$LOG" || fail "the raise before start was not logged"
grep -q 'socket: accept callback of .* no longer ours: .*after the handover' "$LOG" || fail "the raise after a handover was not logged"
grep -q 'gate: handler raised on fd .*packet boom' "$LOG" || fail "handler.message's raise was not logged"
grep -q 'gate: handler raised on fd .*connect boom' "$LOG" || fail "handler.connect's raise was not logged"
[ "$(grep -c 'stack traceback' "$LOG")" -ge 5 ] || fail "errors logged without their traceback"
echo PASS
