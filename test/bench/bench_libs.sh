#!/usr/bin/env bash
# Service-library figures for `make bench`, reported and never failing:
# multicast publish to 1,000 subscriber services (bench_multicast.lua) and
# query + full read of a ~1 MB table through sharetable and sharedata, with
# the RSS each reader adds (bench_shared_1mb.lua; the 5 MB sharetable
# figures are test/bench_sharetable.sh's).  One node (thread = 2) per run;
# the median of RUNS runs (default 5).
# Usage: test/bench/bench_libs.sh
source "$(dirname "$0")/medians.sh"

FIGURES=(
	"multicast_1000_delivered_per_s|multicast to 1,000 subscribers, deliveries/s"
	"sharetable_1mb_query_full_read_ms|sharetable 1 MB table, query + full read, ms"
	"sharetable_1mb_rss_kb_per_reader|  RSS per reader holding it, KB"
	"sharedata_1mb_query_full_read_ms|sharedata 1 MB table, query + full read, ms"
	"sharedata_1mb_rss_kb_per_reader|  RSS per reader holding it, KB"
)
clear_figures "${FIGURES[@]}"
runs_of bench_multicast bench_shared_1mb
print_figures "library figure" "${FIGURES[@]}"
exit 0
