#!/usr/bin/env bash
# skynet.db.redis against a real redis-server (Debian's redis-server) on a
# free loopback port, with a password: test/lua/db_redis_main.lua runs the
# driver's checks; the server is restarted whenever it exits, so the test
# can shut it down under a live connection.
source "$(dirname "$0")/core_lib.sh"
source test/sh/db_lib.sh
need_program redis-server redis-cli

PORT=$(free_ports 1)
PASSWORD=pw-$RANDOM
redis_supervise "$PORT" "$SCRATCH/redis" --requirepass "$PASSWORD"
run_db_test db_redis_main 120 <<CONFIG
redis_port = $PORT
redis_password = "$PASSWORD"
CONFIG
grep -q 'exited' "$SCRATCH/redis/restarts" || fail "the server was never restarted"
echo PASS
