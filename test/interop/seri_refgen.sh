#!/usr/bin/env bash
# Regenerates test/lua/seri_ref_bytes.lua: skynet.pack's bytes for the cases
# of test/lua/seri_cases.lua as packed by a built cloudwu/skynet.
#   SKYNET_REF=/work/ref/skynet bash test/interop/seri_refgen.sh
cd "$(dirname "$0")/../.." || exit 1
REF=${SKYNET_REF:-/work/ref/skynet}
[ -x "$REF/skynet" ] || { echo "no reference skynet at $REF (set SKYNET_REF)"; exit 1; }
source test/interop/ref_lib.sh
here=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$(git -C "$REF" log -1 --format='commit %h' 2>/dev/null)
{
	ref_config "$REF" seri_refgen "$here/test/interop"
	cat <<CONF
seri_cases = "$here/test/lua/seri_cases.lua"
ref_version = "$version"
CONF
} >"$tmp/config"
(cd "$REF" && timeout 30 ./skynet "$tmp/config") >"$tmp/out" 2>&1
sed -n '/^-- skynet.packstring/,/^}$/p' "$tmp/out" >"$tmp/bytes.lua"
[ -s "$tmp/bytes.lua" ] || { cat "$tmp/out"; exit 1; }
cp "$tmp/bytes.lua" test/lua/seri_ref_bytes.lua
echo "wrote test/lua/seri_ref_bytes.lua ($(grep -c '^		\[' test/lua/seri_ref_bytes.lua) cases)"
