/*
 * A Lua service's dispatcher: the one object between the core and
 * skynet.lua (skynet.core's dispatcher(pending, body)).  It owns
 *  - the message callback and the Lua thread it runs on (snlua shrinks
 *    the main thread's stack after loading, so that thread costs little);
 *  - the pending hook, run after a callback raised, and the loop that logs
 *    such errors and recovers;
 *  - the session allocator: ids wrap at 2^31 and skip every id still a key
 *    of the table pending, and sends with a nil session and the TIMEOUT
 *    command take theirs from it too (dispatch_newsession), so that a
 *    service has one id space;
 *  - the pool of parked handler threads.
 * The work done for each message (which thread it wakes, the bookkeeping
 * after a resume) stays in skynet.lua: table work runs faster as Lua
 * bytecode than through the C API.  The methods used per message are C
 * closures that get the object and the tables they touch as upvalues.
 */
#include "lua-dispatch.h"
#include "skynet.h"
#include "skynet_traceback.h"

#include <lauxlib.h>
#include <lua.h>

#include <limits.h>

struct dispatcher {
	struct skynet_context *context;
	lua_State *thread; /* the callback's; its stack: [1] traceback, [2] this object */
	int session;       /* the last session handed out */
	int pooled;        /* slots of the pool in use (the GC may have emptied some) */
	int trim;          /* set by trim(): give the threads' stacks back after this message */
};

/* the object's user values */
enum { UV_CALLBACK = 1, UV_PENDING_HOOK, UV_SESSIONS, UV_THREAD, UV_POOL, UV_COUNT = UV_POOL };

/* its address keys the service's dispatcher in the registry */
static const char DISPATCHER_KEY = 0;

/* the object's upvalue in each method */
static struct dispatcher *self(lua_State *L) {
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* ---- the message callback ---- */

static void report_error(struct skynet_context *context, lua_State *L, int r, int session,
	uint32_t source, size_t sz) {
	const char *name = skynet_command(context, "REG", NULL);
	switch (r) {
	case LUA_ERRRUN:
		skynet_error(context, "lua call [%x to %s : %d msgsz = %d] error : %s",
			source, name, session, (int)sz, lua_tostring(L, -1));
		break;
	case LUA_ERRMEM:
		skynet_error(context, "lua memory error : [%x to %s : %d] %s", source, name, session,
			lua_tostring(L, -1));
		break;
	default:
		skynet_error(context, "lua error %d : [%x to %s : %d]", r, source, name, session);
		break;
	}
}

/*
 * After a service's start-up (trim()).  An idle service allocates nothing,
 * so it never collects: what the start-up left stays.  Lua grows a
 * thread's stack by doubling and shrinks it only in a collection; the
 * start-up leaves the callback's thread and the pooled thread it ran on at
 * 85 slots (1.5 KB each).  Here the parked threads are closed and dropped
 * from the pool, the callback's thread is reset and given its two values
 * back, and a young collection frees the start-up's garbage (its code, the
 * threads just closed): 47.9 -> 43.2 KB of Lua memory in a service that
 * only starts, for about what one message costs.  A service that goes on
 * working grows what it needs again.
 */
static void trim_threads(struct dispatcher *d) {
	lua_State *L = d->thread;
	d->trim = 0;
	lua_getiuservalue(L, 2, UV_POOL);
	for (int i = 1; i <= d->pooled; i++) {
		if (lua_rawgeti(L, 3, i) == LUA_TTHREAD)
			lua_resetthread(lua_tothread(L, -1)); /* its stack: 26 slots */
		lua_pop(L, 1);
		lua_pushnil(L);
		lua_rawseti(L, 3, i);
	}
	d->pooled = 0;
	lua_resetthread(L);
	lua_pushcfunction(L, skynet_traceback);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &DISPATCHER_KEY);
	lua_gc(L, LUA_GCSTEP, 0); /* generational: a young collection */
}

