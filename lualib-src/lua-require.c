/*
 * skynet.require: the require every Lua service runs (the loader makes it
 * the global require), and skynet.init, functions run before the service
 * starts.
 *
 *   require(name)   as Lua's, except that a module's body may call skynet
 *                   (yield) while it loads: a second coroutine requiring the
 *                   same module waits until the first one has loaded it,
 *                   and both get the same value
 *   init(f [, name]) queues f to run before the start function
 *   init_all()      runs the queued functions, in order, once each
 *
 * In C, not Lua: every service loads it, and C functions cost a VM no
 * prototypes.  The functions yield through continuations (a module body
 * or an init function may call skynet.call).
 */
#include <lua.h>
#include <lauxlib.h>

/* upvalues shared by the three functions */
#define LOADING lua_upvalueindex(1)  /* name -> table of threads waiting for it */
#define INIT_LIST lua_upvalueindex(2) /* functions queued by init */
#define BUILTIN lua_upvalueindex(3)   /* Lua's own require */

/* ---- init ---- */

static int linit(lua_State *L) {
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_rawseti(L, INIT_LIST, luaL_len(L, INIT_LIST) + 1);
	return 0;
}

/* runs the functions in the table at index 1 from index ctx on; each may
 * yield, and this goes on in its continuation */
static int run_inits(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	for (lua_Integer i = (lua_Integer)ctx;; i++) {
		if (lua_rawgeti(L, 1, i) == LUA_TNIL)
			return 0;
		lua_callk(L, 0, 0, (lua_KContext)(i + 1), run_inits);
	}
}

/* an init function may queue more: they run at the next init_all */
static int linit_all(lua_State *L) {
	lua_settop(L, 0);
	lua_Integer n = luaL_len(L, INIT_LIST);
	lua_createtable(L, (int)n, 0);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, INIT_LIST, i);
		lua_rawseti(L, 1, i);
		lua_pushnil(L);
		lua_rawseti(L, INIT_LIST, i);
	}
	return run_inits(L, LUA_OK, 1);
}

/* ---- require ---- */

/* Stack of require: 1 name, 2 package.loaded, then what each step pushes. */

/* the module is loaded (or failed): the threads waiting for it go on */
static void wake_waiters(lua_State *L) {
	const char *name = lua_tostring(L, 1);
	lua_getfield(L, LOADING, name);
	lua_pushnil(L);
	lua_setfield(L, LOADING, name);
	int waiters = lua_gettop(L);
	if (lua_rawlen(L, waiters) > 0) {
		lua_getfield(L, 2, "skynet");
		lua_getfield(L, -1, "wakeup");
		for (lua_Integer i = 1; lua_rawgeti(L, waiters, i) != LUA_TNIL; i++) {
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_call(L, 1, 0);
		}
		lua_pop(L, 3); /* the nil, wakeup, skynet */
	}
	lua_pop(L, 1);
}

static int return_loaded(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	(void)ctx;
	lua_getfield(L, 2, lua_tostring(L, 1));
	return 1;
}

/* after the module's body: its result (on top) or its error */
static int finish_load(lua_State *L, int status, lua_KContext ctx) {
	(void)ctx;
	if (status != LUA_OK && status != LUA_YIELD) {
		wake_waiters(L);
		return lua_error(L); /* the body's error, as it raised it */
	}
	const char *name = lua_tostring(L, 1);
	if (!lua_isnil(L, -1)) {
		lua_setfield(L, 2, name);
	} else if (lua_getfield(L, 2, name) == LUA_TNIL) {
		lua_pushboolean(L, 1);
		lua_setfield(L, 2, name);
	}
	wake_waiters(L);
	return return_loaded(L, LUA_OK, 0);
}

/* another coroutine is loading name: wait for it, or fail where waiting
 * is impossible (outside a coroutine, or a loop: a module requiring
 * itself while it loads) */
static int wait_for_module(lua_State *L) {
	int waiters = lua_gettop(L);
	if (lua_getfield(L, 2, "skynet") == LUA_TNIL || !lua_isyieldable(L))
		return luaL_error(L, "loop or concurrent require of module %s", lua_tostring(L, 1));
	lua_pushthread(L);
	lua_rawseti(L, waiters, luaL_len(L, waiters) + 1);
	lua_getfield(L, -1, "wait");
	lua_pushthread(L);
	lua_callk(L, 1, 0, 0, return_loaded);
	return return_loaded(L, LUA_OK, 0);
}

static int call_builtin(lua_State *L) {
	lua_settop(L, 1);
	lua_pushvalue(L, BUILTIN);
	lua_insert(L, 1);
	lua_call(L, 1, 1);
	return 1;
}

static int lrequire(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	lua_settop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
	if (lua_getfield(L, 2, name) != LUA_TNIL)
		return 1;
	lua_getfield(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	if (lua_getfield(L, -1, name) != LUA_TNIL)
		return call_builtin(L);
	lua_settop(L, 2);
	if (lua_getfield(L, LOADING, name) != LUA_TNIL)
		return wait_for_module(L);
	lua_pop(L, 1);
	/* the Lua file searcher (snlua's, which caches lookups) */
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "searchers");
	lua_rawgeti(L, -1, 2);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 2);
	if (lua_type(L, -2) != LUA_TFUNCTION)
		return call_builtin(L); /* C modules, or a clear "module not found" */
	lua_newtable(L);
	lua_setfield(L, LOADING, name);
	lua_pushvalue(L, 1);
	lua_insert(L, -2); /* body, name, filename */
	int status = lua_pcallk(L, 2, 1, 0, 0, finish_load);
	return finish_load(L, status, 0);
}

LUAMOD_API int luaopen_skynet_require(lua_State *L) {
	static const luaL_Reg funcs[] = {
		{ "require", lrequire },
		{ "init", linit },
		{ "init_all", linit_all },
		{ NULL, NULL },
	};
	luaL_newlibtable(L, funcs);
	lua_newtable(L);
	lua_newtable(L);
	lua_getglobal(L, "require");
	luaL_setfuncs(L, funcs, 3);
	return 1;
}
