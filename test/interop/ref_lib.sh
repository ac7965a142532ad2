# shellcheck shell=bash
# Sourced by the scripts that run a node of the reference skynet beside ours
# (test/interop/*.sh, and the benchmarks when SKYNET_REF is set).

# ref_config REF START SERVICES [MODULES]: the lines of a config for a node
# of the skynet built at REF whose start service is START: thread = 2,
# harbor 0, skynet's own services and libraries, then SERVICES/?.lua for
# services and MODULES/?.lua (default SERVICES) for modules of ours
# (absolute folders).  Lines appended after these override them.
ref_config() {
	cat <<-EOF
		root = "$1/"
		thread = 2
		harbor = 0
		bootstrap = "snlua bootstrap"
		start = "$2"
		cpath = root .. "cservice/?.so"
		luaservice = root .. "service/?.lua;$3/?.lua"
		lualoader = root .. "lualib/loader.lua"
		lua_path = root .. "lualib/?.lua;" .. root .. "lualib/?/init.lua;${4:-$3}/?.lua"
		lua_cpath = root .. "luaclib/?.so"
	EOF
}
