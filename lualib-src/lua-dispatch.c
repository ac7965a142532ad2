/*
 * A Lua service's dispatcher: the message path of skynet.lua, in C.
 * skynet.core's dispatcher(I, skynet) makes it (one per service) from the
 * internals table I of skynet.lua, whose tables it shares with the parts
 * of the API written in Lua (sessions, wakeups, forks...), and puts its
 * functions in I and in the API table skynet.  It owns
 *  - the message callback (dispatch_message) and the Lua thread it runs
 *    on, the pending hook run after a callback raised, and the loop that
 *    logs such errors and recovers;
 *  - the pool of handler threads: each runs one message's handler at a
 *    time, and a handler that calls or sleeps yields "SUSPEND" until the
 *    matching response resumes it;
 *  - what happens after a resume: an error answered and logged, the
 *    threads skynet.wakeup woke run in turn, "QUIT";
 *  - the session allocator: ids wrap at 2^31 and skip every id still
 *    waited on, and sends with a nil session and the TIMEOUT command take
 *    theirs from it too (dispatch_newsession), so a service has one id
 *    space;
 *  - call, send, ret and timeout, and the running thread.
 * Written in C, this code costs a service nothing: as Lua, every VM kept
 * its own copy of it (about 10 KB per service).
 */
#include "lua-dispatch.h"
#include "skynet.h"
#include "skynet_resume_hook.h"
#include "skynet_traceback.h"

#include <lauxlib.h>
#include <lua.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

struct dispatcher {
	struct skynet_context *context;
	lua_State *thread; /* the callback's; its stack: [1] traceback, [2] this object */
	struct skynet_resumer resumer; /* snlua's */
	int session;       /* the last session handed out */
	int pooled;        /* slots of the pool in use (the GC may have emptied some) */
	int trim;          /* set by trim(): give the threads' stacks back after this message */
};

/*
 * The object's user values.  The tables are skynet.lua's (I.name):
 *   SESSIONS      session -> waiting thread, timeout function or "BREAK"
 *   SESSION_OF    thread -> session of the request it handles
 *   ADDRESS_OF    thread -> source of that request
 *   TRACETAG      thread -> its trace tag, or false: never traced
 *   WAKEUPS       tokens skynet.wakeup queued, from .h to .t
 *   SLEEPING      token -> session it sleeps under
 *   FORKS         pairs (a parked thread, its body) from .h to .t
 *   ERRORS        sessions whose calls failed, to resume
 */
enum {
	UV_CALLBACK = 1, UV_PENDING_HOOK, UV_THREAD, UV_POOL, UV_BODY, UV_RUNNING, UV_EARLY,
	UV_SESSIONS, UV_SESSION_OF, UV_ADDRESS_OF, UV_TRACETAG, UV_TRACING, UV_PROTO,
	UV_WAKEUPS, UV_SLEEPING, UV_FORKS, UV_ERRORS, UV_WATCHING, UV_TRACE_SOURCE,
	UV_UNKNOWN, UV_FORGOTTEN, UV_RARE, UV_TRACELOG, UV_SEND,
	UV_COUNT = UV_SEND
};

/* the names in I of the tables and functions above, from UV_SESSIONS on */
static const char *const shared_names[] = {
	"session_id_coroutine", "session_coroutine_id", "session_coroutine_address",
	"session_coroutine_tracetag", "tracing", "proto", "wakeup_queue", "sleep_session",
	"fork_queue", "error_queue", "watching_session", "trace_source", "unknown",
	"forgotten_callers", "rare", "tracelog", "send",
};

/* its address keys the service's dispatcher in the registry */
static const char DISPATCHER_KEY = 0;

/* the dispatcher is upvalue 1 of every function here */
#define OBJ lua_upvalueindex(1)

static struct dispatcher *self(lua_State *L) {
	return lua_touserdata(L, OBJ);
}

/* ---- the shared tables ---- */

/* pushes uv[key] */
static int uv_get(lua_State *L, int uv, int key) {
	key = lua_absindex(L, key);
	lua_getiuservalue(L, OBJ, uv);
	lua_pushvalue(L, key);
	int t = lua_rawget(L, -2);
	lua_remove(L, -2);
	return t;
}

static int uv_geti(lua_State *L, int uv, lua_Integer key) {
	lua_getiuservalue(L, OBJ, uv);
	int t = lua_rawgeti(L, -1, key);
	lua_remove(L, -2);
	return t;
}

/* uv[key] = the value on top, popped */
static void uv_set(lua_State *L, int uv, int key) {
	key = lua_absindex(L, key);
	lua_getiuservalue(L, OBJ, uv);
	lua_pushvalue(L, key);
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	lua_pop(L, 2);
}

static void uv_clear(lua_State *L, int uv, int key) {
	lua_pushnil(L);
	uv_set(L, uv, key);
}

/* t.field of the table at index t, an integer */
static lua_Integer get_field_int(lua_State *L, int t, const char *field) {
	lua_getfield(L, t, field);
	lua_Integer v = lua_tointeger(L, -1);
	lua_pop(L, 1);
	return v;
}