/*
 * Calls the Lua callback(type, msg, sz, session, source) on the
 * dispatcher's thread.  When it raises, the error is logged and the pending
 * hook runs what the failed dispatch left undone (forks, error answers),
 * again after each runtime error it raises: each one consumes what raised
 * it.  The callback is read for every message: a handler may replace it
 * (skynet.exit does), and the next message of the same batch must see that.
 */
static int message_cb(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz) {
	struct dispatcher *d = ud;
	lua_State *L = d->thread;
	lua_settop(L, 2);
	lua_getiuservalue(L, 2, UV_CALLBACK);
	lua_pushinteger(L, type);
	lua_pushlightuserdata(L, (void *)msg);
	lua_pushinteger(L, (lua_Integer)sz);
	lua_pushinteger(L, session);
	lua_pushinteger(L, source);
	int r = lua_pcall(L, 5, 0, 1);
	while (r != LUA_OK) {
		report_error(context, L, r, session, source, sz);
		lua_settop(L, 2);
		if (r != LUA_ERRRUN || lua_getiuservalue(L, 2, UV_PENDING_HOOK) != LUA_TFUNCTION)
			break;
		r = lua_pcall(L, 0, 0, 1);
	}
	lua_settop(L, 2);
	if (d->trim)
		trim_threads(d);
	return 0;
}

/* forward mode (skynet.forward_type): the message was redirected, keep it */
static int forward_cb(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz) {
	message_cb(context, ud, type, session, source, msg, sz);
	return 1;
}

/* the service's dispatcher, pushed; NULL (and nil pushed) if it has none */
static struct dispatcher *push_dispatcher(lua_State *L) {
	lua_rawgetp(L, LUA_REGISTRYINDEX, &DISPATCHER_KEY);
	return lua_touserdata(L, -1);
}

int dispatch_callback(lua_State *L) {
	int forward = lua_toboolean(L, 2);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	struct dispatcher *d = push_dispatcher(L);
	if (d == NULL)
		return luaL_error(L, "this service has no dispatcher (skynet.lua makes it)");
	lua_insert(L, 1);
	lua_setiuservalue(L, 1, UV_CALLBACK);
	skynet_callback(d->context, d, forward ? forward_cb : message_cb);
	return 0;
}

int dispatch_pending(lua_State *L) {
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	if (push_dispatcher(L) == NULL)
		return luaL_error(L, "this service has no dispatcher (skynet.lua makes it)");
	lua_insert(L, 1);
	lua_setiuservalue(L, 1, UV_PENDING_HOOK);
	return 0;
}

int dispatch_trim(lua_State *L) {
	struct dispatcher *d = push_dispatcher(L);
	if (d == NULL)
		return luaL_error(L, "this service has no dispatcher (skynet.lua makes it)");
	d->trim = 1;
	return 0;
}

/* ---- sessions ---- */

/* the next id after the last one that no entry of the table at index
 * pending waits on (a service never has 2^31 of them) */
static int next_session(struct dispatcher *d, lua_State *L, int pending) {
	int s = d->session;
	int t;
	do {
		s = s < INT_MAX ? s + 1 : 1;
		t = lua_rawgeti(L, pending, s);
		lua_pop(L, 1);
	} while (t != LUA_TNIL);
	d->session = s;
	return s;
}

static int lnew_session(lua_State *L) {
	lua_pushinteger(L, next_session(self(L), L, lua_upvalueindex(2)));
	return 1;
}

int dispatch_newsession(lua_State *L, int *session) {
	struct dispatcher *d = push_dispatcher(L);
	if (d == NULL) {
		lua_pop(L, 1);
		return 0;
	}
	lua_getiuservalue(L, -1, UV_SESSIONS);
	*session = next_session(d, L, lua_absindex(L, -1));
	lua_pop(L, 2);
	return 1;
}

