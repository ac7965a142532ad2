/*
 * skynet.core: the C functions behind lualib/skynet.lua.  The service's
 * context is the lightuserdata "skynet_context" in the registry (set by
 * snlua); every function here gets it as upvalue 1.  The message path
 * (the callback, sessions, handler threads, call and ret) is the service's
 * dispatcher (lua-dispatch.c).
 */
#include "lua-dispatch.h"
#include "lua-seri.h"
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct skynet_context *get_context(lua_State *L) {
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- commands ---- */

/*
 * TIMEOUT from Lua: the session comes from the service's dispatcher, not
 * the core's allocator, which does not know the ids Lua waits on.
 */
static const char *timeout_command(lua_State *L, const char *parm, char *result, size_t size) {
	int session;
	if (!dispatch_newsession(L, &session))
		return skynet_command(get_context(L), "TIMEOUT", parm);
	long long ticks = strtoll(parm ? parm : "0", NULL, 10);
	int ti = ticks > INT_MAX ? INT_MAX : ticks < 0 ? 0 : (int)ticks;
	skynet_timeout(skynet_context_handle(get_context(L)), ti, session);
	snprintf(result, size, "%d", session);
	return result;
}

/* runs command(cmd [, param]); result is a buffer for the answer */
static const char *run_command(lua_State *L, char result[32]) {
	const char *cmd = luaL_checkstring(L, 1);
	const char *parm = NULL;
	char tmp[32];
	if (lua_gettop(L) == 2) {
		if (lua_isinteger(L, 2)) {
			snprintf(tmp, sizeof(tmp), "%lld", (long long)lua_tointeger(L, 2));
			parm = tmp;
		} else {
			parm = luaL_checkstring(L, 2);
		}
	}
	if (strcmp(cmd, "TIMEOUT") == 0)
		return timeout_command(L, parm, result, 32);
	return skynet_command(get_context(L), cmd, parm);
}

static int lcommand(lua_State *L) {
	char buf[32];
	const char *result = run_command(L, buf);
	if (result == NULL)
		return 0;
	lua_pushstring(L, result);
	return 1;
}

/* an answer ":hex" as an integer address */
static int laddresscommand(lua_State *L) {
	char buf[32];
	const char *result = run_command(L, buf);
	uint32_t addr = skynet_handle_parse(result);
	if (addr == 0)
		return 0;
	lua_pushinteger(L, addr);
	return 1;
}

/* tohandle(text): the handle written as ":hex", or nil */
static int ltohandle(lua_State *L) {
	uint32_t addr = skynet_handle_parse(luaL_checkstring(L, 1));
	if (addr == 0)
		return 0;
	lua_pushinteger(L, addr);
	return 1;
}

/* an answer as a number */
static int lintcommand(lua_State *L) {
	char buf[32];
	const char *result = run_command(L, buf);
	if (result == NULL)
		return 0;
	char *endptr;
	lua_Integer r = strtoll(result, &endptr, 0);
	if (endptr == NULL || *endptr != '\0') {
		/* a float such as the cpu time */
		lua_pushnumber(L, strtod(result, NULL));
	} else {
		lua_pushinteger(L, r);
	}
	return 1;
}

/* mqlen(handle): the messages waiting for a service of this node, -1 when
 * there is no such service */
static int lmqlen(lua_State *L) {
	lua_Integer handle = luaL_checkinteger(L, 1);
	lua_pushinteger(L, handle > 0 && handle <= UINT32_MAX ? skynet_context_mqlen((uint32_t)handle) : -1);
	return 1;
}

/*
 * timeout(ticks, session, self): posts a response with session to self
 * after ticks; the fast path of the TIMEOUT command.  The wheel counts
 * ticks in an int: longer waits (2^31 ticks is 248 days) are clamped to
 * the longest it holds, and ticks <= 0 fire at once.
 */
static int ltimeout(lua_State *L) {
	lua_Integer ti = luaL_checkinteger(L, 1);
	int session = (int)luaL_checkinteger(L, 2);
	uint32_t self = (uint32_t)luaL_checkinteger(L, 3);
	if (ti > INT_MAX)
		ti = INT_MAX;
	lua_pushinteger(L, skynet_timeout(self, ti < 0 ? 0 : (int)ti, session));
	return 1;
}

/* ---- sending ---- */

/* the size argument at index that goes with the pointer msg */
static size_t check_size(lua_State *L, int index, const void *msg) {
	lua_Integer sz = luaL_checkinteger(L, index);
	luaL_argcheck(L, sz >= 0, index, "negative size");
	luaL_argcheck(L, msg != NULL || sz == 0, index, "size of a NULL pointer");
	return (size_t)sz;
}

static const char *get_dest_string(lua_State *L, int index) {
	const char *dest_string = lua_tostring(L, index);
	if (dest_string == NULL)
		luaL_error(L, "dest address type (%s) must be a string or number.", luaL_typename(L, index));
	return dest_string;
}

/* the message at index: a string (copied) or lightuserdata + size (taken) */
static int get_message(lua_State *L, int index, int *type, void **msg, size_t *sz) {
	switch (lua_type(L, index)) {
	case LUA_TSTRING:
		*msg = (void *)lua_tolstring(L, index, sz);
		return 1;
	case LUA_TLIGHTUSERDATA:
		*msg = lua_touserdata(L, index);
		*sz = check_size(L, index + 1, *msg);
		*type |= PTYPE_TAG_DONTCOPY;
		return 1;
	case LUA_TNONE:
	case LUA_TNIL:
		*msg = NULL;
		*sz = 0;
		return 1;
	}
	return luaL_error(L, "invalid param %s", luaL_typename(L, index));
}

int core_send(lua_State *L, struct skynet_context *context, uint32_t source, int dest,
	int type, int session, int msg) {
	uint32_t handle = (uint32_t)lua_tointeger(L, dest);
	const char *dest_string = NULL;
	if (handle == 0) {
		if (lua_type(L, dest) == LUA_TNUMBER)
			return luaL_error(L, "Invalid service address 0");
		dest_string = get_dest_string(L, dest);
	}
	void *data = NULL;
	size_t len = 0;
	get_message(L, msg, &type, &data, &len);
	if (dest_string)
		session = skynet_sendname(context, source, dest_string, type, session, data, len);
	else
		session = skynet_send(context, source, handle, type, session, data, len);
	if (session == -2)
		return luaL_error(L, "the message to %s is too large", dest_string ? dest_string : "service");
	return session < 0 ? -1 : session;
}

/*
 * send(dest, type, session, msg, sz) -> session, or nil when dest is gone;
 * session nil allocates one.
 */
static int send_message(lua_State *L, int source, int idx_type) {
	lua_Integer ptype = luaL_checkinteger(L, idx_type);
	/* the bits above are PTYPE_TAG_* flags, for the core's use only */
	luaL_argcheck(L, ptype >= 0 && ptype <= 0xff, idx_type, "message type out of range 0..255");
	int type = (int)ptype;
	int session = 0;
	if (lua_isnil(L, idx_type + 1)) {
		/* from the dispatcher: never an id a Lua call still waits on */
		if (!dispatch_newsession(L, &session))
			type |= PTYPE_TAG_ALLOCSESSION;
	} else
		session = (int)luaL_checkinteger(L, idx_type + 1);
	session = core_send(L, get_context(L), source, 1, type, session, idx_type + 2);
	if (session < 0)
		return 0; /* the destination does not exist */
	lua_pushinteger(L, session);
	return 1;
}

static int lsend(lua_State *L) {
	return send_message(L, 0, 2);
}

/* redirect(dest, source, type, session, msg, sz) */
static int lredirect(lua_State *L) {
	uint32_t source = (uint32_t)luaL_checkinteger(L, 2);
	return send_message(L, source, 3);
}

/* error(...): the values as tostring shows them, joined by spaces; the
 * bytes are logged as they are, zeros included */
static int lerror(lua_State *L) {
	struct skynet_context *context = get_context(L);
	int n = lua_gettop(L);
	size_t len;
	const char *s;
	if (n <= 1) {
		lua_settop(L, 1);
		s = luaL_tolstring(L, 1, &len);
	} else {
		luaL_Buffer b;
		luaL_buffinit(L, &b);
		for (int i = 1; i <= n; i++) {
			luaL_tolstring(L, i, NULL);
			luaL_addvalue(&b);
			if (i < n)
				luaL_addchar(&b, ' ');
		}
		luaL_pushresult(&b);
		s = lua_tolstring(L, -1, &len);
	}
	skynet_error_bytes(context, s, len);
	return 0;
}

/* tostring(msg, sz): the sz bytes at the pointer msg as a string */
static int ltostring(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return 0;
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const char *msg = lua_touserdata(L, 1);
	lua_pushlstring(L, msg, check_size(L, 2, msg));
	return 1;
}

static int lharbor(lua_State *L) {
	struct skynet_context *context = get_context(L);
	uint32_t handle = (uint32_t)luaL_checkinteger(L, 1);
	int harbor = 0;
	int remote = skynet_isremote(context, handle, &harbor);
	lua_pushinteger(L, harbor);
	lua_pushboolean(L, remote);
	return 2;
}

static int lpackstring(lua_State *L) {
	luaseri_pack(L);
	char *str = lua_touserdata(L, -2);
	size_t sz = (size_t)lua_tointeger(L, -1);
	lua_pushlstring(L, str, sz);
	skynet_free(str);
	return 1;
}

static int ltrash(lua_State *L) {
	int t = lua_type(L, 1);
	switch (t) {
	case LUA_TSTRING:
		break;
	case LUA_TLIGHTUSERDATA: {
		void *msg = lua_touserdata(L, 1);
		check_size(L, 2, msg);
		skynet_free(msg);
		break;
	}
	default:
		luaL_error(L, "skynet.trash invalid param %s", lua_typename(L, t));
	}
	return 0;
}

static int lnow(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)skynet_now());
	return 1;
}