static void set_field_int(lua_State *L, int t, const char *field, lua_Integer v) {
	t = lua_absindex(L, t);
	lua_pushinteger(L, v);
	lua_setfield(L, t, field);
}

/* pushes the function name of rare() (skynet/rare.lua, loaded on first use) */
static void push_rare(lua_State *L, const char *name) {
	lua_getiuservalue(L, OBJ, UV_RARE);
	lua_call(L, 0, 1);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}

/* tracelog(tag, event) for the thread at co, if it has a tag */
static void trace_event(lua_State *L, int co, const char *event) {
	if (uv_get(L, UV_TRACETAG, co) > LUA_TBOOLEAN || lua_toboolean(L, -1)) {
		int tag = lua_gettop(L);
		lua_getiuservalue(L, OBJ, UV_TRACELOG);
		lua_pushvalue(L, tag);
		lua_pushstring(L, event);
		lua_call(L, 2, 0);
	}
	lua_pop(L, 1);
}

/* skynet.address: ":0000000a" for a handle, a name as it is */
static const char *push_address(lua_State *L, int index) {
	if (lua_type(L, index) == LUA_TNUMBER) {
		char text[16];
		snprintf(text, sizeof(text), ":%08x", (unsigned)lua_tointeger(L, index));
		return lua_pushstring(L, text);
	}
	return luaL_tolstring(L, index, NULL);
}

/* c.send(address at index, type, session, "") */
static void send_error(lua_State *L, int address, int session) {
	address = lua_absindex(L, address);
	lua_getiuservalue(L, OBJ, UV_SEND);
	lua_pushvalue(L, address);
	lua_pushinteger(L, PTYPE_ERROR);
	lua_pushinteger(L, session);
	lua_pushliteral(L, "");
	lua_call(L, 4, 0);
}

/* ---- the running thread (skynet.lua's running_thread) ---- */

static void set_running(lua_State *L, int co) {
	lua_pushvalue(L, co);
	lua_setiuservalue(L, OBJ, UV_RUNNING);
}

static int is_running(lua_State *L, int co) {
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	int same = lua_rawequal(L, -1, co);
	lua_pop(L, 1);
	return same;
}

/* running_thread([co]): the running thread; co makes it the running one,
 * false forgets it */
static int lrunning_thread(lua_State *L) {
	if (!lua_isnoneornil(L, 1)) {
		if (lua_toboolean(L, 1))
			luaL_checktype(L, 1, LUA_TTHREAD);
		else
			lua_pushnil(L);
		lua_setiuservalue(L, OBJ, UV_RUNNING);
	}
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	return 1;
}

/* ---- errors ---- */

static int tostring_value(lua_State *L) {
	luaL_tolstring(L, 1, NULL);
	return 1;
}

/* error_text(err): an error value as text, even an object whose
 * __tostring raises */
static int lerror_text(lua_State *L) {
	lua_settop(L, 1);
	lua_pushcfunction(L, tostring_value);
	lua_pushvalue(L, 1);
	if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
		return 1;
	lua_pushfstring(L, "(a %s error object whose __tostring failed)", luaL_typename(L, 1));
	return 1;
}

/* (co, err) -> the traceback of the dead thread co, headed by err */
static int thread_traceback(lua_State *L) {
	lua_State *co = lua_tothread(L, 1);
	lua_pushcfunction(L, lerror_text);
	lua_pushvalue(L, 2);
	lua_call(L, 1, 1);
	luaL_traceback(L, co, lua_tostring(L, -1), 0);
	return 1;
}

/* The thread at co raised the error on top: its caller gets an error
 * answer, the thread is closed and the error goes on, with co's traceback.
 * Out of memory (memlimit), even the traceback may fail: the dead
 * thread's stack was released before (snlua's resume). */
static int fail_thread(lua_State *L, int co) {
	int err = lua_gettop(L);
	if (uv_get(L, UV_SESSION_OF, co) != LUA_TNIL) {
		int session = (int)lua_tointeger(L, -1);
		if (session != 0) {
			trace_event(L, co, "error");
			uv_get(L, UV_ADDRESS_OF, co);
			send_error(L, -1, session);
			lua_pop(L, 1);
		}
		uv_clear(L, UV_SESSION_OF, co);
	}
	lua_pop(L, 1);
	uv_clear(L, UV_ADDRESS_OF, co);
	uv_clear(L, UV_TRACETAG, co);
	lua_pushcfunction(L, thread_traceback);
	lua_pushvalue(L, co);
	lua_pushvalue(L, err);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK)
		lua_pushvalue(L, err);
	lua_resetthread(lua_tothread(L, co));
	if (is_running(L, co)) {
		lua_pushnil(L);
		lua_setiuservalue(L, OBJ, UV_RUNNING);
	}
	return lua_error(L);
}

