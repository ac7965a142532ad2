#!/usr/bin/env bash
# skynet.db.mongo: test/lua/db_mongo_main.lua runs the driver's checks
#  - against a real mongod, without and with --auth (a SCRAM-SHA-1 user made
#    through pymongo), when `mongod` is on the PATH: Debian ships none;
#  - always against test/mongo/standin.py, an OP_MSG server whose storage
#    and queries are mongomock's and whose BSON is pymongo's, without and
#    with a login, and with a stand-in secondary that names it as primary.
# The output says plainly which servers were used (a NOTE: line that
# test/run.sh shows with the result).
source "$(dirname "$0")/core_lib.sh"
source test/sh/db_lib.sh
PY=/usr/bin/python3
"$PY" -c 'import mongomock, pymongo, bson' 2>/dev/null ||
	fail "python3-mongomock or python3-pymongo is not installed (run 'make deps': 3rd/install-deps.sh)"

# wait_port PORT SECONDS: until something accepts connections on PORT
wait_port() {
	"$PY" - "$1" "$2" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

# supervise LOG COMMAND...: keeps COMMAND running, starting it again
# whenever it exits (the test shuts servers down to see the driver reconnect)
supervise() {
	local log=$1
	shift
	(
		child=
		trap 'kill $child 2>/dev/null; wait $child; exit 0' TERM
		while [ ! -e "$SCRATCH/stop-supervisors" ]; do
			"$@" >>"$log" 2>&1 &
			child=$!
			wait $child
			echo "server exited" >>"$log"
			sleep 0.2
		done
	) &
	SERVER_PIDS+=("$!")
}

# standin_start PORT [ARGS...]
standin_start() {
	local port=$1 log=$SCRATCH/standin-$1.log
	shift
	supervise "$log" "$PY" test/mongo/standin.py --port "$port" "$@"
	wait_port "$port" 10 || fail "the stand-in on $port did not start: $(cat "$log")"
}

# mongod_start PORT DIR [ARGS...]
mongod_start() {
	local port=$1 dir=$2
	shift 2
	mkdir -p "$dir/data"
	supervise "$dir/console.log" mongod --dbpath "$dir/data" --port "$port" --bind_ip 127.0.0.1 \
		--logpath "$dir/mongod.log" --logappend "$@"
	wait_port "$port" 60 || fail "mongod on $port did not start: $(tail -5 "$dir/mongod.log")"
}

MONGO_USER=tester
PASSWORD=pw-$RANDOM-$RANDOM
read -r P1 P2 P3 P4 P5 < <(free_ports 5 | tr '\n' ' ')

if command -v mongod >/dev/null; then
	VERSION=$(mongod --version | sed -n 's/^db version v//p')
	mongod_start "$P1" "$SCRATCH/open"
	run_db_test db_mongo_main 120 <<CONFIG
mongo_port = $P1
mongo_server = "real mongod $VERSION"
CONFIG
	mongod_start "$P2" "$SCRATCH/auth" --auth
	# the localhost exception lets the first user be made without a login
	"$PY" - "$P2" "$MONGO_USER" "$PASSWORD" <<'PY' || fail "could not create the mongod user"
import sys, pymongo
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
client = pymongo.MongoClient("127.0.0.1", port, serverSelectionTimeoutMS=20000)
client.admin.command("createUser", user, pwd=password, roles=["root"], mechanisms=["SCRAM-SHA-1"])
PY
	run_db_test db_mongo_main 120 <<CONFIG
mongo_port = $P2
mongo_user = "$MONGO_USER"
mongo_password = "$PASSWORD"
mongo_server = "real mongod $VERSION with --auth"
CONFIG
	for dir in open auth; do
		grep -q 'server exited' "$SCRATCH/$dir/console.log" || fail "mongod ($dir) was never restarted"
	done
	RESULT="mongo: tested against real mongod $VERSION (and the mongomock stand-in)"
else
	RESULT="mongo: NO mongod on PATH — driver tested only against the mongomock stand-in"
fi

standin_start "$P3"
standin_start "$P4" --primary "127.0.0.1:$P3"
run_db_test db_mongo_main 120 <<CONFIG
mongo_port = $P3
mongo_secondary_port = $P4
mongo_server = "the mongomock stand-in"
CONFIG
grep -q 'in reverse order' "$SCRATCH/standin-$P3.log" ||
	fail "no pipelined requests reached the stand-in: replies were never matched out of order"
grep -q 'server exited' "$SCRATCH/standin-$P3.log" || fail "the stand-in was never restarted"
! grep 'unacknowledged command failed' "$SCRATCH"/standin-*.log || fail "an unacknowledged command failed"
standin_start "$P5" --user "$MONGO_USER" --password "$PASSWORD"
run_db_test db_mongo_main 120 <<CONFIG
mongo_port = $P5
mongo_user = "$MONGO_USER"
mongo_password = "$PASSWORD"
mongo_server = "the mongomock stand-in with a login"
CONFIG

echo "NOTE: $RESULT"
echo PASS
