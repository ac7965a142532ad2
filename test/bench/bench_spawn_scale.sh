#!/usr/bin/env bash
# Spawning at scale, opt-in (not part of `make bench`: it takes minutes and
# ~7 GB of memory): bench_spawn.lua with SPAWN_N services (default 100,000)
# in one node, once.  Reports the overall spawn rate, the rate of the last
# tenth (the node already holding 90% of them) and the kill rate; with
# SKYNET_REF=/path/to/skynet, the same service on that skynet right after,
# and ours as a ratio of it.
# Usage: SPAWN_N=100000 SKYNET_REF=/work/ref/skynet test/bench/bench_spawn_scale.sh
cd "$(dirname "$0")/../.." || exit 1
N=${SPAWN_N:-100000}
out=test/out/bench
mkdir -p "$out"
here=$PWD
source test/interop/ref_lib.sh

figures() { # log -> "overall last_tenth kill" (services/s)
	awk '/BENCH spawn_services_per_s/ { s = $NF }
		/services\/s in the last/ { for (i = 1; i <= NF; i++) if ($i == "services/s") t = $(i - 1) }
		/BENCH kill_services_per_s/ { k = $NF }
		END { if (s == "" || k == "") exit 1; printf "%d %d %d\n", s, t, k }' "$1"
}

run_ours() {
	# the kill loop is one message that runs for a minute or more
	printf 'include "../../bench/config.lua"\nendless_interrupt = 0\n' >"$out/scale_config.lua"
	SPAWN_N=$N BENCH=bench_spawn timeout 1800 ./skynet "$out/scale_config.lua" >"$out/spawn_scale.log" 2>&1
	figures "$out/spawn_scale.log"
}

run_reference() {
	ref_config "$SKYNET_REF" bench_spawn "$here/test/bench" >"$out/ref_scale_config.lua"
	(cd "$SKYNET_REF" && SPAWN_N=$N timeout 1800 ./skynet "$here/$out/ref_scale_config.lua") \
		>"$out/ref_spawn_scale.log" 2>&1
	figures "$out/ref_spawn_scale.log"
}

read -r load _ </proc/loadavg
printf 'spawning %d services in one node, load average %s at start\n' "$N" "$load"
if ! read -r spawn last kill < <(run_ours); then
	echo "no figures, see $out/spawn_scale.log"
	exit 0
fi
printf '%-34s %10s %16s %10s\n' "" "spawn/s" "last tenth/s" "kill/s"
printf '%-34s %10d %16d %10d\n' "ours" "$spawn" "$last" "$kill"
if [ -n "${SKYNET_REF:-}" ]; then
	if read -r rspawn rlast rkill < <(run_reference); then
		printf '%-34s %10d %16d %10d\n' "reference skynet" "$rspawn" "$rlast" "$rkill"
		awk -v a="$spawn" -v b="$rspawn" -v c="$last" -v d="$rlast" -v e="$kill" -v f="$rkill" \
			'BEGIN { printf "%-34s %9.2fx %15.2fx %9.2fx\n", "ours / reference", a / b, c / d, e / f }'
	else
		echo "reference: no figures, see $out/ref_spawn_scale.log"
	fi
fi
exit 0
