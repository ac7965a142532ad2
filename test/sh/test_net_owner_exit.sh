#!/usr/bin/env bash
# A service's sockets close when it exits or is killed.  For each way a
# service can end (skynet.exit through the console's `exit`, the console's
# `kill`, skynet.kill from another service) a service listens on a free port,
# accepts a client from outside and connects to itself; once it is gone the
# outside client sees EOF, the port can be bound again, the node holds no
# socket on that port (ss) and the console's netstat no longer lists any
# socket under the dead service's address.
source "$(dirname "$0")/core_lib.sh"

CONSOLE_PORT=$(python3 test/free_port.py)
node_config "$SCRATCH/config.lua" sockowner_main <<<"console_port = $CONSOLE_PORT"
start_node "$SCRATCH/config.lua" "$SCRATCH/node.log"
wait_for_text "$SCRATCH/node.log" "SOCKOWNER READY" 10 || { cat "$SCRATCH/node.log"; fail "node did not start"; }

python3 - "$CONSOLE_PORT" "$NODE_PID" <<'PY' || { tail -40 "$SCRATCH/node.log"; fail "sockets outlived their service"; }
import re, socket, subprocess, sys, time
sys.path.insert(0, "test")
from console_client import Console

console_port, node_pid = int(sys.argv[1]), sys.argv[2]
con = Console(console_port)

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port

def netstat_owners():
    lines, status = con.cmd("netstat")
    assert status == "OK", lines
    return [m.group(1) for m in (re.search(r"address::([0-9a-f]{8})", l) for l in lines) if m]

def node_sockets_on(port):
    out = subprocess.run(["ss", "-tanpH"], capture_output=True, text=True, check=True).stdout
    return [l for l in out.splitlines()
            if f"pid={node_pid}," in l and re.search(rf":{port}\s", l)]

def end_service(how, address):
    if how == "exit":
        lines, status = con.cmd(f"exit :{address}")
    elif how == "console kill":
        lines, status = con.cmd(f"kill :{address}")
    else:
        lines, status = con.cmd(f'call .sockmain "kill", 0x{address}')
    assert status == "OK", (how, lines)

for how in ("exit", "console kill", "skynet.kill"):
    port = free_port()
    lines, status = con.cmd(f"start sockowner_svc {port}")
    assert status == "OK" and lines, lines
    address = lines[0].split()[0].lstrip(":")
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    client.sendall(b"ping")
    assert client.recv(16) == b"ping", "no echo"
    owned = netstat_owners().count(address)
    assert owned >= 4, f"netstat lists {owned} sockets of :{address}, want listener + 3 connections"
    assert node_sockets_on(port), "ss shows no socket of the node on the port"

    end_service(how, address)
    client.settimeout(3)
    try:
        data = client.recv(16)
    except socket.timeout:
        sys.exit(f"{how}: the client got no EOF within 3 s")
    except ConnectionResetError:
        data = b""
    assert data == b"", f"{how}: the client read {data!r} instead of EOF"
    client.close()

    deadline = time.time() + 3
    while node_sockets_on(port) and time.time() < deadline:
        time.sleep(0.1)
    left = node_sockets_on(port)
    assert not left, f"{how}: the node still holds sockets on port {port}:\n" + "\n".join(left)
    again = socket.socket()
    again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        again.bind(("127.0.0.1", port))
        again.listen()
    except OSError as e:
        sys.exit(f"{how}: port {port} cannot be bound again: {e}")
    again.close()
    owned = netstat_owners().count(address)
    assert owned == 0, f"{how}: netstat still lists {owned} sockets under :{address}"
    print(f"{how}: the service's sockets closed")
con.close()
PY
kill -0 "$NODE_PID" || fail "node died"
echo PASS
