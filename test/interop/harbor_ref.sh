#!/usr/bin/env bash
# Manual check (not part of `make test`: it needs a built reference skynet):
# our node and a node of cloudwu/skynet in one harbor network, on free ports.
#   SKYNET_REF=/work/ref/skynet bash test/interop/harbor_ref.sh
# 1. our node is harbor 1 and runs the master; skynet joins as harbor 2.
# 2. skynet is harbor 1 and runs the master; our node joins as harbor 2.
# Each time our harbor_ref_driver.lua calls skynet's harbor_ref_node.lua by
# global name and by handle, and has it call back and use the datacenter.
source "$(dirname "$0")/../sh/core_lib.sh"
source test/interop/ref_lib.sh
REF=${SKYNET_REF:-/work/ref/skynet}
[ -x "$REF/skynet" ] || fail "no reference skynet at $REF (set SKYNET_REF)"
here=$ROOT
tmp=$SCRATCH
free_port() {
	python3 test/free_port.py
}

ref_node_file() { # file harbor master standalone(or empty)
	{
		ref_config "$REF" harbor_ref_node "$here/test/interop" "$here/test/lua"
		printf 'harbor = %s\nmaster = "127.0.0.1:%s"\naddress = "127.0.0.1:%s"\n' "$2" "$3" "$(free_port)"
	} >"$1"
	[ -n "$4" ] && echo "standalone = \"127.0.0.1:$3\"" >>"$1"
}

our_node_file() { # file harbor master standalone(or empty)
	cat >"$1" <<CONF
include "$here/test/config.lua"
harbor = $2
master = "127.0.0.1:$3"
address = "127.0.0.1:$(free_port)"
start = "harbor_ref_driver"
luaservice = "$here/service/?.lua;$here/test/interop/?.lua"
harbor_driver = true
CONF
	[ -n "$4" ] && echo "standalone = \"127.0.0.1:$3\"" >>"$1"
}

status=0
run_part() { # part: ours first (1) or skynet first (2)
	local m
	m=$(free_port)
	if [ "$1" = 1 ]; then
		our_node_file "$tmp/ours$1.lua" 1 "$m" yes
		ref_node_file "$tmp/ref$1" 2 "$m" ""
		sed -i '/^harbor_driver = true$/d' "$tmp/ours$1.lua"
	else
		ref_node_file "$tmp/ref$1" 1 "$m" yes
		our_node_file "$tmp/ours$1.lua" 2 "$m" ""
	fi
	if [ "$1" = 1 ]; then
		# our master must be up first; the driver is started once skynet joined
		./skynet "$tmp/ours$1.lua" >"$tmp/ours$1.log" 2>&1 &
		NODE_PIDS+=($!)
		wait_for_text "$tmp/ours$1.log" "OURS NODE READY" 10 || { cat "$tmp/ours$1.log"; return 1; }
		(cd "$REF" && exec ./skynet "$tmp/ref$1") >"$tmp/ref$1.log" 2>&1 &
		NODE_PIDS+=($!)
		wait_for_text "$tmp/ref$1.log" "REF NODE READY" 10 || { cat "$tmp/ref$1.log"; return 1; }
		# the driver is a second node of ours, harbor 3
		our_node_file "$tmp/ours1d.lua" 3 "$m" ""
		timeout 60 ./skynet "$tmp/ours1d.lua" >"$tmp/ours1d.log" 2>&1
		grep -aE '^(ok|FAILED)' "$tmp/ours1d.log"
		grep -q 'INTEROP PASS' "$tmp/ours1d.log" || { tail -30 "$tmp/ours1d.log"; tail -20 "$tmp/ref$1.log"; return 1; }
	else
		(cd "$REF" && exec ./skynet "$tmp/ref$1") >"$tmp/ref$1.log" 2>&1 &
		NODE_PIDS+=($!)
		wait_for_text "$tmp/ref$1.log" "REF NODE READY" 10 || { cat "$tmp/ref$1.log"; return 1; }
		timeout 60 ./skynet "$tmp/ours$1.lua" >"$tmp/ours$1.log" 2>&1
		grep -aE '^(ok|FAILED)' "$tmp/ours$1.log"
		grep -q 'INTEROP PASS' "$tmp/ours$1.log" || { tail -30 "$tmp/ours$1.log"; tail -20 "$tmp/ref$1.log"; return 1; }
	fi
}
echo "== 1. our master (harbor 1), skynet as harbor 2, our driver as harbor 3"
run_part 1 || status=1
echo "== 2. skynet's master (harbor 1), our node as harbor 2"
run_part 2 || status=1
[ $status = 0 ] && echo "INTEROP PASS"
exit $status