/* raises what, followed by the traceback of the thread at co */
static int raise_with_traceback(lua_State *L, int co, const char *what) {
	luaL_traceback(L, lua_tothread(L, co), NULL, 0);
	return luaL_error(L, "%s\n%s", what, lua_tostring(L, -1));
}

/* ---- resuming handler threads ---- */

/*
 * What a resumed thread left, its nres results on top: "SUSPEND" (it
 * waits), nothing (a thread outside the pool ended: a debugger's, the
 * collector of skynet.request), "QUIT" (skynet.exit: it is closed).
 * Returns 1 when the threads woken meanwhile may run.
 */
static int settle(lua_State *L, int co, int nres) {
	if (nres == 0)
		return 1;
	int command = lua_gettop(L) - nres + 1;
	if (lua_isnil(L, command))
		return 1;
	if (lua_type(L, command) == LUA_TSTRING) {
		const char *c = lua_tostring(L, command);
		if (strcmp(c, "SUSPEND") == 0)
			return 1;
		if (strcmp(c, "QUIT") == 0) {
			lua_resetthread(lua_tothread(L, co));
			return 0;
		}
		if (strcmp(c, "USER") == 0)
			return raise_with_traceback(L, co, "Can't yield in a skynet coroutine: use skynet.coroutine");
	}
	lua_pushliteral(L, "Unknown command : ");
	luaL_tolstring(L, command, NULL);
	lua_concat(L, 2);
	return raise_with_traceback(L, co, lua_tostring(L, -1));
}

/* resumes the thread at co with the narg values on top, as the running
 * thread; pops them and returns what settle returns */
static int resume_thread(lua_State *L, int co, int narg) {
	co = lua_absindex(L, co);
	int top = lua_gettop(L) - narg;
	lua_State *thread = lua_tothread(L, co);
	if (thread == NULL)
		return luaL_error(L, "bad argument #1 to 'resume' (coroutine expected)");
	set_running(L, co);
	struct dispatcher *d = self(L);
	int nres = d->resumer.resume(d->resumer.ud, L, thread, narg);
	if (nres < 0)
		return fail_thread(L, co);
	int more = settle(L, co, nres);
	lua_settop(L, top);
	return more;
}

/*
 * Pushes the next thread skynet.wakeup queued and its resume values
 * (false, "BREAK", nil, session); returns 0 when none is left.  Taking the
 * last token empties the queue (h, t = 1, 0).
 */
static int push_woken(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_WAKEUPS);
	int queue = lua_gettop(L);
	lua_Integer h = get_field_int(L, queue, "h");
	lua_Integer t = get_field_int(L, queue, "t");
	for (; h <= t; h++) {
		lua_rawgeti(L, queue, h); /* the token */
		lua_pushnil(L);
		lua_rawseti(L, queue, h);
		set_field_int(L, queue, "h", h == t ? 1 : h + 1);
		if (h == t)
			set_field_int(L, queue, "t", 0);
		if (uv_get(L, UV_SLEEPING, -1) != LUA_TNIL) {
			int session = lua_gettop(L);
			uv_get(L, UV_SESSIONS, session); /* the thread */
			int co = lua_gettop(L);
			lua_getiuservalue(L, OBJ, UV_TRACING);
			if (lua_getfield(L, -1, "on") != LUA_TNIL && lua_toboolean(L, -1))
				trace_event(L, co, "resume");
			lua_pop(L, 2);
			lua_pushliteral(L, "BREAK");
			uv_set(L, UV_SESSIONS, session);
			lua_pushboolean(L, 0);
			lua_pushliteral(L, "BREAK");
			lua_pushnil(L);
			lua_pushvalue(L, session);
			/* keep the thread and its values only */
			lua_rotate(L, queue, -3);
			lua_pop(L, 3);
			return 1;
		}
		lua_pop(L, 2);
	}
	lua_pop(L, 1);
	return 0;
}

/* runs the threads skynet.wakeup queued, one after another */
static void run_woken(lua_State *L) {
	while (push_woken(L)) {
		int co = lua_gettop(L) - 4;
		if (!resume_thread(L, co, 4)) {
			lua_pop(L, 1);
			return;
		}
		lua_pop(L, 1);
	}
}

/* resumes the thread at co with the narg values on top, then the threads
 * it woke; pops them and the thread */
static void run_thread(lua_State *L, int co, int narg) {
	int more = resume_thread(L, co, narg);
	lua_pop(L, 1);
	if (more)
		run_woken(L);
}

/* suspend(co, ok, command...): what a thread resumed from Lua (the
 * debugger, a failed call) left, settled as a message's thread is */
static int lsuspend(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	if (!lua_toboolean(L, 2)) {
		lua_settop(L, 3);
		return fail_thread(L, 1);
	}
	if (settle(L, 1, lua_gettop(L) - 2))
		run_woken(L);
	return 0;
}

/* ---- the pool of handler threads ---- */

/*
 * The body of a handler thread.  It yields "SUSPEND" parked; its resume
 * brings the handler of a message and its arguments, so a message costs
 * one resume, not two.  Once the handler returns, the request is finished
 * (a caller it did not answer is remembered) and the thread parks again.
 */
