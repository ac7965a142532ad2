#ifndef LUA_DISPATCH_H
#define LUA_DISPATCH_H

#include <lua.h>

/* skynet.core's dispatcher(pending, body), with the context as upvalue 1:
 * the service's dispatcher (lua-dispatch.c) */
int dispatch_new(lua_State *L);

/* skynet.core's callback(f [, forward]): the service's message callback */
int dispatch_callback(lua_State *L);

/* sets *session to the next id of the service's allocator and returns 1;
 * 0 when the service has no dispatcher */
int dispatch_newsession(lua_State *L, int *session);

#endif
