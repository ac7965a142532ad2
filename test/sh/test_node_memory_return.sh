#!/usr/bin/env bash
# After a burst (a service holding ~300 MB is killed) an idle node gives the
# memory back to the system: RSS falls back near where it was before.
source "$(dirname "$0")/core_lib.sh"
[ "${SANITIZE:-0}" = 1 ] && { echo "PASS (skipped: sanitizer builds use the libc allocator)"; exit 0; }

rss() { awk '/VmRSS/ {print $2}' "/proc/$NODE_PID/status"; }

node_config "$SCRATCH/burst.lua" "burst_main" </dev/null
start_node "$SCRATCH/burst.lua" "$SCRATCH/burst.out"
wait_for_text "$SCRATCH/burst.out" "BASE" 10 || fail "not started"
base=$(rss)
wait_for_text "$SCRATCH/burst.out" "BURST" 60 || fail "no burst"
peak=$(rss)
wait_for_text "$SCRATCH/burst.out" "KILLED" 10 || fail "burst service not killed"
[ $((peak - base)) -gt 150000 ] || fail "the burst grew RSS by $((peak - base)) kB only"
limit=$((base + (peak - base) / 8))
for _ in $(seq 40); do
	now=$(rss)
	[ "$now" -le "$limit" ] && break
	sleep 0.5
done
echo "RSS kB: base $base, peak $peak, after $now (limit $limit)"
[ "$now" -le "$limit" ] || fail "RSS stayed at $now kB after the burst (base $base, peak $peak)"
echo PASS
