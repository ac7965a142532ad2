/* Serialisation of Lua values into one message buffer (skynet.pack/unpack). */
#ifndef LUA_SERI_H
#define LUA_SERI_H

#include <lua.h>

/* pack(...) -> lightuserdata buffer (skynet_malloc'd, owned by the caller), size */
int luaseri_pack(lua_State *L);
/* unpack(buffer, size) or unpack(string) -> the packed values; never frees */
int luaseri_unpack(lua_State *L);

#endif
