#ifndef SKYNET_TRACEBACK_H
#define SKYNET_TRACEBACK_H

/* The message handler of the lua_pcalls that log a Lua service's errors
 * (snlua's loader, the dispatcher's callback): the error with a traceback
 * of where it was raised.  An error that already carries one (from the
 * coroutine that raised it) keeps that one only, so a logged error never
 * shows two.  Included by the Lua-aware parts (snlua, lualib-src). */

#include <lauxlib.h>
#include <lua.h>
#include <string.h>

static inline int skynet_traceback(lua_State *L) {
	const char *msg = lua_tostring(L, 1);
	if (msg == NULL)
		lua_pushliteral(L, "(error object is not a string)");
	else if (strstr(msg, "\nstack traceback:") == NULL)
		luaL_traceback(L, L, msg, 1);
	return 1;
}

#endif
