/*
 * skynet.memory: memory statistics.
 *   info()        { [handle] = bytes } of every Lua service's VM
 *   total()       bytes allocated by the process
 *   block()       bytes held by the Lua services' VMs together
 *   jestat()      jemalloc's counters: allocated, active, metadata, resident, mapped, retained
 *   dumpinfo()    logs the per-service figures
 *   current()     bytes of the calling service's VM
 *   profactive([on]) / dumpheap(): jemalloc heap profiling (needs a jemalloc
 *                 started with MALLOC_CONF=prof:true)
 */
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>

#include <malloc.h>
#include <stdbool.h>
#include <string.h>

#ifndef NOUSE_JEMALLOC
#include <jemalloc/jemalloc.h>

static size_t mallctl_size(const char *name) {
	size_t v = 0;
	size_t len = sizeof(v);
	mallctl(name, &v, &len, NULL, 0);
	return v;
}

static void refresh_stats(void) {
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	mallctl("epoch", &epoch, &len, &epoch, len);
}
#endif

static void add_service(void *ud, uint32_t handle, size_t bytes) {
	lua_State *L = ud;
	lua_pushinteger(L, (lua_Integer)bytes);
	lua_rawseti(L, -2, handle);
}

static int linfo(lua_State *L) {
	lua_newtable(L);
	skynet_memory_foreach(add_service, L);
	return 1;
}

static int ltotal(lua_State *L) {
#ifndef NOUSE_JEMALLOC
	refresh_stats();
	lua_pushinteger(L, (lua_Integer)mallctl_size("stats.allocated"));
#else
	struct mallinfo2 mi = mallinfo2();
	lua_pushinteger(L, (lua_Integer)(mi.uordblks + mi.hblkhd));
#endif
	return 1;
}

static int lblock(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)skynet_memory_foreach(NULL, NULL));
	return 1;
}

static int ljestat(lua_State *L) {
	static const char *names[] = { "allocated", "active", "metadata", "resident", "mapped", "retained" };
	lua_newtable(L);
#ifndef NOUSE_JEMALLOC
	refresh_stats();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char key[64];
		snprintf(key, sizeof(key), "stats.%s", names[i]);
		lua_pushinteger(L, (lua_Integer)mallctl_size(key));
		lua_setfield(L, -2, names[i]);
	}
#else
	(void)names;
#endif
	return 1;
}

static void log_service(void *ud, uint32_t handle, size_t bytes) {
	skynet_error(ud, ":%08x %zu bytes (%.2f KB)", handle, bytes, bytes / 1024.0);
}

static int ldumpinfo(lua_State *L) {
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	struct skynet_context *ctx = lua_touserdata(L, -1);
	size_t total = skynet_memory_foreach(log_service, ctx);
	skynet_error(ctx, "Lua services total: %zu bytes (%.2f KB)", total, total / 1024.0);
	return 0;
}

static void find_handle(void *ud, uint32_t handle, size_t bytes) {
	size_t *want = ud;
	if (handle == (uint32_t)want[0])
		want[1] = bytes;
}

static int lcurrent(lua_State *L) {
	size_t query[2] = { skynet_current_handle(), 0 };
	skynet_memory_foreach(find_handle, query);
	lua_pushinteger(L, (lua_Integer)query[1]);
	return 1;
}

static int lprofactive(lua_State *L) {
#ifndef NOUSE_JEMALLOC
	bool active = false;
	size_t len = sizeof(active);
	if (lua_isnoneornil(L, 1)) {
		if (mallctl("prof.active", &active, &len, NULL, 0) != 0)
			active = false;
	} else {
		bool want = lua_toboolean(L, 1);
		if (mallctl("prof.active", &active, &len, &want, sizeof(want)) != 0)
			return luaL_error(L, "heap profiling is not available (start with MALLOC_CONF=prof:true)");
		active = want;
	}
	lua_pushboolean(L, active);
#else
	lua_pushboolean(L, 0);
#endif
	return 1;
}

static int ldumpheap(lua_State *L) {
#ifndef NOUSE_JEMALLOC
	if (mallctl("prof.dump", NULL, NULL, NULL, 0) != 0)
		return luaL_error(L, "heap profiling is not available (start with MALLOC_CONF=prof:true)");
	return 0;
#else
	return luaL_error(L, "heap profiling needs jemalloc (this is a sanitizer build)");
#endif
}

LUAMOD_API int luaopen_skynet_memory(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "info", linfo },
		{ "total", ltotal },
		{ "block", lblock },
		{ "jestat", ljestat },
		{ "dumpinfo", ldumpinfo },
		{ "current", lcurrent },
		{ "profactive", lprofactive },
		{ "dumpheap", ldumpheap },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
