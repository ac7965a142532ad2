#!/usr/bin/env bash
# Fuzzes the Lua C functions of skynet.socketdriver and skynet.netpack from
# inside a node (test/lua/socketfuzz_main.lua): random arguments of every
# type but lightuserdata must end in a result or a Lua error, never a crash
# (run it on a SANITIZE=1 build too).  The node runs in a network namespace
# of its own when it can: random host strings then fail without a DNS query.
if [ -z "${FUZZ_NETNS:-}" ] && unshare -n true 2>/dev/null; then
	FUZZ_NETNS=1 exec unshare -n bash -c 'ip link set lo up && exec bash "$0"' "$0"
fi
source "$(dirname "$0")/core_lib.sh"
[ -n "${FUZZ_NETNS:-}" ] || echo "note: no network namespace (unshare -n failed): host strings may reach DNS"
export RES_OPTIONS="timeout:1 attempts:1"

node_config "$SCRATCH/config.lua" socketfuzz_main <<CONFIG
fuzz_rounds = ${FUZZ_ROUNDS:-3000}
${FUZZ_SEED:+fuzz_seed = $FUZZ_SEED}
CONFIG
start_node "$SCRATCH/config.lua" "$SCRATCH/node.log"
if ! wait_for_text "$SCRATCH/node.log" "FUZZ PASS" 200; then
	tail -30 "$SCRATCH/node.log"
	kill -0 "$NODE_PID" 2>/dev/null && fail "the fuzz did not finish" || fail "the node died"
fi
grep "^FUZZ" "$SCRATCH/node.log"
# a clean stop, so that a sanitizer build reports what it saw
kill -TERM "$NODE_PID"
wait_exit "$NODE_PID" 20 || fail "node did not stop"
[ "$EXIT_STATUS" = 0 ] || { tail -30 "$SCRATCH/node.log"; fail "node exit status $EXIT_STATUS"; }
grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$SCRATCH/node.log" && fail "sanitizer report"
echo PASS
