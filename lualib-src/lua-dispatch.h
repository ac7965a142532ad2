#ifndef LUA_DISPATCH_H
#define LUA_DISPATCH_H

#include <lua.h>

#include <stdint.h>

/* skynet.core's dispatcher(I, skynet), with the context as upvalue 1:
 * makes the service's dispatcher and its message path (lua-dispatch.c) */
int dispatch_new(lua_State *L);

/* skynet.core's callback(f [, forward]): the service's message callback */
int dispatch_callback(lua_State *L);

/* skynet.core's lastsession([n]): the last session handed out; n moves it
 * (the next is searched from n + 1), as weeks of traffic would */
int dispatch_lastsession(lua_State *L);

/* skynet.core's trim(): once the current message is done, the parked
 * handler threads are closed, the callback's thread is reset and a young
 * collection runs, so that an idle service does not keep the stacks and
 * garbage of its start-up (skynet/startup.lua) */
int dispatch_trim(lua_State *L);

/* sets *session to the next id of the service's allocator and returns 1;
 * 0 when the service has no dispatcher */
int dispatch_newsession(lua_State *L, int *session);

/* lua-skynet.c: sends the message at index msg (a string, nil, or a
 * pointer taken with the size after it) of type and session from source
 * to the handle or name at index dest; returns the session, or -1 when
 * the destination is gone.  Raises on a bad argument or a message too
 * large. */
struct skynet_context;
int core_send(lua_State *L, struct skynet_context *context, uint32_t source, int dest,
	int type, int session, int msg);

#endif
