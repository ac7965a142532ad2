/*
 * skynet.tracelog: the function that writes one trace line to the log.
 *
 *   tracelog(tag, what [, thread] [, level])
 *
 * logs "<TRACE tag> nanoseconds what", and when a level is given (or a
 * thread), " : source:line" for up to three Lua frames of that thread
 * from that level up (level 1 is the caller of tracelog; C frames, which
 * have no line, are skipped).  The time is the monotonic clock in ns, the
 * same as skynet.hpc(), so lines from different services compare.
 */
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdint.h>
#include <time.h>

#define TRACE_FRAMES 3

static int64_t monotonic_ns(void) {
	struct timespec ti;
	clock_gettime(CLOCK_MONOTONIC, &ti);
	return (int64_t)ti.tv_sec * 1000000000 + ti.tv_nsec;
}

/* appends " : src:line src:line ..." for the Lua frames of co from level */
static void add_frames(luaL_Buffer *b, lua_State *co, int level) {
	lua_Debug d;
	int found = 0;
	while (found < TRACE_FRAMES && lua_getstack(co, level, &d)) {
		level++;
		lua_getinfo(co, "Sl", &d);
		if (d.currentline < 0)
			continue;
		luaL_addstring(b, found == 0 ? " : " : " ");
		luaL_addstring(b, d.source);
		lua_pushfstring(b->L, ":%d", d.currentline);
		luaL_addvalue(b);
		found++;
	}
}

static int ltracelog(lua_State *L) {
	struct skynet_context *ctx = lua_touserdata(L, lua_upvalueindex(1));
	const char *tag = luaL_checkstring(L, 1);
	const char *what = luaL_checkstring(L, 2);
	lua_State *co = L;
	int level_arg = 3;
	if (lua_isthread(L, 3)) {
		co = lua_tothread(L, 3);
		level_arg = 4;
	}
	int with_frames = co != L || !lua_isnoneornil(L, 3);
	lua_Integer level = luaL_optinteger(L, level_arg, 1);
	luaL_argcheck(L, level >= 0 && level < INT32_MAX, level_arg, "level out of range");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_pushfstring(L, "<TRACE %s> %I %s", tag, (lua_Integer)monotonic_ns(), what);
	luaL_addvalue(&b);
	if (with_frames)
		add_frames(&b, co, (int)level);
	luaL_pushresult(&b);
	size_t sz;
	const char *line = lua_tolstring(L, -1, &sz);
	skynet_error_bytes(ctx, line, sz);
	return 0;
}

LUAMOD_API int luaopen_skynet_tracelog(lua_State *L) {
	luaL_checkversion(L);
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	if (lua_touserdata(L, -1) == NULL)
		return luaL_error(L, "skynet.tracelog needs a service context: init skynet first");
	lua_pushcclosure(L, ltracelog, 1);
	return 1;
}
