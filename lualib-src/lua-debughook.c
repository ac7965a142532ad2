/*
 * skynet.debughook: line hooks that can pause a coroutine, for the remote
 * debugger (lualib/skynet/remotedebug.lua).  A hook set by debug.sethook
 * cannot yield; this one can, so a coroutine stopped at a breakpoint simply
 * yields back to the service's dispatcher, which goes on handling other
 * messages (among them the debugger's commands) until it is resumed.
 *
 *   sethook(func)    the Lua function called on each line of an attached
 *                    thread: func(line, yieldable); returning true pauses
 *                    the thread (a yield with no values).  nil detaches
 *                    every thread lazily, at its next line.
 *   attach([co])     starts line hooks on co (default: the running thread)
 *   detach([co])     stops them
 *
 * Threads created by an attached thread inherit its hook (Lua copies hooks
 * into new threads), so coroutines forked by a watched handler are watched.
 */
#include <lua.h>
#include <lauxlib.h>

static const char HOOKFUNC = 0;	/* its address keys the Lua function in the registry */

static void line_hook(lua_State *L, lua_Debug *ar) {
	if (ar->event != LUA_HOOKLINE)
		return;
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &HOOKFUNC) != LUA_TFUNCTION) {
		lua_pop(L, 1);
		lua_sethook(L, NULL, 0, 0);
		return;
	}
	int yieldable = lua_isyieldable(L);
	lua_pushinteger(L, ar->currentline);
	lua_pushboolean(L, yieldable);
	/* a failing hook must not break the code it watches: drop its error */
	int pause = lua_pcall(L, 2, 1, 0) == LUA_OK && lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (pause && yieldable)
		lua_yield(L, 0);
}

static lua_State *thread_arg(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return L;
	luaL_checktype(L, 1, LUA_TTHREAD);
	return lua_tothread(L, 1);
}

static int lsethook(lua_State *L) {
	if (!lua_isnoneornil(L, 1))
		luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &HOOKFUNC);
	return 0;
}

static int lattach(lua_State *L) {
	lua_sethook(thread_arg(L), line_hook, LUA_MASKLINE, 0);
	return 0;
}

static int ldetach(lua_State *L) {
	lua_State *co = thread_arg(L);
	if (lua_gethook(co) == line_hook)
		lua_sethook(co, NULL, 0, 0);
	return 0;
}

LUAMOD_API int luaopen_skynet_debughook(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "sethook", lsethook },
		{ "attach", lattach },
		{ "detach", ldetach },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
