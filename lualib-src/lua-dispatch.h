#ifndef LUA_DISPATCH_H
#define LUA_DISPATCH_H

#include <lua.h>

/* skynet.core's dispatcher{...}: the message path of a Lua service */
int skynet_dispatcher_new(lua_State *L);

#endif
