#!/usr/bin/env bash
# skynet.dns against a real resolver: Debian's dnsmasq on a free loopback
# port with its own records only (--no-resolv --no-hosts), a hosts file
# of the test's own, and a UDP port that never answers; the checks are in
# test/lua/dns_main.lua.
source "$(dirname "$0")/http_lib.sh"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || fail "dnsmasq is missing: install dnsmasq (make deps)"
free_ports 2
DNS_PORT=${PORTS[0]}
SILENT_PORT=${PORTS[1]}
big=()
for i in $(seq 60); do
	big+=("--host-record=big.test,10.0.1.$i")
done
"$DNSMASQ" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --user=root \
	--listen-address=127.0.0.1 --bind-interfaces --port="$DNS_PORT" --pid-file= \
	--local=/test/ --address=/wild.test/10.1.2.3 \
	--host-record=host.test,10.0.0.1,fd00::1 --host-record=web.test,127.0.0.1 \
	--host-record=multi.test,10.0.2.1 --host-record=multi.test,10.0.2.2 \
	--host-record=ttl.test,10.0.3.1 --local-ttl=1 "${big[@]}" \
	--log-queries --log-facility="$TMP/dnsmasq.log" >"$TMP/dnsmasq.out" 2>&1 &
PEER_PIDS+=($!)
for _ in $(seq 50); do
	grep -q "started" "$TMP/dnsmasq.log" 2>/dev/null && break
	sleep 0.1
done
grep -q "started" "$TMP/dnsmasq.log" 2>/dev/null || fail "dnsmasq did not start: $(cat "$TMP/dnsmasq.out")"
cat >"$TMP/hosts" <<HOSTS
# the test's own hosts file
10.9.9.9	fromhosts.example
fd00::99	fromhosts6.example alias.example
HOSTS
{
	printf 'include "%s/test/config.lua"\n' "$ROOT"
	printf 'start = "dns_main"\n'
	printf 'dns_port = %s\nsilent_port = %s\n' "$DNS_PORT" "$SILENT_PORT"
	printf 'dns_log = "%s"\nhosts_file = "%s"\n' "$TMP/dnsmasq.log" "$TMP/hosts"
} >"$TMP/config.lua"
timeout 120 ./skynet "$TMP/config.lua" >"$LOG" 2>&1
grep -q "TEST PASS" "$LOG" || fail "dns_main did not pass"
if grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$LOG"; then
	fail "sanitizer report"
fi
echo PASS
