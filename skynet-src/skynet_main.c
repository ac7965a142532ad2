/*
 * ./skynet CONFIG: reads the config (Lua syntax: key = value lines,
 * include "file", $NAME from the environment), checks it, stores every key
 * for skynet.getenv and starts the node.
 */
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_imp.h"
#include "skynet_server.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREAD 256

/* runs in a scratch Lua state: returns the config as a flat table */
static const char *load_config =
	"local config_file = ...\n"
	"local config = {}\n"
	"local dirs = {}\n"
	"local function expand(text, filename)\n"
	"  return (text:gsub('%$([%a_][%w_]*)', function(name)\n"
	"    local value = os.getenv(name)\n"
	"    if value == nil then\n"
	"      error(filename .. ': environment variable $' .. name .. ' is not set', 0)\n"
	"    end\n"
	"    return value\n"
	"  end))\n"
	"end\n"
	"local function include(name)\n"
	"  if type(name) ~= 'string' then error('include needs a file name', 2) end\n"
	"  local filename = name\n"
	"  if name:sub(1, 1) ~= '/' and #dirs > 0 then filename = dirs[#dirs] .. name end\n"
	"  local f, err = io.open(filename, 'r')\n"
	"  if not f then error('cannot open config file ' .. err, 0) end\n"
	"  local text = f:read('a')\n"
	"  f:close()\n"
	"  local chunk, perr = load(expand(text, filename), '@' .. filename, 't', config)\n"
	"  if not chunk then error('syntax error in config ' .. perr, 0) end\n"
	"  dirs[#dirs + 1] = filename:match('^(.*/)') or ''\n"
	"  chunk()\n"
	"  dirs[#dirs] = nil\n"
	"end\n"
	"setmetatable(config, { __index = { include = include } })\n"
	"include(config_file)\n"
	"setmetatable(config, nil)\n"
	"for k, v in pairs(config) do\n"
	"  local t = type(v)\n"
	"  if type(k) ~= 'string' then error('config key ' .. tostring(k) .. ' is not a name', 0) end\n"
	"  if t ~= 'string' and t ~= 'number' and t ~= 'boolean' then\n"
	"    error('config key ' .. k .. ' has a ' .. t .. ' value (want a string, number or boolean)', 0)\n"
	"  end\n"
	"  if math.type(v) == 'float' and v == math.floor(v) and v > -2^53 and v < 2^53 then\n"
	"    v = math.tointeger(v)\n"
	"  end\n"
	"  config[k] = tostring(v)\n"
	"end\n"
	"return config\n";

static void config_error(const char *fmt, const char *key, const char *value) {
	fprintf(stderr, "error: config: ");
	fprintf(stderr, fmt, key, value);
	fprintf(stderr, "\n");
	exit(1);
}

static const char *optstring(const char *key, const char *def) {
	const char *value = skynet_getenv(key);
	if (value == NULL && def) {
		skynet_setenv(key, def);
		value = skynet_getenv(key);
	}
	return value;
}

/* an integer key in [min, max], def when missing */
static int optint(const char *key, int def, int min, int max) {
	const char *str = skynet_getenv(key);
	if (str == NULL) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%d", def);
		skynet_setenv(key, tmp);
		return def;
	}
	char *end;
	long v = strtol(str, &end, 10);
	if (*str == '\0' || *end != '\0' || v < min || v > max) {
		char range[64];
		snprintf(range, sizeof(range), "%s (want an integer from %d to %d)", str, min, max);
		config_error("%s = %s is invalid", key, range);
	}
	return (int)v;
}

static int optboolean(const char *key, int def) {
	const char *str = skynet_getenv(key);
	if (str == NULL) {
		skynet_setenv(key, def ? "true" : "false");
		return def;
	}
	if (strcmp(str, "true") == 0)
		return 1;
	if (strcmp(str, "false") == 0)
		return 0;
	config_error("%s = %s is invalid (want true or false)", key, str);
	return 0;
}

static void read_config(lua_State *L, const char *file) {
	if (luaL_loadbuffer(L, load_config, strlen(load_config), "=[config loader]") != LUA_OK) {
		fprintf(stderr, "error: %s\n", lua_tostring(L, -1));
		exit(1);
	}
	lua_pushstring(L, file);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		fprintf(stderr, "error: config: %s\n", lua_tostring(L, -1));
		exit(1);
	}
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		skynet_setenv(lua_tostring(L, -2), lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static int default_thread_count(void) {
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > MAX_THREAD ? MAX_THREAD : (int)n;
}

int main(int argc, char *argv[]) {
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s CONFIG\n  CONFIG: a config file, e.g. examples/config.lua\n", argv[0]);
		return 1;
	}
	skynet_malloc_init();
	skynet_globalinit();
	skynet_env_init();

	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	read_config(L, argv[1]);
	lua_close(L);

	struct skynet_config config;
	config.thread = optint("thread", default_thread_count(), 1, MAX_THREAD);
	config.harbor = optint("harbor", 0, 0, 255);
	config.module_path = optstring("cpath", "./cservice/?.so");
	config.bootstrap = optstring("bootstrap", "snlua bootstrap");
	config.daemon = optstring("daemon", NULL);
	config.logger = optstring("logger", NULL);
	config.logservice = optstring("logservice", "logger");
	config.profile = optboolean("profile", 1);
	optstring("lua_path", "./lualib/?.lua;./lualib/?/init.lua");
	optstring("lua_cpath", "./luaclib/?.so");
	optstring("luaservice", "./service/?.lua");
	optstring("lualoader", "./lualib/loader.lua");

	int status = skynet_start(&config);
	skynet_env_exit();
	skynet_globalexit();
	return status;
}