static int lhpc(lua_State *L) {
	struct timespec ti;
	clock_gettime(CLOCK_MONOTONIC, &ti);
	lua_pushinteger(L, (lua_Integer)ti.tv_sec * 1000000000 + ti.tv_nsec);
	return 1;
}

/* clearcache(): drops the code cache shared by all Lua services */
static int lclearcache(lua_State *L) {
	if (lua_getfield(L, LUA_REGISTRYINDEX, "skynet_codecache_clear") == LUA_TFUNCTION)
		lua_call(L, 0, 0);
	return 0;
}

LUAMOD_API int luaopen_skynet_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "send", lsend },
		{ "redirect", lredirect },
		{ "command", lcommand },
		{ "intcommand", lintcommand },
		{ "addresscommand", laddresscommand },
		{ "timeout", ltimeout },
		{ "error", lerror },
		{ "harbor", lharbor },
		{ "dispatcher", dispatch_new },
		{ NULL, NULL },
	};
	/* functions that need no context */
	luaL_Reg l2[] = {
		{ "tostring", ltostring },
		{ "pack", luaseri_pack },
		{ "unpack", luaseri_unpack },
		{ "packstring", lpackstring },
		{ "trash", ltrash },
		{ "now", lnow },
		{ "hpc", lhpc },
		{ "clearcache", lclearcache },
		{ "tohandle", ltohandle },
		{ "callback", dispatch_callback },
		{ "lastsession", dispatch_lastsession },
		{ "trim", dispatch_trim },
		{ "mqlen", lmqlen },
		{ NULL, NULL },
	};
	lua_createtable(L, 0, sizeof(l) / sizeof(l[0]) + sizeof(l2) / sizeof(l2[0]) - 2);
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	struct skynet_context *ctx = lua_touserdata(L, -1);
	if (ctx == NULL)
		return luaL_error(L, "skynet.core needs a service context: init skynet first");
	luaL_setfuncs(L, l, 1);
	luaL_setfuncs(L, l2, 0);
	return 1;
}