static int handler_parked(lua_State *L, int status, lua_KContext ctx);

static void finish_request(lua_State *L, int co) {
	if (uv_get(L, UV_SESSION_OF, co) == LUA_TNUMBER && lua_tointeger(L, -1) != 0) {
		int session = (int)lua_tointeger(L, -1);
		uv_get(L, UV_ADDRESS_OF, co);
		skynet_error(self(L)->context, "Maybe forgot response session %d from %s", session,
			push_address(L, -1));
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
		uv_set(L, UV_FORGOTTEN, -2);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	uv_clear(L, UV_SESSION_OF, co);
	uv_clear(L, UV_ADDRESS_OF, co);
	uv_clear(L, UV_TRACETAG, co);
}

static int lfinish_request(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	finish_request(L, 1);
	return 0;
}

static int park(lua_State *L) {
	struct dispatcher *d = self(L);
	lua_settop(L, 0);
	lua_pushthread(L);
	trace_event(L, 1, "end");
	finish_request(L, 1);
	if (d->pooled < INT_MAX) {
		lua_getiuservalue(L, OBJ, UV_POOL);
		lua_pushthread(L);
		lua_rawseti(L, -2, ++d->pooled);
	}
	lua_settop(L, 0);
	lua_pushliteral(L, "SUSPEND");
	return lua_yieldk(L, 1, 0, handler_parked);
}

static int handler_done(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	(void)ctx;
	return park(L);
}

static int handler_parked(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	if (lua_gettop(L) == 0)
		lua_pushnil(L); /* no handler: the call below says so */
	lua_callk(L, lua_gettop(L) - 1, 0, ctx, handler_done);
	return park(L);
}

static int handler_body(lua_State *L) {
	lua_pushliteral(L, "SUSPEND");
	return lua_yieldk(L, 1, 0, handler_parked);
}

/*
 * Pushes a parked handler thread.  The pool is weak: an idle service
 * gives its threads back to the GC, which may empty slots.  A new thread
 * runs its body up to the first park.
 */
static void push_handler(lua_State *L) {
	struct dispatcher *d = self(L);
	while (d->pooled > 0) {
		int n = d->pooled--;
		lua_getiuservalue(L, OBJ, UV_POOL);
		if (lua_rawgeti(L, -1, n) == LUA_TTHREAD) {
			lua_pushnil(L);
			lua_rawseti(L, -3, n);
			lua_remove(L, -2);
			return;
		}
		lua_pop(L, 2);
	}
	lua_State *co = lua_newthread(L);
	lua_getiuservalue(L, OBJ, UV_BODY);
	lua_xmove(L, co, 1);
	int nres;
	if (lua_resume(co, L, 0, &nres) != LUA_YIELD) {
		lua_xmove(co, L, 1);
		lua_error(L);
	}
	lua_pop(co, nres);
}

static int lco_create(lua_State *L) {
	push_handler(L);
	return 1;
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

static int new_session(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	int s = next_session(self(L), L, lua_gettop(L));
	lua_pop(L, 1);
	return s;
}

static int lnew_session(lua_State *L) {
	lua_pushinteger(L, new_session(L));
	return 1;
}

/* ---- messages in ---- */

/* the values of a message, as the callback and raw_dispatch_message get them */
enum { ARG_TYPE = 1, ARG_MSG, ARG_SZ, ARG_SESSION, ARG_SOURCE };

/* the message as a string (c.tostring); a request kept for later is one */
static void push_message_string(lua_State *L) {
	if (lua_type(L, ARG_MSG) == LUA_TSTRING)
		lua_pushvalue(L, ARG_MSG);
	else
		lua_pushlstring(L, lua_touserdata(L, ARG_MSG), (size_t)lua_tointeger(L, ARG_SZ));
}

static void push_message_args(lua_State *L) {
	lua_pushvalue(L, ARG_SESSION);
	lua_pushvalue(L, ARG_SOURCE);
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
}

/* unknown[which] (skynet.dispatch_unknown_request / _response), else rare's */
static void push_unknown_handler(lua_State *L, const char *which, const char *fallback) {
	lua_getiuservalue(L, OBJ, UV_UNKNOWN);
	if (lua_getfield(L, -1, which) == LUA_TNIL) {
		lua_pop(L, 1);
		push_rare(L, fallback);
	}
	lua_remove(L, -2);
}

static void dispatch_response(lua_State *L) {
	lua_Integer session = lua_tointeger(L, ARG_SESSION);
	int t = uv_geti(L, UV_SESSIONS, session);
	int co = lua_gettop(L);
	if (t == LUA_TNIL) {
		push_unknown_handler(L, "response", "unknown_response");
		push_message_args(L);
		lua_call(L, 4, 0);
		return;
	}
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	lua_pushnil(L);
	lua_rawseti(L, -2, session);
	lua_pop(L, 1);
	if (t == LUA_TSTRING && strcmp(lua_tostring(L, co), "BREAK") == 0)
		return; /* a sleep skynet.wakeup broke */
	if (t == LUA_TFUNCTION) { /* skynet.timeout's: it gets a thread now */
		push_handler(L);
		lua_pushvalue(L, co);
		run_thread(L, -2, 1);
		return;
	}
	trace_event(L, co, "resume");
	lua_pushboolean(L, 1);
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	lua_pushvalue(L, ARG_SESSION);
	run_thread(L, co, 4);
}

/* a request nobody handles yet: kept until the start function has run,
 * else answered with an error and reported */
static void dispatch_unhandled(lua_State *L) {
	if (lua_getiuservalue(L, OBJ, UV_EARLY) == LUA_TTABLE) {
		int early = lua_gettop(L);
		lua_createtable(L, 5, 0);
		lua_pushvalue(L, ARG_TYPE);
		lua_rawseti(L, -2, 1);
		push_message_string(L);
		lua_rawseti(L, -2, 2);
		for (int i = ARG_SZ; i <= ARG_SOURCE; i++) {
			lua_pushvalue(L, i);
			lua_rawseti(L, -2, i);
		}
		lua_rawseti(L, early, (lua_Integer)lua_rawlen(L, early) + 1);
		return;
	}
	uv_clear(L, UV_TRACE_SOURCE, ARG_SOURCE);
	int session = (int)lua_tointeger(L, ARG_SESSION);
	if (session != 0)
		send_error(L, ARG_SOURCE, session);
	push_unknown_handler(L, "request", "unknown_request");
	push_message_args(L);
	lua_pushvalue(L, ARG_TYPE);
	lua_call(L, 5, 0);
}

static void dispatch_request(lua_State *L, lua_Integer prototype) {
	lua_getiuservalue(L, OBJ, UV_PROTO);
	int found = lua_rawgeti(L, -1, prototype) != LUA_TNIL;
	int p = lua_gettop(L);
	if (!found && prototype == PTYPE_TRACE) { /* the tag of the next request from source */
		push_message_string(L);
		uv_set(L, UV_TRACE_SOURCE, ARG_SOURCE);
		return;
	}
	if (!found || lua_getfield(L, p, "dispatch") == LUA_TNIL) {
		dispatch_unhandled(L);
		return;
	}
	int f = lua_gettop(L);
	push_handler(L);
	int co = lua_gettop(L);
	lua_pushvalue(L, ARG_SESSION);
	uv_set(L, UV_SESSION_OF, co);
	lua_pushvalue(L, ARG_SOURCE);
	uv_set(L, UV_ADDRESS_OF, co);
	int traceflag = lua_getfield(L, p, "trace") != LUA_TNIL;
	if (traceflag || uv_get(L, UV_TRACE_SOURCE, ARG_SOURCE) != LUA_TNIL) {
		push_rare(L, "trace_request");
		lua_pushvalue(L, co);
		lua_getfield(L, p, "trace");
		lua_pushvalue(L, ARG_SOURCE);
		lua_call(L, 3, 0);
	}
	lua_settop(L, co);
	lua_pushvalue(L, f);
	lua_pushvalue(L, ARG_SESSION);
	lua_pushvalue(L, ARG_SOURCE);
	lua_getfield(L, p, "unpack");
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	lua_call(L, 2, LUA_MULTRET);
	run_thread(L, co, lua_gettop(L) - co);
}

static void raw_dispatch(lua_State *L) {
	lua_Integer prototype = lua_tointeger(L, ARG_TYPE);
	if (prototype == PTYPE_RESPONSE) {
		dispatch_response(L);
	} else if (prototype == PTYPE_ERROR) { /* a call failed, or a service it waits on is gone */
		push_rare(L, "dispatch_error");
		lua_pushvalue(L, ARG_SESSION);
		lua_pushvalue(L, ARG_SOURCE);
		lua_call(L, 2, 0);
	} else {
		dispatch_request(L, prototype);
	}
	lua_settop(L, ARG_SOURCE);
}

/* raw_dispatch_message(type, msg, sz, session, source) */
static int lraw_dispatch_message(lua_State *L) {
	lua_settop(L, ARG_SOURCE);
	raw_dispatch(L);
	return 0;
}

/* whether a fork or a failed call waits (dispatch_pending's work) */
static int has_pending(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_FORKS);
	lua_getfield(L, -1, "h");
	int pending = lua_rawget(L, -2) != LUA_TNIL;
	lua_pop(L, 2);
	if (!pending) {
		pending = uv_geti(L, UV_ERRORS, 1) != LUA_TNIL;
		lua_pop(L, 1);
	}
	return pending;
}

/* the forks and error answers a dispatch leaves; after a handler raised,
 * the callback's loop runs this again (the pending hook) until it runs
 * through */
static int ldispatch_pending(lua_State *L) {
	int top = lua_gettop(L);
	lua_getiuservalue(L, OBJ, UV_FORKS);
	int forks = lua_gettop(L);
	for (;;) {
		lua_Integer h = get_field_int(L, forks, "h");
		if (lua_rawgeti(L, forks, h) == LUA_TNIL) {
			lua_pop(L, 1);
			set_field_int(L, forks, "h", 1);
			set_field_int(L, forks, "t", 0);
			break;
		}
		lua_rawgeti(L, forks, h + 1); /* its body */
		lua_pushnil(L);
		lua_rawseti(L, forks, h);
		lua_pushnil(L);
		lua_rawseti(L, forks, h + 1);
		set_field_int(L, forks, "h", h + 2);
		run_thread(L, -2, 1);
	}
	lua_getiuservalue(L, OBJ, UV_ERRORS);
	while (lua_rawgeti(L, -1, 1) != LUA_TNIL) {
		lua_pop(L, 1);
		push_rare(L, "resume_failed_call");
		lua_call(L, 0, 0);
	}
	lua_settop(L, top);
	return 0;
}

/*
 * skynet.dispatch_message(type, msg, sz, session, source): the callback.
 * No pcall here: a raised error goes to the callback's loop, which logs it
 * and runs the pending hook.  A protocol may serve some messages without a
 * thread: p.direct handles them (it must not yield) and says so by
 * returning true.  Socket data comes this way.
 */
static int ldispatch_message(lua_State *L) {
	lua_settop(L, ARG_SOURCE);
	int handled = 0;
	if (lua_tointeger(L, ARG_SESSION) == 0) {
		lua_getiuservalue(L, OBJ, UV_PROTO);
		if (lua_rawgeti(L, -1, lua_tointeger(L, ARG_TYPE)) == LUA_TTABLE
			&& lua_getfield(L, -1, "direct") != LUA_TNIL) {
			lua_pushvalue(L, ARG_MSG);
			lua_pushvalue(L, ARG_SZ);
			lua_call(L, 2, 1);
			handled = lua_toboolean(L, -1);
		}
		lua_settop(L, ARG_SOURCE);
	}
	if (handled)
		run_woken(L);
	else
		raw_dispatch(L);
	if (has_pending(L))
		ldispatch_pending(L);
	return 0;
}

/* ---- calls, sends, responses ---- */

/* an error at the position of the Lua code that called */
static int caller_error(lua_State *L, const char *fmt, const char *arg) {
	luaL_where(L, 2);
	lua_pushfstring(L, fmt, arg);
	lua_concat(L, 2);
	return lua_error(L);
}

/* replaces the protocol name at index 2 with its protocol */
static void resolve_protocol(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_PROTO);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) == LUA_TNIL)
		caller_error(L, "unknown protocol %s", luaL_tolstring(L, 2, NULL));
	lua_replace(L, 2);
	lua_pop(L, 1);
}

