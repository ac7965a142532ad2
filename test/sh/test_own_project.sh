#!/usr/bin/env bash
# The README's "Your own project": a project folder outside the framework
# with the README's config template, run from its own folder as
# /path/to/skynet config.lua; its services and Lua modules are found, and so
# are the framework's (default paths start at the binary's folder).
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PROJECT=$(mktemp -d)
trap 'rm -rf "$PROJECT"' EXIT
fail() { echo "FAIL: $*"; cat "$PROJECT/out" 2>/dev/null; exit 1; }

mkdir -p "$PROJECT/service" "$PROJECT/lualib"
# the config template, as the README shows it
awk '/^<!-- project-config -->/ { on = 1; next } on && /^```lua/ { next } on && /^```/ { exit } on' README.md >"$PROJECT/config.lua"
grep -q 'SKYNET_ROOT' "$PROJECT/config.lua" || fail "no config template in the README"
cat >"$PROJECT/service/main.lua" <<'EOF'
local skynet = require "skynet"
require "skynet.manager"
local greet = require "greet"
skynet.start(function()
	local echo = skynet.newservice("echo")
	skynet.error(greet.hello(skynet.call(echo, "lua", "project")))
	skynet.abort()
end)
EOF
cat >"$PROJECT/service/echo.lua" <<'EOF'
local skynet = require "skynet"
skynet.start(function()
	skynet.dispatch("lua", function(_, _, v) skynet.ret(skynet.pack(v)) end)
end)
EOF
echo 'return { hello = function(x) return "hello from the " .. x end }' >"$PROJECT/lualib/greet.lua"

(cd "$PROJECT" && timeout 20 "$ROOT/skynet" config.lua >out 2>&1)
st=$?
[ $st = 0 ] || fail "exit status $st"
grep -q "hello from the project" "$PROJECT/out" || fail "the project's service did not run"
echo PASS
