#!/usr/bin/env bash
# service/console.lua: service names typed on the node's stdin are launched.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
FIFO=$(mktemp -u)
mkfifo "$FIFO"
exec 3<>"$FIFO" # keeps the pipe open for writing while the node reads it
rm "$FIFO"
NODE_STDIN=/dev/fd/3 start_node $PORT 'console_stdin = true'

echo "console_idle typed on stdin" >&3
echo "no_such_service_typed" >&3
echo "" >&3
sleep 1
expect_in "$(cat "$NODE_LOG")" 'console_idle started with typed on stdin' "log"
expect_in "$(cat "$NODE_LOG")" 'Launch no_such_service_typed failed' "log"
LIST=$($CONSOLE_CLIENT $PORT list)
expect_in "$LIST" '^:[0-9a-f]{8}	snlua console_idle typed on stdin$' "list"
exec 3>&-
sleep 0.3
node_alive || fail "node died when stdin closed"
echo PASS