/* stack: dest, protocol, session, values: c.send(dest, p.id, session,
 * p.pack(values...)); leaves what c.send returned in their place */
static void send_packed(lua_State *L) {
	lua_getfield(L, 2, "pack");
	lua_insert(L, 4);
	lua_call(L, lua_gettop(L) - 4, LUA_MULTRET);
	luaL_checkstack(L, 4, NULL);
	lua_getiuservalue(L, OBJ, UV_SEND);
	lua_pushvalue(L, 1);
	lua_getfield(L, 2, "id");
	lua_pushvalue(L, 3);
	lua_rotate(L, 4, 4);
	lua_call(L, lua_gettop(L) - 4, 1);
}

/* a traced thread's call is traced at the callee too */
static void trace_call(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	if (uv_get(L, UV_TRACETAG, -1) > LUA_TBOOLEAN || lua_toboolean(L, -1)) {
		int tag = lua_gettop(L);
		lua_getiuservalue(L, OBJ, UV_TRACELOG);
		lua_pushvalue(L, tag);
		lua_pushliteral(L, "call");
		lua_pushinteger(L, 2);
		lua_call(L, 3, 0);
		lua_getiuservalue(L, OBJ, UV_SEND);
		lua_pushvalue(L, 1);
		lua_pushinteger(L, PTYPE_TRACE);
		lua_pushinteger(L, 0);
		lua_pushvalue(L, tag);
		lua_call(L, 4, 0);
	}
	lua_pop(L, 2);
}

