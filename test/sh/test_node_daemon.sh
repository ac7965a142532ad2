#!/usr/bin/env bash
# daemon mode: the command returns, the node runs in the background with its
# pid in the pid file, a second node refuses the same pid file, SIGHUP
# reopens the log file (rotation), SIGTERM stops it and removes the pid file.
source "$(dirname "$0")/core_lib.sh"

pidfile=$SCRATCH/node.pid
log=$SCRATCH/node.log
node_config "$SCRATCH/daemon.lua" "logburst_main wait 10" <<CONF
daemon = "$pidfile"
logger = "$log"
CONF

timeout 10 ./skynet "$SCRATCH/daemon.lua" >"$SCRATCH/start.out" 2>&1
st=$?
[ $st = 0 ] || fail "starting a daemon: exit status $st: $(cat "$SCRATCH/start.out")"
for _ in $(seq 50); do
	[ -s "$pidfile" ] && break
	sleep 0.1
done
[ -s "$pidfile" ] || fail "no pid file"
pid=$(tr -dc '0-9' <"$pidfile")
[ -n "$pid" ] || fail "pid file holds no pid: $(cat "$pidfile")"
NODE_PIDS+=("$pid")
kill -0 "$pid" 2>/dev/null || fail "no process $pid from the pid file"
[ "$(readlink "/proc/$pid/exe")" = "$ROOT/skynet" ] || fail "pid $pid is not a skynet node"
wait_for_text "$log" "tick 2" 10 || fail "daemon does not log to $log"

# a second node with the same pid file refuses to start
timeout 10 ./skynet "$SCRATCH/daemon.lua" >"$SCRATCH/second.out" 2>&1
st=$?
[ $st != 0 ] || fail "a second daemon with the same pid file started"
[ "$st" != 124 ] || fail "a second daemon with the same pid file hangs"
kill -0 "$pid" 2>/dev/null || fail "the first daemon died when the second started"
[ "$(tr -dc '0-9' <"$pidfile")" = "$pid" ] || fail "the second node overwrote the pid file"

# log rotation: move the file away, SIGHUP, new lines go to a new file
mv "$log" "$log.1"
wait_for_text "$log.1" "tick 6" 10 || fail "the moved log stopped growing before SIGHUP"
kill -HUP "$pid"
wait_for_text "$log" "tick" 10 || fail "no new log file after SIGHUP"
kill -0 "$pid" 2>/dev/null || fail "SIGHUP killed the node"
last_old=$(grep -o 'tick [0-9]*' "$log.1" | tail -n 1 | cut -d' ' -f2)
first_new=$(grep -o 'tick [0-9]*' "$log" | head -n 1 | cut -d' ' -f2)
[ "$first_new" = $((last_old + 1)) ] || fail "ticks lost or repeated across rotation: old ends $last_old, new starts $first_new"

kill -TERM "$pid"
wait_gone "$pid" 10 || fail "daemon still running 10 s after SIGTERM"
[ ! -e "$pidfile" ] || fail "pid file left behind after a clean stop"
echo "daemon tests passed"
