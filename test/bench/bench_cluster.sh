#!/usr/bin/env bash
# The skynet.cluster benchmark, a report that never fails (`make bench` runs
# it last): two nodes on this machine, thread = 2 each, on free loopback
# ports.  A server node (bench_cluster_server.lua) and a client node
# (bench_cluster.lua) that prints the figures; the sender's peak queue
# length during the send burst is the higher of its sampled length (the
# sender's answers to debug STAT, every 10 ms or as soon as it answers) and
# the highest "may overload, message queue length" warning in the client's
# log (the core warns as the queue crosses 1024, 2048, 4096...): both are
# lower bounds of the true peak.  Prints the median of RUNS runs
# (default 5).  SKYNET_REF=/path/to/skynet also runs the same two services
# on that (built) skynet, in the same sitting, and shows its medians.
# Usage: test/bench/bench_cluster.sh
source "$(dirname "$0")/../sh/core_lib.sh"
source test/bench/bench_lib.sh
source test/interop/ref_lib.sh
RUNS=${RUNS:-5}
export BENCH=unused # test/bench/config.lua substitutes $BENCH; start is set below
out=test/out/bench
mkdir -p "$out"
rm -f "$out"/cluster_*.values "$out"/ref_cluster_*.values

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# node_file KIND ROLE START: a config for one node; KIND ours or ref
node_file() {
	local file=$SCRATCH/$1_$2.config
	if [ "$1" = ours ]; then
		printf 'include "%s/test/bench/config.lua"\nstart = "%s"\n' "$ROOT" "$3" >"$file"
	else
		ref_config "$SKYNET_REF" "$3" "$ROOT/test/bench" >"$file"
	fi
	cat >>"$file" <<-EOF
		cluster = "$SCRATCH/nodes.lua"
		cluster_self = "$2"
	EOF
	echo "$file"
}

# run_pair KIND RUN: a server and a client node; the client's figures are
# appended to out/[ref_]figure.values
run_pair() {
	local kind=$1 prefix= dir=$ROOT
	if [ "$kind" = ref ]; then prefix=ref_; dir=$SKYNET_REF; fi
	local slog=$ROOT/$out/${prefix}cluster_server.$2.log clog=$ROOT/$out/${prefix}cluster_client.$2.log
	printf '__nowaiting = true\nserver = "127.0.0.1:%s"\n' "$(free_port)" >"$SCRATCH/nodes.lua"
	local sconf cconf
	sconf=$(node_file "$kind" server bench_cluster_server)
	cconf=$(node_file "$kind" client bench_cluster)
	(cd "$dir" && exec ./skynet "$sconf") >"$slog" 2>&1 &
	local server=$!
	NODE_PIDS+=("$server")
	if wait_for_text "$slog" BENCH_READY 20; then
		(cd "$dir" && exec timeout 120 ./skynet "$cconf") >"$clog" 2>&1
		grep -o 'BENCH [a-z_0-9]* [-0-9.e+]*' "$clog" | while read -r _ figure value; do
			echo "$value" >>"$out/$prefix$figure.values"
		done
		# the higher of the sampled queue length and the highest warning
		{
			grep -o 'BENCH cluster_send_queue_sampled [0-9]*' "$clog" | awk '{ print $NF }'
			grep -io 'may overload, message queue length = [0-9]*' "$clog" | awk '{ print $NF }'
			echo 0
		} | sort -g | tail -1 >>"$out/${prefix}cluster_send_queue_peak.values"
		grep 'BENCH_ERROR' "$clog" | sed 's/^/    /'
	else
		echo "    bench_cluster: the $kind server node did not start, see $slog"
	fi
	kill -KILL "$server" 2>/dev/null
	wait "$server" 2>/dev/null
}

read -r load _ </proc/loadavg
printf 'cluster benchmarks: two nodes, thread = 2, %d cores, load average %s at start; %d runs\n' \
	"$(nproc)" "$load" "$RUNS"
for run in $(seq "$RUNS"); do
	run_pair ours "$run"
	# the reference right after ours, so both see the same machine
	[ -n "${SKYNET_REF:-}" ] && run_pair ref "$run"
done

# figure | what
FIGURES=(
	"cluster_call_seq_per_s|sequential cluster.call, round trips/s"
	"cluster_call_16_per_s|cluster.call from 16 callers, round trips/s"
	"cluster_send_per_s|one-way cluster.send burst of 200,000, msgs/s at receiver"
	"cluster_send_queue_peak|  sender's peak queue during the burst, >= msgs"
	"cluster_send_rss_peak_mb|  sending node's peak RSS during the burst, MB"
	"cluster_send_rss_growth_mb|  its growth during the burst, MB"
	"cluster_recv_rss_growth_mb|  the receiving node's peak RSS growth, MB"
	"cluster_call_1mb_ms|cluster.call carrying 1 MB, ms per call"
)
printf '\n%-58s %12s %12s  %s\n' "figure (median of $RUNS runs)" ours "${SKYNET_REF:+skynet}" runs
fmt() { awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%d", v + 0.5; else printf "%.3g", v }'; }
for f in "${FIGURES[@]}"; do
	IFS='|' read -r figure what <<<"$f"
	ours= ref= runs=
	if [ -s "$out/$figure.values" ]; then
		ours=$(fmt "$(median <"$out/$figure.values")")
		runs=$(sort -g "$out/$figure.values" | while read -r v; do fmt "$v"; printf ' '; done)
	fi
	[ -s "$out/ref_$figure.values" ] && ref=$(fmt "$(median <"$out/ref_$figure.values")")
	printf '%-58s %12s %12s  [%s]\n' "$what" "${ours:-none}" "$ref" "${runs% }"
done
exit 0
