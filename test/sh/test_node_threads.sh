#!/usr/bin/env bash
# The threads of a node as an operator sees them (top -H, ps -L): named
# "worker N", "socket", "timer" and "monitor"; the socket thread runs under
# SCHED_BATCH; an idle node leaves its workers asleep.
source "$(dirname "$0")/core_lib.sh"

node_config "$SCRATCH/threads.lua" echo_svc <<CONF
thread = 3
CONF
start_node "$SCRATCH/threads.lua" "$SCRATCH/threads.out"
wait_for_text "$SCRATCH/threads.out" "LAUNCH snlua echo_svc" 10 || fail "node did not start"
sleep 0.5

task_of() { # NAME -> the thread's /proc directory
	local t
	for t in /proc/"$NODE_PID"/task/*; do
		[ "$(cat "$t/comm")" = "$1" ] && echo "$t" && return 0
	done
	return 1
}

# the policy field of /proc/.../stat, counted after the command name
policy_of() {
	sed 's/.*) //' "$1/stat" | awk '{ print $39 }'
}

switches_of() { # voluntary context switches of a thread
	awk '/^voluntary_ctxt_switches/ { print $2 }' "$1/status"
}

for name in "worker 0" "worker 1" "worker 2" socket timer monitor; do
	task_of "$name" >/dev/null || fail "no thread named '$name': $(cat /proc/"$NODE_PID"/task/*/comm | tr '\n' ,)"
done
task_of "worker 3" >/dev/null && fail "thread = 3 but a fourth worker runs"

socket=$(task_of socket)
[ "$(policy_of "$socket")" = 3 ] || fail "socket thread policy $(policy_of "$socket"), want 3 (SCHED_BATCH)"
[ "$(policy_of "$(task_of "worker 0")")" = 0 ] || fail "workers should keep the normal policy"

# idle for two seconds: the timer ticks, the workers are not woken
before=()
for i in 0 1 2; do before[i]=$(switches_of "$(task_of "worker $i")"); done
timer_before=$(switches_of "$(task_of timer)")
sleep 2
for i in 0 1 2; do
	after=$(switches_of "$(task_of "worker $i")")
	woken=$((after - before[i]))
	echo "worker $i: $woken wakeups in 2 s of idling"
	[ "$woken" -le 5 ] || fail "worker $i woke $woken times in 2 s on an idle node"
done
timer_after=$(switches_of "$(task_of timer)")
[ $((timer_after - timer_before)) -ge 100 ] || fail "the timer thread did not tick ($timer_before -> $timer_after)"

kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 10 || fail "node did not stop on SIGTERM"
echo "threads ok"