/* the running thread waits for the response to the call at index session,
 * to the service at index service; k runs once it is there */
static int wait_response(lua_State *L, int service, int session, lua_KFunction k) {
	lua_pushvalue(L, service);
	uv_set(L, UV_WATCHING, session);
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	uv_set(L, UV_SESSIONS, session);
	lua_pushliteral(L, "SUSPEND");
	return lua_yieldk(L, 1, 0, k);
}

/* the response to the call at index session came: the values after it
 * are ok, msg, sz; a failure raises */
static void check_response(lua_State *L, int service, int session) {
	lua_settop(L, session + 3);
	uv_clear(L, UV_WATCHING, session);
	if (!lua_toboolean(L, session + 1))
		caller_error(L, "call failed: service %s exited or raised an error", push_address(L, service));
}

static int yield_call_done(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	(void)ctx;
	check_response(L, 1, 2);
	return 2;
}

/* yield_call(service, session) -> msg, sz of the response */
static int lyield_call(lua_State *L) {
	lua_settop(L, 2);
	return wait_response(L, 1, 2, yield_call_done);
}

static int call_done(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	(void)ctx;
	check_response(L, 1, 3);
	lua_getfield(L, 2, "unpack");
	lua_pushvalue(L, 5);
	lua_pushvalue(L, 6);
	lua_call(L, 2, LUA_MULTRET);
	return lua_gettop(L) - 6;
}

