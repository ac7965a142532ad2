#!/usr/bin/env bash
# skynet.db.redis.cluster against a real 3-master redis cluster on free
# loopback ports (each with its bus port, port+10000, free too), made with
# redis-cli --cluster create; test/lua/db_rediscluster_main.lua runs the checks.
source "$(dirname "$0")/core_lib.sh"
source test/sh/db_lib.sh
need_program redis-server redis-cli

mapfile -t PORTS < <(free_ports 3 10000)
for port in "${PORTS[@]}"; do
	redis_start "$port" "$SCRATCH/redis-$port" --cluster-enabled yes \
		--cluster-config-file "$SCRATCH/redis-$port/nodes.conf" --cluster-node-timeout 5000
done
redis-cli --cluster create "${PORTS[@]/#/127.0.0.1:}" --cluster-replicas 0 --cluster-yes \
	>"$SCRATCH/create.log" 2>&1 || { cat "$SCRATCH/create.log"; fail "redis-cli --cluster create failed"; }
deadline=$((SECONDS + 30))
for port in "${PORTS[@]}"; do
	until redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok'; do
		[ $SECONDS -ge $deadline ] && fail "cluster on port $port not ready"
		sleep 0.2
	done
done
run_db_test db_rediscluster_main 120 <<CONFIG
redis_cluster_ports = "${PORTS[*]}"
CONFIG
echo PASS
