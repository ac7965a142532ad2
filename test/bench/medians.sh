# Sourced by the report-only benchmark scripts (bench_codec.sh,
# bench_libs.sh): run benchmark services RUNS times and print the median
# of each figure.  A service is test/bench/NAME.lua booted as the start of
# test/bench/config.lua (thread = 2); it prints "BENCH figure value" lines.
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 0
RUNS=${RUNS:-5}
out=test/out/bench
mkdir -p "$out"

source test/bench/bench_lib.sh

runs_of() { # name...: each benchmark service RUNS times, figures into $out/figure.values
	local name run log
	for name in "$@"; do
		rm -f "$out/$name".*.log
		printf 'running %s x%d\n' "$name" "$RUNS"
		for run in $(seq "$RUNS"); do
			log=$out/$name.$run.log
			BENCH=$name timeout 300 ./skynet test/bench/config.lua >"$log" 2>&1
			grep -o 'BENCH [a-z0-9_]* [-0-9.e+]*' "$log" | while read -r _ figure value; do
				echo "$value" >>"$out/$figure.values"
			done
			grep 'BENCH_ERROR' "$log" | sed 's/^/    /'
		done
	done
}

clear_figures() { # figure|what...: forget earlier runs of these figures
	local f figure
	for f in "$@"; do
		figure=${f%%|*}
		rm -f "$out/$figure.values"
	done
}

print_figures() { # title figure|what...: one line per figure, median and runs
	local title=$1 f figure what values
	shift
	printf '%-56s %12s  %s\n' "$title (median of $RUNS runs, reported only)" median runs
	for f in "$@"; do
		IFS='|' read -r figure what <<<"$f"
		values=$out/$figure.values
		if [ -s "$values" ]; then
			printf '%-56s %12s  [%s]\n' "$what" "$(fmt "$(median <"$values")")" \
				"$(while read -r v; do fmt "$v"; printf ' '; done <"$values" | sed 's/ $//')"
		else
			printf '%-56s %12s  [no figure, see %s logs]\n' "$what" none "$out"
		fi
	done
}

fmt() { # whole numbers from 1000 up, else 3 significant digits
	awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%d", v + 0.5; else printf "%.3g", v }'
}
