#!/usr/bin/env bash
# The log tells what went wrong: a handler error with its traceback, and
# services that could not be launched, by name, a queue overload, and
# messages with zero bytes in them (logged whole).
source "$(dirname "$0")/core_lib.sh"

node_config "$SCRATCH/errorlog.lua" errorlog_main <<CONF
logger = "$SCRATCH/errorlog.log"
CONF
start_node "$SCRATCH/errorlog.lua" "$SCRATCH/errorlog.out"
wait_exit "$NODE_PID" 20 || fail "node still running after 20 s"
log=$SCRATCH/errorlog.log
cat "$log"
[ "$EXIT_STATUS" = 0 ] || fail "exit status $EXIT_STATUS"
grep -aq "TEST PASS" "$log" || fail "errorlog_main did not pass"
grep -aq "handler-error-marker-7731" "$log" || fail "the handler's error message is not logged"
grep -a -A3 "handler-error-marker-7731" "$log" | grep -aq "traceback" || fail "the handler error has no traceback"
grep -aq "echo_svc.lua:[0-9]" "$log" || fail "the traceback does not point into echo_svc.lua"
# one traceback per error: the handler's, not a second one of the dispatcher
n=$(awk '/handler-error-marker-7731/ { on = 1; next } on && /\[:[0-9a-f]+\] / { exit } on && /stack traceback:/ { n++ } END { print n + 0 }' "$log")
[ "$n" = 1 ] || fail "the handler error is logged with $n tracebacks, want 1"
n=$(awk '/missing-service-marker not found/ { on = 1; next } on && /\[:[0-9a-f]+\] / { exit } on && /stack traceback:/ { n++ } END { print n + 0 }' "$log")
[ "$n" -le 1 ] || fail "the failed launch is logged with $n tracebacks, want at most 1"
grep -aq "missing-service-marker" "$log" || fail "the missing service is not named in the log"
grep -aq "start_error_svc refuses to start" "$log" || fail "the start error is not logged"
grep -aqi "overload.*[0-9]" "$log" || fail "no overload warning for a queue of 5000 messages"
tr '\0' '@' <"$log" | grep -aq "nul-marker A@B$" || fail "skynet.error cut the message at its zero byte"
tr '\0' '@' <"$log" | grep -aq "nul-marker C@D 7$" || fail "skynet.error with several values cut them at a zero byte"
