#!/usr/bin/env bash
# The runner behind `make bench`.  Each benchmark is a Lua service,
# test/bench/bench_NAME.lua, booted as the `start` of a node (test/bench/config.lua,
# thread = 2); it prints its figures as "BENCH <figure> <value>" and aborts the
# node.  The idle-node figure is measured from outside.  Every benchmark runs
# RUNS times (default 5); the table shows the median of each figure against its
# target.  Then the TCP echo, HTTP, sharetable, connection storm,
# database, codec (sproto, crypt), library (multicast, shared 1 MB table)
# and nginx reports run.  A report, not a gate: a figure that misses its target on a busy
# machine is shown as such, and the exit status stays 0.
# SKYNET_REF=/path/to/skynet also runs the spawn benchmark on that (built)
# skynet, in the same sitting, and shows its medians and ours as a ratio.
# Usage: test/bench.sh [pattern]   (runs only benchmarks whose name contains pattern)
cd "$(dirname "$0")/.." || exit 1
source test/bench/bench_lib.sh
source test/interop/ref_lib.sh
RUNS=${RUNS:-5}
pattern=${1:-}
out=test/out/bench
mkdir -p "$out"
rm -f "$out"/*.values

# figure | benchmark | floor/ceiling | limit | what it measures
FIGURES=(
	"send_msgs_per_s|send|floor|320000|one-way skynet.send, messages/s"
	"call_round_trips_per_s|call|floor|150000|sequential skynet.call, round trips/s"
	"spawn_services_per_s|spawn|floor|7000|skynet.newservice x2000, services/s"
	"spawn_rss_kb_per_service|spawn|ceiling|40|RSS growth per idle service, KB"
	"kill_services_per_s|spawn|floor|20000|skynet.kill x2000, services/s"
	"timer_last_fired_s|timer|ceiling|1.25|100,000 timeouts, first scheduled to last fired, s"
	"idle_rss_mb|idle|ceiling|8|RSS of an idle node, MB"
)

record() { # log [prefix]: append each "BENCH figure value" line to out/prefixfigure.values
	grep -o 'BENCH [a-z_]* [-0-9.e+]*' "$1" | while read -r _ figure value; do
		echo "$value" >>"$out/${2:-}$figure.values"
	done
	grep 'BENCH_ERROR' "$1" | sed 's/^/    /'
}

run_service() { # name run: one node whose start service is bench_NAME
	local log=$out/$1.$2.log
	BENCH=bench_$1 timeout 120 ./skynet test/bench/config.lua >"$log" 2>&1
	record "$log"
}

run_reference() { # name run: the same benchmark service on the skynet in $SKYNET_REF
	local log=$out/ref_$1.$2.log here=$PWD
	ref_config "$SKYNET_REF" "bench_$1" "$here/test/bench" >"$out/ref_config.lua"
	(cd "$SKYNET_REF" && timeout 120 ./skynet "$here/$out/ref_config.lua") >"$log" 2>&1
	record "$log" ref_
}

run_idle() { # run: start a node with an empty main, read its RSS once settled
	local log=$out/idle.$1.log
	if BENCH=bench_idle start_bench_node test/bench/config.lua "$log" BENCH_READY; then
		sleep 2
		awk '/^VmRSS:/ { printf "%.2f\n", $2 / 1024 }' "/proc/$node_pid/status" >>"$out/idle_rss_mb.values"
	else
		echo "    idle node did not start, see $log"
	fi
	stop_bench_node
}

fmt() { # a figure for the table: whole numbers from 1000 up, else 3 digits
	awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%d", v + 0.5; else printf "%.3g", v }'
}

benchmarks=()
for f in "${FIGURES[@]}"; do
	IFS='|' read -r _ bench _ _ _ <<<"$f"
	[[ -n $pattern && $bench != *$pattern* ]] && continue
	[[ " ${benchmarks[*]} " == *" $bench "* ]] || benchmarks+=("$bench")
done

# the figures are only as good as the machine is quiet
read -r load _ </proc/loadavg
printf 'benchmarks on %d cores, load average %s at start\n' "$(nproc)" "$load"
for bench in "${benchmarks[@]}"; do
	printf 'running %s x%d\n' "$bench" "$RUNS"
	for run in $(seq "$RUNS"); do
		if [ "$bench" = idle ]; then run_idle "$run"; else run_service "$bench" "$run"; fi
		# the reference right after ours, so both see the same machine
		if [ -n "${SKYNET_REF:-}" ] && [ "$bench" = spawn ]; then run_reference "$bench" "$run"; fi
	done
done

passed=0
failed=0
printf '\n%-52s %12s %14s  %s  %s\n' "figure (median of $RUNS runs)" median target result runs
for f in "${FIGURES[@]}"; do
	IFS='|' read -r figure bench kind limit what <<<"$f"
	[[ " ${benchmarks[*]} " == *" $bench "* ]] || continue
	values=$out/$figure.values
	if [ -s "$values" ]; then
		m=$(median <"$values")
		runs=$(sort -g "$values" | while read -r v; do fmt "$v"; printf ' '; done)
		runs=${runs% }
	else
		m=
		runs="no figure, see $out/$bench.*.log"
	fi
	if [ "$kind" = floor ]; then sign='>='; else sign='<='; fi
	if [ -n "$m" ] && awk -v m="$m" -v l="$limit" -v k="$kind" \
		'BEGIN { exit !(k == "floor" ? m >= l : m <= l) }'; then
		result=ok
		passed=$((passed + 1))
	else
		result=MISS
		failed=$((failed + 1))
	fi
	printf '%-52s %12s %14s  %-6s  [%s]\n' "$what" "${m:+$(fmt "$m")}" "$sign $limit" "$result" "$runs"
	ref=$out/ref_$figure.values
	if [ -s "$ref" ] && [ -n "$m" ]; then
		r=$(median <"$ref")
		printf '%-52s %12s %14s\n' "  reference skynet ($SKYNET_REF)" "$(fmt "$r")" \
			"ours x$(awk -v m="$m" -v r="$r" 'BEGIN { printf "%.2f", m / r }')"
	fi
done
printf '%d figures meet their targets, %d miss them (a report, not a gate)\n' "$passed" "$failed"

if [[ -f test/bench_echo.sh && ( -z $pattern || echo == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench_echo.sh
fi
if [[ -f test/bench_http.sh && ( -z $pattern || http == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench_http.sh
fi
if [[ -z $pattern || sharetable == *$pattern* ]]; then
	printf '\n'
	bash test/bench_sharetable.sh
fi
# the connection storm only reports: its figures depend on the kernel's limits
if [[ -f test/bench_storm.sh && ( -z $pattern || storm == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench_storm.sh || echo "bench_storm: did not run (not counted)"
fi
if [[ -f test/bench/bench_db.sh && ( -z $pattern || db == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench/bench_db.sh
fi
# the codec, library and nginx reports: each script prints its own medians
if [[ -f test/bench/bench_codec.sh && ( -z $pattern || codec_sproto_crypt == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench/bench_codec.sh
fi
if [[ -f test/bench/bench_libs.sh && ( -z $pattern || libs_multicast_sharedata_sharetable == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench/bench_libs.sh
fi
# nginx for scale beside the HTTP figure above (skipped without an nginx binary)
if [[ -f test/bench/bench_nginx.sh && ( -z $pattern || http_nginx == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench/bench_nginx.sh
fi
# two cluster nodes; a report of its own (test/bench/bench_cluster.sh)
if [[ -f test/bench/bench_cluster.sh && ( -z $pattern || cluster == *$pattern* ) ]]; then
	printf '\n'
	bash test/bench/bench_cluster.sh
fi
exit 0
