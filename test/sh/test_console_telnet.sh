#!/usr/bin/env bash
# The debug console driven by Debian's telnet client (line mode, CR LF line
# ends, a telnet command sent with "send ayt"), next to a second session
# from another client; and its HTTP form from curl.
cd "$(dirname "$0")/../.." || exit 1
. test/console/node.sh
PORT=$(python3 test/free_port.py)
start_node $PORT
command -v telnet >/dev/null || fail "telnet is not installed"

OUT=$NODE_DIR/telnet.out
{
	sleep 0.5
	printf 'help\n'
	printf 'list\n'
	sleep 0.3
	printf 'call .echo "echo", {1, 2, x="y"}\n'
	printf 'no_such_command\n'
	sleep 0.3
	# ^] opens telnet's command prompt; "send ayt" sends IAC AYT to the console
	printf '\035send ayt\n'
	sleep 0.3
	printf 'getenv console_port\n'
	sleep 1
} | telnet 127.0.0.1 $PORT >"$OUT" 2>&1 &
TELNET=$!

# another session at the same time
sleep 0.7
SECOND=$($CONSOLE_CLIENT $PORT 'call .echo "ping"' 'ping .echo')
expect_in "$SECOND" '^1	"pong"$' "second session"
wait $TELNET

TEXT=$(tr -d '\r' <"$OUT")
expect_in "$TEXT" '^Welcome to skynet console$' telnet
expect_in "$TEXT" '^list	List all the service$' "telnet help"
expect_in "$TEXT" '^:[0-9a-f]{8}	snlua console_echo$' "telnet list"
expect_in "$TEXT" '^1	\{1,2,x="y"\}$' "telnet call"
expect_in "$TEXT" '^Invalid command, type help for command list$' "telnet unknown command"
expect_in "$TEXT" "^console_port	$PORT$" "telnet after IAC AYT"
[ "$(grep -c '^<CMD OK>$' <<<"$TEXT")" = 4 ] || fail "want 4 <CMD OK> in:
$TEXT"
[ "$(grep -c '^<CMD Error>$' <<<"$TEXT")" = 1 ] || fail "want 1 <CMD Error> in:
$TEXT"

# HTTP on the same port, as skynet's console answers it (no status line)
HTTP=$(curl -s --http0.9 "http://127.0.0.1:$PORT/getenv/console_port")
expect_in "$HTTP" "^console_port	$PORT$" "http"
expect_in "$HTTP" '^<CMD OK>$' "http"

node_alive || fail "node died"
echo PASS
