#!/usr/bin/env bash
# The README's first command runs examples/config.lua: it must boot, run the
# counter example, open the debug console (on a free console_port) and stop
# cleanly on SIGTERM.
cd "$(dirname "$0")/../.." || exit 1
log=$(mktemp)
config=$(mktemp)
port=$(python3 test/free_port.py)
printf 'include "%s/examples/config.lua"\nconsole_port = %d\n' "$PWD" "$port" >"$config"
./skynet "$config" >"$log" 2>&1 &
node=$!
trap 'kill -KILL $node 2>/dev/null; rm -f "$log" "$config"' EXIT

for _ in $(seq 50); do
	grep -q "debug console on" "$log" && break
	sleep 0.1
done
fail() { echo "FAIL: $*"; cat "$log"; exit 1; }
grep -q "add 3 -> total 6" "$log" || fail "the counter example did not run"
grep -q 'as json: {"total":16}' "$log" || fail "cjson did not work in the example"
grep -q "debug console on" "$log" || fail "the debug console did not start"
answer=$(printf 'list\r\n' | timeout 5 nc -q 1 127.0.0.1 "$port")
echo "$answer" | grep -q "snlua counter" || fail "console list does not show the counter: $answer"
echo "$answer" | grep -q "<CMD OK>" || fail "console answer does not end with <CMD OK>: $answer"
kill -TERM $node
wait $node
status=$?
[ $status = 0 ] || fail "SIGTERM exit status $status"
echo "example node OK"