/* skynet.call(addr, typename, ...) */
static int lcall(lua_State *L) {
	luaL_checkany(L, 1);
	luaL_checkany(L, 2);
	trace_call(L);
	resolve_protocol(L);
	lua_pushinteger(L, new_session(L));
	lua_insert(L, 3);
	send_packed(L);
	if (lua_isnil(L, -1))
		caller_error(L, "call to invalid address %s", push_address(L, 1));
	lua_settop(L, 3);
	return wait_response(L, 1, 3, call_done);
}

/* skynet.send(addr, typename, ...) -> session, or nil when addr is gone */
static int lsend(lua_State *L) {
	luaL_checkany(L, 1);
	luaL_checkany(L, 2);
	resolve_protocol(L);
	lua_pushinteger(L, 0);
	lua_insert(L, 3);
	send_packed(L);
	return 1;
}

/* a message that will not be sent: its buffer freed */
static void trash_message(lua_State *L) {
	if (!lua_isnil(L, 2) && lua_type(L, 1) == LUA_TLIGHTUSERDATA)
		skynet_free(lua_touserdata(L, 1));
}

/* skynet.ret(msg, sz): answers the running thread's request */
static int lret(lua_State *L) {
	lua_settop(L, 2);
	if (lua_isnil(L, 1)) {
		lua_pushliteral(L, "");
		lua_replace(L, 1);
	}
	lua_getiuservalue(L, OBJ, UV_RUNNING); /* 3 */
	uv_get(L, UV_SESSION_OF, 3);           /* 4 */
	trace_event(L, 3, "response");
	if (lua_isnil(L, 4)) {
		trash_message(L);
		return caller_error(L, "%s", "No session to respond to");
	}
	uv_clear(L, UV_SESSION_OF, 3);
	int session = (int)lua_tointeger(L, 4);
	if (session == 0) {
		trash_message(L);
		lua_pushboolean(L, 0); /* a send: nobody waits for the answer */
		return 1;
	}
	lua_getiuservalue(L, OBJ, UV_SEND);
	uv_get(L, UV_ADDRESS_OF, 3);
	lua_pushinteger(L, PTYPE_RESPONSE);
	lua_pushinteger(L, session);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_call(L, 5, 1);
	lua_pushboolean(L, !lua_isnil(L, -1));
	return 1;
}

/* skynet.timeout(ti, func): func runs in a thread of its own after ti
 * centiseconds; 100k pending timeouts cost a closure each, not a thread */
static int ltimeout(lua_State *L) {
	lua_Integer ti = luaL_checkinteger(L, 1);
	struct dispatcher *d = self(L);
	int session = new_session(L);
	if (ti > INT_MAX)
		ti = INT_MAX;
	skynet_timeout(skynet_context_handle(d->context), ti < 0 ? 0 : (int)ti, session);
	lua_settop(L, 2);
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, session);
	return 0;
}

/* early(t): requests that come before the start function began are kept
 * in t (nil: no longer); returns the table it replaces */
static int learly(lua_State *L) {
	lua_settop(L, 1);
	lua_getiuservalue(L, OBJ, UV_EARLY);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, OBJ, UV_EARLY);
	return 1;
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
 * start-up leaves the callback's thread and the handler thread it ran on
 * with grown stacks.  Here the parked threads are closed and dropped
 * from the pool, the callback's thread is reset and given its two values
 * back, and a young collection frees the start-up's garbage (its code, the
 * threads just closed), for about what one message costs.  A service that
 * goes on working grows what it needs again.
 */
