#!/usr/bin/env bash
# skynet.db.mysql against a real MariaDB server (Debian's mariadb-server)
# on a free loopback port, in a fresh data folder; the test logs in as a user
# with a password (mysql_native_password) over TCP.  The server is restarted
# whenever it exits, so the test can shut it down under a live connection.
source "$(dirname "$0")/core_lib.sh"
source test/sh/db_lib.sh
need_program mariadbd mariadb-install-db mariadb

PORT=$(free_ports 1)
PASSWORD=pw-$RANDOM
DIR=$SCRATCH/mariadb
mariadb_install "$DIR"
mariadb_supervise "$PORT" "$DIR"
mariadb --no-defaults --socket="$DIR/sock" -uroot <<SQL || fail "creating the test user failed"
CREATE DATABASE skynet_test CHARACTER SET utf8mb4;
CREATE USER 'skynet'@'127.0.0.1' IDENTIFIED BY '$PASSWORD';
GRANT ALL ON skynet_test.* TO 'skynet'@'127.0.0.1';
GRANT SHUTDOWN ON *.* TO 'skynet'@'127.0.0.1';
SQL
run_db_test db_mysql_main 120 <<CONFIG
mysql_port = $PORT
mysql_password = "$PASSWORD"
CONFIG
grep -q 'exited' "$DIR/restarts" || fail "the server was never restarted"
echo PASS
