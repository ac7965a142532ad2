#!/usr/bin/env bash
# The database driver benchmarks, reported and never failing (`make bench`
# runs them after the others): a redis-server and a MariaDB started like the
# tests start them (test/sh/db_lib.sh: loopback, free ports, a scratch
# folder), then test/bench/bench_db_redis.lua and bench_db_mysql.lua in a
# node (thread = 2) against them, and redis-benchmark against the same
# redis-server for reference: 16 clients (our 16 coroutines share one
# connection), one request in flight each, then pipelines of 100.  Client,
# node and servers share the machine.  Prints the median of RUNS runs
# (default 3) of each figure.
# Usage: test/bench/bench_db.sh
source "$(dirname "$0")/../sh/core_lib.sh"
source test/sh/db_lib.sh
source test/bench/bench_lib.sh
RUNS=${RUNS:-3}
out=test/out/bench
mkdir -p "$out"
rm -f "$out"/db_*.values

for p in redis-server redis-benchmark mariadbd mariadb-install-db mariadb; do
	command -v "$p" >/dev/null || { echo "bench_db: $p is missing (make deps); no database figures"; exit 0; }
done

record() { # figure value: one more run of figure
	echo "$2" >>"$out/db_$1.values"
}

# run_bench SERVICE: one node whose start is SERVICE, config lines on stdin
run_bench() {
	local log=$out/$1.log
	{
		printf 'include "%s/test/bench/config.lua"\n' "$ROOT"
		cat
	} >"$SCRATCH/$1.config"
	BENCH=$1 start_node "$SCRATCH/$1.config" "$log"
	wait_exit "$NODE_PID" 120 || echo "bench_db: $1 did not finish within 120 s"
	grep -o 'BENCH [a-z_0-9]* [-0-9.e+]*' "$log" | while read -r _ figure value; do
		record "$figure" "$value"
	done
	grep 'BENCH_ERROR' "$log" | sed 's/^/    /'
}

redis_reference() { # pipeline: redis-benchmark's SET and GET requests/s
	local n=100000
	[ "$1" = 1 ] || n=2000000
	redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t set,get -n "$n" -c 16 -P "$1" --csv 2>/dev/null |
		tr -d '"' | awk -F, -v p="$1" '$1 == "SET" || $1 == "GET" { print "redis_benchmark_" tolower($1) "_p" p, $2 }' |
		while read -r figure value; do record "$figure" "$value"; done
}

read -r REDIS_PORT MYSQL_PORT < <(free_ports 2 | paste -sd" ")
redis_start "$REDIS_PORT" "$SCRATCH/redis"
PASSWORD=pw-$RANDOM
DIR=$SCRATCH/mariadb
mariadb_install "$DIR"
mariadb_supervise "$MYSQL_PORT" "$DIR" 2>>"$SCRATCH/mariadbd.stderr"
mariadb --no-defaults --socket="$DIR/sock" -uroot <<SQL || fail "creating the benchmark user failed"
CREATE DATABASE skynet_bench;
CREATE USER 'skynet'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON skynet_bench.* TO 'skynet'@'127.0.0.1';
SQL

for _ in $(seq "$RUNS"); do
	run_bench bench_db_redis <<<"redis_port = $REDIS_PORT"
	redis_reference 1
	redis_reference 100
	run_bench bench_db_mysql <<CONFIG
mysql_port = $MYSQL_PORT
mysql_password = "$PASSWORD"
CONFIG
done

# figure | what
FIGURES=(
	"redis_set_per_s|redis SET/s, skynet.db.redis, 16 coroutines, 1 conn"
	"redis_benchmark_set_p1|  redis-benchmark SET/s, 16 clients (-P 1)"
	"redis_get_per_s|redis GET/s, skynet.db.redis, 16 coroutines, 1 conn"
	"redis_benchmark_get_p1|  redis-benchmark GET/s, 16 clients (-P 1)"
	"redis_get_one_coroutine_per_s|redis GET round trips/s, one coroutine"
	"redis_pipelined_set_per_s|redis SET/s, pipelines of 100, 16 coroutines"
	"redis_benchmark_set_p100|  redis-benchmark SET/s, 16 clients, -P 100"
	"redis_pipelined_get_per_s|redis GET/s, pipelines of 100, 16 coroutines"
	"redis_benchmark_get_p100|  redis-benchmark GET/s, 16 clients, -P 100"
	"redis_pipelined_get_built_ops_per_s|redis GET/s, pipelines of 100, ops built beforehand"
	"mysql_point_select_per_s|MySQL point SELECTs/s, 16 coroutines, 1 conn"
	"mysql_point_select_one_coroutine_per_s|MySQL point SELECTs/s, one coroutine"
)
printf '%-52s %12s  %s\n' "database figure (median of $RUNS runs, reported only)" median runs
for f in "${FIGURES[@]}"; do
	IFS='|' read -r figure what <<<"$f"
	values=$out/db_$figure.values
	if [ -s "$values" ]; then
		printf '%-52s %12.0f  [%s]\n' "$what" "$(median <"$values")" "$(awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }' "$values")"
	else
		printf '%-52s %12s  [no figure, see %s/bench_db_*.log]\n' "$what" none "$out"
	fi
done
exit 0
