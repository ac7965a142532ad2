#!/usr/bin/env bash
# Shared-table figures for `make bench` (test/bench/bench_sharetable.lua):
# RSS and bytes that 200 readers of a ~5 MB sharetable add, and query + full
# read times.  Report only: it prints what it measured and never fails.
cd "$(dirname "$0")/.." || exit 0
out=test/out/bench
mkdir -p "$out"
log=$out/sharetable.log
printf 'running sharetable x1 (about a minute)\n'
BENCH=bench_sharetable timeout 300 ./skynet test/bench/config.lua >"$log" 2>&1
if ! grep -q 'BENCH ' "$log" || grep -q 'BENCH_ERROR' "$log"; then
	printf 'sharetable benchmark gave no figures, see %s\n' "$log"
	grep 'BENCH_ERROR' "$log" | sed 's/^/    /'
	exit 0
fi
printf '%-44s %12s\n' "shared tables (report only)" value
grep -o 'BENCH [a-z0-9_]* [-0-9.e+]*' "$log" | while read -r _ figure value; do
	printf '%-44s %12.3f\n' "$figure" "$value"
done
exit 0
