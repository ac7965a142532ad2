#!/usr/bin/env bash
# The runner behind `make test`.  Three kinds of tests:
#   test/c/test_*.c     C unit tests (built by make into $OBJDIR/test/); exit 0 passes
#   test/lua/test_*.lua a Lua service booted as `start` of a real node
#                       (test/config.lua); passes when it prints "TEST PASS"
#   test/sh/test_*.sh   bash scripts driving real nodes from outside; exit 0 passes
# Usage: test/run.sh [pattern]   (runs only tests whose name contains pattern)
cd "$(dirname "$0")/.." || exit 1
OBJDIR=${OBJDIR:-build/release}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p test/out
pattern=${1:-}
passed=0
failed=0
failures=()

# A passing test's "NOTE: " lines (what it could not check, which peer it
# used) are shown under its name.
report() { # name status logfile
	if [ "$2" = 0 ]; then
		passed=$((passed + 1))
		printf 'PASS %s\n' "$1"
		grep '^NOTE: ' "$3" | sed 's/^/    /'
	else
		failed=$((failed + 1))
		failures+=("$1")
		printf 'FAIL %s\n' "$1"
		tail -n 30 "$3" | sed 's/^/    /'
	fi
}

sanitizer_clean() { # logfile: no sanitizer report in it
	! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:' "$1"
}

for t in "$OBJDIR"/test/test_*; do
	[ -x "$t" ] || continue
	name=c/$(basename "$t")
	[[ -n $pattern && $name != *$pattern* ]] && continue
	log=test/out/$(basename "$t").log
	timeout 120 "$t" >"$log" 2>&1
	st=$?
	[ $st = 0 ] && ! sanitizer_clean "$log" && st=1
	report "$name" $st "$log"
done

for t in test/lua/test_*.lua; do
	[ -f "$t" ] || continue
	svc=$(basename "$t" .lua)
	name=lua/$svc
	[[ -n $pattern && $name != *$pattern* ]] && continue
	log=test/out/$svc.log
	TEST=$svc timeout 120 ./skynet test/config.lua >"$log" 2>&1
	st=$?
	if [ $st = 0 ] && grep -q 'TEST PASS' "$log" && ! grep -q 'TEST FAIL' "$log" && sanitizer_clean "$log"; then
		st=0
	else
		[ $st = 0 ] && st=1
	fi
	report "$name" $st "$log"
done

for t in test/sh/test_*.sh; do
	[ -f "$t" ] || continue
	name=sh/$(basename "$t" .sh)
	[[ -n $pattern && $name != *$pattern* ]] && continue
	log=test/out/$(basename "$t" .sh).log
	timeout 300 bash "$t" >"$log" 2>&1
	st=$?
	[ $st = 0 ] && ! sanitizer_clean "$log" && st=1
	report "$name" $st "$log"
done

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[*]}"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
