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
 *  - the pool of parked handler threads;
 *  - the direct handlers: per message type, a Lua function that may take a
 *    message (session 0) before the callback sees it, see set_direct.
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
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define TYPE_COUNT 256 /* message types are 0-255 */

struct dispatcher {
	struct skynet_context *context;
	lua_State *thread; /* the callback's; its stack: [1] traceback, [2] this object */
	int session;       /* the last session handed out */
	int pooled;        /* slots of the pool in use (the GC may have emptied some) */
	bool direct_allowed;              /* the callback is the one that knows them */
	uint32_t direct[TYPE_COUNT / 32]; /* the types with a direct handler */
};

/* the fixed slots of the callback thread's stack */
enum { SLOT_TRACEBACK = 1, SLOT_OBJECT, SLOT_COUNT = SLOT_OBJECT };

/* the object's user values */
enum { UV_CALLBACK = 1, UV_PENDING_HOOK, UV_SESSIONS, UV_THREAD, UV_DIRECT, UV_COUNT = UV_DIRECT };

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
 * Runs the function under its nargs arguments on the dispatcher's thread.
 * When it raises, the error is logged and the pending hook runs what the
 * failed dispatch left undone (forks, error answers), again after each
 * runtime error it raises: each one consumes what raised it.  Returns
 * false only when the function ran through and its result is false.
 */
static bool protected_call(struct skynet_context *context, lua_State *L, int nargs, int session,
	uint32_t source, size_t sz) {
	int r = lua_pcall(L, nargs, 1, SLOT_TRACEBACK);
	bool taken = r != LUA_OK || lua_toboolean(L, -1);
	while (r != LUA_OK) {
		report_error(context, L, r, session, source, sz);
		lua_settop(L, SLOT_COUNT);
		if (r != LUA_ERRRUN || lua_getiuservalue(L, SLOT_OBJECT, UV_PENDING_HOOK) != LUA_TFUNCTION)
			break;
		r = lua_pcall(L, 0, 0, SLOT_TRACEBACK);
	}
	lua_settop(L, SLOT_COUNT);
	return taken;
}

static bool has_direct(struct dispatcher *d, int type) {
	return type >= 0 && type < TYPE_COUNT && (d->direct[type / 32] >> (type % 32) & 1);
}

/*
 * Calls the Lua callback(type, msg, sz, session, source) on the
 * dispatcher's thread, unless the type's direct handler(msg, sz) takes the
 * message first (returns true).  The callback is read for every message: a
 * handler may replace it (skynet.exit does), and the next message of the
 * same batch must see that.
 */
static int message_cb(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz) {
	struct dispatcher *d = ud;
	lua_State *L = d->thread;
	lua_settop(L, SLOT_COUNT);
	if (session == 0 && d->direct_allowed && has_direct(d, type)) {
		lua_getiuservalue(L, SLOT_OBJECT, UV_DIRECT);
		lua_rawgeti(L, -1, type);
		lua_remove(L, -2);
		lua_pushlightuserdata(L, (void *)msg);
		lua_pushinteger(L, (lua_Integer)sz);
		if (protected_call(context, L, 2, session, source, sz))
			return 0;
	}
	lua_getiuservalue(L, SLOT_OBJECT, UV_CALLBACK);
	lua_pushinteger(L, type);
	lua_pushlightuserdata(L, (void *)msg);
	lua_pushinteger(L, (lua_Integer)sz);
	lua_pushinteger(L, session);
	lua_pushinteger(L, source);
	protected_call(context, L, 5, session, source, sz);
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
	d->direct_allowed = false; /* a new callback sees every message */
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

/* ---- direct handlers ---- */

static int check_type(lua_State *L, int index) {
	lua_Integer type = luaL_checkinteger(L, index);
	luaL_argcheck(L, type >= 0 && type < TYPE_COUNT, index, "message type out of range");
	return (int)type;
}

/*
 * set_direct(type, f or nil): f(msg, sz) is offered each message of the
 * type with session 0 before the callback, and takes it by returning true
 * (it must not yield).  It is used only while allow_direct() holds, that
 * is until the next callback() replaces the one that knows about it.
 */
static int lset_direct(lua_State *L) {
	struct dispatcher *d = self(L);
	int type = check_type(L, 1);
	bool set = !lua_isnoneornil(L, 2);
	if (set)
		luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 2);
	lua_getiuservalue(L, lua_upvalueindex(1), UV_DIRECT);
	lua_insert(L, 2);
	lua_rawseti(L, 2, type);
	uint32_t bit = (uint32_t)1 << (type % 32);
	if (set)
		d->direct[type / 32] |= bit;
	else
		d->direct[type / 32] &= ~bit;
	return 0;
}

/* allow_direct(): the callback just installed offers messages to the
 * direct handlers */
static int lallow_direct(lua_State *L) {
	self(L)->direct_allowed = true;
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
	d->direct_allowed = false;
	memset(d->direct, 0, sizeof(d->direct));
	d->thread = lua_newthread(L);
	lua_setiuservalue(L, 3, UV_THREAD);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, 3, UV_SESSIONS);
	lua_pushcfunction(d->thread, skynet_traceback);
	lua_pushvalue(L, 3);
	lua_xmove(L, d->thread, 1);
	lua_createtable(L, 0, 0);
	lua_setiuservalue(L, 3, UV_DIRECT);
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
	add_method(L, 4, "park", lpark, 3, 1);
	lua_pushvalue(L, 2);
	add_method(L, 4, "co_create", lco_create, 3, 2);
	lua_settop(L, 4);
	add_method(L, 4, "set_direct", lset_direct, 3, 0);
	add_method(L, 4, "allow_direct", lallow_direct, 3, 0);
	return 1;
}
