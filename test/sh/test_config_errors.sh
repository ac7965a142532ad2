#!/usr/bin/env bash
# A config the node cannot run with: one line naming the problem, exit
# status 1, promptly.
source "$(dirname "$0")/core_lib.sh"

# expect_refusal NAME WORDS CONFIG_FILE [one]: the node exits with status 1
# within 10 s and prints one of WORDS (an extended regex); with "one", its
# output is that single line
expect_refusal() {
	local name=$1 word=$2 config=$3 out=$SCRATCH/$1.out st lines
	timeout 10 ./skynet "$config" >"$out" 2>&1
	st=$?
	[ $st = 124 ] && fail "$name: the node did not exit within 10 s"
	[ $st = 1 ] || fail "$name: exit status $st, want 1: $(head -n 5 "$out")"
	grep -qE -- "$word" "$out" || fail "$name: the message does not name '$word': $(head -n 5 "$out")"
	if [ "${4:-}" = one ]; then
		lines=$(wc -l <"$out")
		[ "$lines" = 1 ] || fail "$name: $lines lines of output, want one: $(head -n 5 "$out")"
	fi
	echo "ok $name: $(grep -E -- "$word" "$out" | head -n 1)"
}

# a config with the usual keys, and the given lines after them
config_with() {
	node_config "$SCRATCH/$1.lua" "echo_svc"
}

expect_refusal missing_file "no_such_config\.lua" "$SCRATCH/no_such_config.lua" one

printf 'thread = = 2\n' >"$SCRATCH/bad_syntax.lua"
expect_refusal syntax "bad_syntax\.lua" "$SCRATCH/bad_syntax.lua" one

printf 'include "no_such_include.lua"\n' >"$SCRATCH/bad_include.lua"
expect_refusal include "no_such_include\.lua" "$SCRATCH/bad_include.lua" one

printf 'thread = 2\nstart = "$NO_SUCH_VARIABLE_XYZ"\n' >"$SCRATCH/bad_env.lua"
expect_refusal env NO_SUCH_VARIABLE_XYZ "$SCRATCH/bad_env.lua" one

config_with thread0 <<<'thread = 0'
expect_refusal thread_zero thread "$SCRATCH/thread0.lua" one

config_with thread_huge <<<'thread = 100000'
expect_refusal thread_huge thread "$SCRATCH/thread_huge.lua" one

config_with thread_text <<<'thread = "many"'
expect_refusal thread_text thread "$SCRATCH/thread_text.lua" one

config_with harbor_negative <<<'harbor = -1'
expect_refusal harbor_negative harbor "$SCRATCH/harbor_negative.lua" one

config_with bad_cpath <<<'cpath = "/no/such/dir/?.so"'
expect_refusal bad_cpath "/no/such/dir|logger" "$SCRATCH/bad_cpath.lua" one

config_with bad_bootstrap_module <<<'bootstrap = "no_such_module"'
expect_refusal bootstrap_module "(error|cannot).*no_such_module" "$SCRATCH/bad_bootstrap_module.lua"

config_with bad_bootstrap_service <<<'bootstrap = "snlua no_such_bootstrap"'
expect_refusal bootstrap_service "(error|cannot).*no_such_bootstrap" "$SCRATCH/bad_bootstrap_service.lua"

config_with bad_start <<<'start = "no_such_main_service"'
expect_refusal start_service "bad_start\.lua.*no_such_main_service.*not found" "$SCRATCH/bad_start.lua" one

config_with bad_lualoader <<<'lualoader = "/no/such/loader.lua"'
expect_refusal lualoader "/no/such/loader\.lua" "$SCRATCH/bad_lualoader.lua"

# an empty config: the default start service "main" is nowhere
: >"$SCRATCH/empty.lua"
expect_refusal empty "empty\.lua.*start service main not found" "$SCRATCH/empty.lua" one

# no start key and no main service on the luaservice path
config_with no_start <<<'start = nil
luaservice = "./service/?.lua"'
expect_refusal no_start "no_start\.lua.*start service main not found" "$SCRATCH/no_start.lua" one

mkdir -p "$SCRATCH/services"
printf 'local x = = 1\n' >"$SCRATCH/services/broken_svc.lua"
config_with start_syntax <<<"luaservice = \"$SCRATCH/services/?.lua\"
start = \"broken_svc\""
expect_refusal start_syntax "start_syntax\.lua.*broken_svc\.lua:1" "$SCRATCH/start_syntax.lua" one

config_with preload_missing <<<'preload = "/no/such/preload.lua"'
expect_refusal preload_missing "preload_missing\.lua.*preload.*/no/such/preload\.lua" "$SCRATCH/preload_missing.lua" one

config_with preload_syntax <<<"preload = \"$SCRATCH/services/broken_svc.lua\""
expect_refusal preload_syntax "preload_syntax\.lua.*preload.*broken_svc\.lua:1" "$SCRATCH/preload_syntax.lua" one

# a folder, an endless file, an endless loop, a memory hog
mkdir -p "$SCRATCH/folder.lua"
expect_refusal folder "folder\.lua is a directory" "$SCRATCH/folder.lua" one
expect_refusal dev_zero "/dev/zero is larger than 16 MB" /dev/zero one

config_with endless <<<'while true do end'
expect_refusal endless "endless\.lua:[0-9]+: .*endless loop" "$SCRATCH/endless.lua" one

config_with endless_function <<<'local function f() return f() end
f()'
expect_refusal endless_function "endless_function\.lua:[0-9]+: .*endless loop" "$SCRATCH/endless_function.lua" one

config_with memory_hog <<<'x = ("x"):rep(32 << 20)
y = x:rep(9)'
expect_refusal memory_hog "memory_hog\.lua.*more than [0-9]+ MB" "$SCRATCH/memory_hog.lua" one

# a daemon whose pid file cannot be created: the command itself fails
config_with daemon_pidfile <<<"daemon = \"$SCRATCH/no_such_dir/node.pid\""
expect_refusal daemon_pidfile "pid file .*no_such_dir/node\.pid" "$SCRATCH/daemon_pidfile.lua" one

# a file that is not a config at all
head -c 300 /dev/urandom >"$SCRATCH/garbage.lua"
expect_refusal garbage "garbage\.lua" "$SCRATCH/garbage.lua" one
echo "config error tests passed"