static void trim_threads(struct dispatcher *d) {
	lua_State *L = d->thread;
	d->trim = 0;
	lua_getiuservalue(L, 2, UV_POOL);
	for (int i = 1; i <= d->pooled; i++) {
		if (lua_rawgeti(L, 3, i) == LUA_TTHREAD)
			lua_resetthread(lua_tothread(L, -1));
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
 * Calls the callback(type, msg, sz, session, source) on the dispatcher's
 * thread.  When it raises, the error is logged and the pending hook runs
 * what the failed dispatch left undone (forks, error answers), again after
 * each runtime error it raises: each one consumes what raised it.  The
 * callback is read for every message: a handler may replace it
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
		if (r != LUA_ERRRUN)
			break;
		lua_getiuservalue(L, 2, UV_PENDING_HOOK);
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

static struct dispatcher *check_dispatcher(lua_State *L) {
	struct dispatcher *d = push_dispatcher(L);
	if (d == NULL)
		luaL_error(L, "this service has no dispatcher (skynet.lua makes it)");
	return d;
}

int dispatch_callback(lua_State *L) {
	int forward = lua_toboolean(L, 2);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_settop(L, 1);
	struct dispatcher *d = check_dispatcher(L);
	lua_insert(L, 1);
	lua_setiuservalue(L, 1, UV_CALLBACK);
	skynet_callback(d->context, d, forward ? forward_cb : message_cb);
	return 0;
}

int dispatch_trim(lua_State *L) {
	check_dispatcher(L)->trim = 1;
	return 0;
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
	struct dispatcher *d = check_dispatcher(L);
	lua_pushinteger(L, d->session);
	if (!lua_isnoneornil(L, 1)) {
		lua_Integer n = luaL_checkinteger(L, 1);
		luaL_argcheck(L, n >= 0 && n <= INT_MAX, 1, "session out of range");
		d->session = (int)n;
	}
	return 1;
}

/* ---- the object ---- */

/* t[name] = a closure of f over the object at index 3 */
static void set_method(lua_State *L, int t, const char *name, lua_CFunction f) {
	lua_pushvalue(L, 3);
	lua_pushcclosure(L, f, 1);
	lua_setfield(L, t, name);
}

static void set_closure_uv(lua_State *L, int uv, lua_CFunction f) {
	lua_pushvalue(L, 3);
	lua_pushcclosure(L, f, 1);
	lua_setiuservalue(L, 3, uv);
}

/*
 * dispatcher(I, skynet): makes the service's dispatcher from skynet.lua's
 * internals I (their tables, I.c and I.rare; skynet.tracelog) and puts
 * its functions in I (new_session, co_create, suspend,
 * raw_dispatch_message, yield_call, finish_request, running_thread,
 * error_text, early) and in skynet (call, send, ret, timeout,
 * dispatch_message).  skynet.core's callback, lastsession and trim reach
 * it through the registry.
 */
int dispatch_new(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 2);
	if (push_dispatcher(L) != NULL)
		return luaL_error(L, "this service has a dispatcher already");
	lua_pop(L, 1);
	lua_getfield(L, LUA_REGISTRYINDEX, SKYNET_RESUMER);
	struct skynet_resumer *resumer = lua_touserdata(L, -1);
	if (resumer == NULL)
		return luaL_error(L, "a dispatcher runs in a Lua service (snlua)");
	lua_pop(L, 1);
	struct dispatcher *d = lua_newuserdatauv(L, sizeof(*d), UV_COUNT); /* 3 */
	d->context = lua_touserdata(L, lua_upvalueindex(1));
	d->resumer = *resumer;
	d->session = 0;
	d->pooled = 0;
	d->trim = 0;
	for (int uv = UV_SESSIONS; uv < UV_TRACELOG; uv++) {
		if (lua_getfield(L, 1, shared_names[uv - UV_SESSIONS]) == LUA_TNIL)
			return luaL_error(L, "dispatcher: I.%s is missing", shared_names[uv - UV_SESSIONS]);
		lua_setiuservalue(L, 3, uv);
	}
	lua_getfield(L, 2, "tracelog");
	lua_setiuservalue(L, 3, UV_TRACELOG);
	lua_getfield(L, 1, "c");
	lua_getfield(L, -1, "send");
	lua_setiuservalue(L, 3, UV_SEND);
	lua_pop(L, 1);

	d->thread = lua_newthread(L);
	lua_setiuservalue(L, 3, UV_THREAD);
	lua_pushcfunction(d->thread, skynet_traceback);
	lua_pushvalue(L, 3);
	lua_xmove(L, d->thread, 1);
	lua_pushvalue(L, 3);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &DISPATCHER_KEY);

	lua_createtable(L, 0, 0); /* the pool, weak */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "kv");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setiuservalue(L, 3, UV_POOL);
	set_closure_uv(L, UV_BODY, handler_body);
	set_closure_uv(L, UV_PENDING_HOOK, ldispatch_pending);

	set_method(L, 1, "new_session", lnew_session);
	set_method(L, 1, "co_create", lco_create);
	set_method(L, 1, "suspend", lsuspend);
	set_method(L, 1, "raw_dispatch_message", lraw_dispatch_message);
	set_method(L, 1, "yield_call", lyield_call);
	set_method(L, 1, "finish_request", lfinish_request);
	set_method(L, 1, "running_thread", lrunning_thread);
	set_method(L, 1, "early", learly);
	lua_pushcfunction(L, lerror_text);
	lua_setfield(L, 1, "error_text");
	set_method(L, 2, "call", lcall);
	set_method(L, 2, "send", lsend);
	set_method(L, 2, "ret", lret);
	set_method(L, 2, "timeout", ltimeout);
	set_method(L, 2, "dispatch_message", ldispatch_message);
	return 0;
}