int dispatch_lastsession(lua_State *L) {
	lua_settop(L, 1);
	struct dispatcher *d = push_dispatcher(L);
	if (d == NULL)
		return luaL_error(L, "this service has no dispatcher (skynet.lua makes it)");
	lua_pushinteger(L, d->session);
	if (!lua_isnoneornil(L, 1)) {
		lua_Integer n = luaL_checkinteger(L, 1);
		luaL_argcheck(L, n >= 0 && n <= INT_MAX, 1, "session out of range");
		d->session = (int)n;
	}
	return 1;
}

/* ---- the pool of handler threads ---- */

/*
 * co_create(): a parked handler thread.  A new one runs the body until its
 * first yield, so that its first resume brings the body of a message and
 * its arguments.  The pool is weak (upvalue 2): an idle service gives its
 * threads back to the GC, which may empty slots.
 */
static int lco_create(lua_State *L) {
	struct dispatcher *d = self(L);
	while (d->pooled > 0) {
		int n = d->pooled--;
		if (lua_rawgeti(L, lua_upvalueindex(2), n) == LUA_TTHREAD) {
			lua_pushnil(L);
			lua_rawseti(L, lua_upvalueindex(2), n);
			return 1;
		}
		lua_pop(L, 1);
	}
	lua_State *co = lua_newthread(L);
	lua_pushvalue(L, lua_upvalueindex(3));
	lua_xmove(L, co, 1);
	int nres;
	if (lua_resume(co, L, 0, &nres) != LUA_YIELD) {
		lua_xmove(co, L, 1);
		return lua_error(L);
	}
	lua_pop(co, nres);
	return 1;
}

/* park(co): a handler thread whose body finished waits for the next one */
static int lpark(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	struct dispatcher *d = self(L);
	luaL_argcheck(L, d->pooled < INT_MAX, 1, "pool full");
	lua_settop(L, 1);
	lua_rawseti(L, lua_upvalueindex(2), ++d->pooled);
	return 0;
}

/* ---- the object ---- */

/* sets t[name] to a closure of f over the object and count more values on
 * the stack (taken from the top down); leaves them there */
static void add_method(lua_State *L, int t, const char *name, lua_CFunction f, int object, int count) {
	lua_pushvalue(L, object);
	for (int i = 0; i < count; i++)
		lua_pushvalue(L, -1 - count);
	lua_pushcclosure(L, f, 1 + count);
	lua_setfield(L, t, name);
}

/*
 * dispatcher(pending, body): makes the service's dispatcher (one per
 * service) and returns its methods used per message, new_session,
 * co_create and park, in a table; pending is the table whose keys are the
 * sessions waited on, body the function a pooled thread runs.  The rest
 * (callback, pending, lastsession) are skynet.core's functions.
 */
int dispatch_new(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 2);
	if (push_dispatcher(L) != NULL)
		return luaL_error(L, "this service has a dispatcher already");
	lua_pop(L, 1);
	struct dispatcher *d = lua_newuserdatauv(L, sizeof(*d), UV_COUNT); /* 3 */
	d->context = lua_touserdata(L, lua_upvalueindex(1));
	d->session = 0;
	d->pooled = 0;
	d->trim = 0;
	d->thread = lua_newthread(L);
	lua_setiuservalue(L, 3, UV_THREAD);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, 3, UV_SESSIONS);
	lua_pushcfunction(d->thread, skynet_traceback);
	lua_pushvalue(L, 3);
	lua_xmove(L, d->thread, 1);
	lua_pushvalue(L, 3);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &DISPATCHER_KEY);

	lua_createtable(L, 0, 3); /* 4: the methods */
	lua_pushvalue(L, 1);
	add_method(L, 4, "new_session", lnew_session, 3, 1);
	lua_pop(L, 1);
	lua_createtable(L, 0, 0); /* the pool, weak */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "kv");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_setiuservalue(L, 3, UV_POOL);
	add_method(L, 4, "park", lpark, 3, 1);
	lua_pushvalue(L, 2);
	add_method(L, 4, "co_create", lco_create, 3, 2);
	lua_settop(L, 4);
	return 1;
}
