#!/usr/bin/env bash
# Values of megabytes from services and the config (newservice arguments, a
# setenv key, the logpath, the bootstrap line) do not crash the node: the
# core copies them to the heap, not onto a thread's stack.
source "$(dirname "$0")/core_lib.sh"

# run_case NAME [CONFIG LINES...]: bigvalues_main runs case NAME
run_case() {
	local name=$1
	shift
	node_config "$SCRATCH/$name.lua" bigvalues_main <<CONF
bigvalue_case = "$name"
$(printf '%s\n' "$@")
CONF
	timeout 60 ./skynet "$SCRATCH/$name.lua" >"$SCRATCH/$name.out" 2>&1
	local st=$?
	grep -a "TEST" "$SCRATCH/$name.out" | cut -c1-300
	[ $st = 0 ] || fail "$name: exit status $st: $(tail -n 3 "$SCRATCH/$name.out" | cut -c1-300)"
	grep -aq "TEST PASS" "$SCRATCH/$name.out" || fail "$name: no TEST PASS"
	echo "ok $name"
}

run_case launch
run_case setenv
run_case logon "logpath = \"$SCRATCH\" .. (\"/\"):rep(9 << 20)"
grep -aq "cannot open the message log" "$SCRATCH/logon.out" || fail "logon: no error for the 9 MB logpath"
run_case bootstrap 'bootstrap = "snlua bootstrap " .. ("b"):rep(5 << 20)'
echo "big value tests passed"
