/*
 * The dispatcher of a Lua service: the message path behind
 * lualib/skynet.lua, in C.  One per service, made by skynet.core's
 * dispatcher(tables).  It owns the session allocator, the coroutine pool,
 * the resume/suspend cycle with its wake-up and error queues, and the
 * pending work (forks, error answers) a dispatch leaves behind.
 *
 * Its state is one userdata: counters in the C struct, and as user values
 * the Lua tables it shares with skynet.lua and the parts of the API that
 * load on first use (session maps, queues, the protocol table).  Every C
 * function here, the pooled threads' bodies included, has that userdata
 * as upvalue 1.
 */
#include "lua-dispatch.h"
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* the user values of the dispatcher: its tables, then what it calls */
enum slot {
	SESSION_ID_COROUTINE = 1, /* session -> waiting thread, timeout function, or "BREAK" */
	SESSION_COROUTINE_ID,      /* thread -> session of the request it handles */
	SESSION_COROUTINE_ADDRESS, /* thread -> source of that request */
	SESSION_COROUTINE_TRACETAG, /* thread -> its trace tag, or false: never traced */
	TRACE_SOURCE,              /* source -> the tag of its next request */
	WATCHING_SESSION,          /* session -> address called */
	SLEEP_SESSION,             /* token -> session */
	WAKEUP_QUEUE,              /* tokens to wake, from h to t */
	ERROR_QUEUE,               /* sessions whose call failed */
	FORK_QUEUE,                /* pairs: a parked thread, then its body */
	FORGOTTEN_CALLERS,         /* address -> true: a request it sent was never answered */
	UNRESPONSE,                /* response closure -> address (skynet.response) */
	PROTO,                     /* protocol name and id -> class */
	UNKNOWN,                   /* request/response handlers of unexpected messages */
	POOL,                      /* parked threads, weak */
	SKYNET,                    /* the skynet module (skynet.trace) */
	CORE,                      /* skynet.core */
	RESUME,                    /* snlua's coroutine.resume, which tracks the running thread */
	SEND,                      /* skynet.core's send */
	TRACELOG,                  /* skynet.tracelog */
	RUNNING,                   /* the thread running a handler now, or nil */
	EARLY,                     /* requests that came before the start function, or nil */
	SLOT_COUNT = EARLY
};

/* the names of the tables, as the parts of skynet.lua's API that load on
 * first use know them (see linternal) */
static const char *const table_names[] = {
	"session_id_coroutine", "session_coroutine_id", "session_coroutine_address",
	"session_coroutine_tracetag", "trace_source", "watching_session", "sleep_session",
	"wakeup_queue", "error_queue", "fork_queue", "forgotten_callers", "unresponse", "proto",
	"unknown",
};

struct dispatcher {
	struct skynet_context *ctx;
	int session;          /* the last session given out */
	lua_Integer pool_size; /* slots of POOL in use; the GC may have emptied some */
};

#define DISPATCHER lua_upvalueindex(1)

static struct dispatcher *get_dispatcher(lua_State *L) {
	return lua_touserdata(L, DISPATCHER);
}

static int push_slot(lua_State *L, enum slot s) {
	return lua_getiuservalue(L, DISPATCHER, s);
}

/* slot[key at index] and the type of that value, pushed */
static int get_field(lua_State *L, enum slot s, int key) {
	key = lua_absindex(L, key);
	push_slot(L, s);
	lua_pushvalue(L, key);
	int t = lua_rawget(L, -2);
	lua_remove(L, -2);
	return t;
}

/* slot[key at index] = the value on top, popped */
static void set_field(lua_State *L, enum slot s, int key) {
	key = lua_absindex(L, key);
	push_slot(L, s);
	lua_pushvalue(L, key);
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	lua_pop(L, 2);
}

static void clear_field(lua_State *L, enum slot s, int key) {
	lua_pushnil(L);
	set_field(L, s, key);
}

static void set_running(lua_State *L, int index) {
	lua_pushvalue(L, index);
	lua_setiuservalue(L, DISPATCHER, RUNNING);
}

static void send_error(struct dispatcher *d, lua_State *L, int address_index, int session) {
	uint32_t address = (uint32_t)lua_tointeger(L, address_index);
	skynet_send(d->ctx, 0, address, PTYPE_ERROR, session, NULL, 0);
}

/* tracelog(tag, event) when the thread at index carries a trace tag */
static void trace_event(lua_State *L, int co, const char *event) {
	get_field(L, SESSION_COROUTINE_TRACETAG, co);
	if (lua_toboolean(L, -1)) {
		push_slot(L, TRACELOG);
		lua_insert(L, -2);
		lua_pushstring(L, event);
		lua_call(L, 2, 0);
	} else {
		lua_pop(L, 1);
	}
}

/* ---- sessions ---- */

/* sessions wrap around at 2^31 and skip any still pending, so a response
 * can never reach the wrong waiting call */
static int next_session(lua_State *L, struct dispatcher *d) {
	push_slot(L, SESSION_ID_COROUTINE);
	int s = d->session;
	int pending;
	do {
		s = s >= 0x7fffffff ? 1 : s + 1;
		pending = lua_rawgeti(L, -1, s) != LUA_TNIL;
		lua_pop(L, 1);
	} while (pending);
	lua_pop(L, 1);
	d->session = s;
	return s;
}

static int lnew_session(lua_State *L) {
	lua_pushinteger(L, next_session(L, get_dispatcher(L)));
	return 1;
}

/* session([n]): the last session given out; n moves it (tests simulate
 * weeks of traffic so) */
static int lsession(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	lua_pushinteger(L, d->session);
	if (!lua_isnoneornil(L, 1)) {
		lua_Integer n = luaL_checkinteger(L, 1);
		luaL_argcheck(L, n >= 0 && n <= 0x7fffffff, 1, "session out of range");
		d->session = (int)n;
	}
	return 1;
}

/* ---- the coroutine pool ---- */

static int thread_run(lua_State *L, int status, lua_KContext ctx);

static int thread_park(lua_State *L) {
	lua_settop(L, 0);
	lua_pushliteral(L, "SUSPEND");
	return lua_yieldk(L, 1, 0, thread_run);
}

/* a request its handler never answered: the caller waits until this
 * service exits, which then tells it the service is gone */
static void finish_request(lua_State *L, struct dispatcher *d, int co) {
	lua_Integer session = get_field(L, SESSION_COROUTINE_ID, co) == LUA_TNUMBER ? lua_tointeger(L, -1) : 0;
	lua_pop(L, 1);
	if (session != 0) {
		get_field(L, SESSION_COROUTINE_ADDRESS, co);
		skynet_error(d->ctx, "Maybe forgot response session %d from :%08x", (int)session,
			(uint32_t)lua_tointeger(L, -1));
		push_slot(L, FORGOTTEN_CALLERS);
		lua_insert(L, -2);
		lua_pushboolean(L, 1);
		lua_rawset(L, -3);
		lua_pop(L, 1);
	}
	clear_field(L, SESSION_COROUTINE_ID, co);
	clear_field(L, SESSION_COROUTINE_ADDRESS, co);
	clear_field(L, SESSION_COROUTINE_TRACETAG, co);
}

/* the body has returned: the thread goes back to the pool */
static int thread_done(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	(void)ctx;
	struct dispatcher *d = get_dispatcher(L);
	lua_settop(L, 0);
	lua_pushthread(L);
	trace_event(L, 1, "end");
	finish_request(L, d, 1);
	push_slot(L, POOL);
	lua_pushthread(L);
	lua_rawseti(L, -2, ++d->pool_size);
	return thread_park(L);
}

/* resumed with a body and its arguments: runs it */
static int thread_run(lua_State *L, int status, lua_KContext ctx) {
	(void)status;
	lua_callk(L, lua_gettop(L) - 1, 0, ctx, thread_done);
	return thread_done(L, LUA_OK, ctx);
}

/* the body of every pooled thread: parked until the next body, so a
 * message costs one resume, not two */
static int thread_main(lua_State *L) {
	return thread_park(L);
}

/* pushes a parked thread, from the pool or new */
static void co_create(lua_State *L, struct dispatcher *d) {
	while (d->pool_size > 0) {
		push_slot(L, POOL);
		lua_Integer n = d->pool_size--;
		int t = lua_rawgeti(L, -1, n);
		lua_pushnil(L);
		lua_rawseti(L, -3, n);
		lua_remove(L, -2);
		if (t == LUA_TTHREAD)
			return;
		lua_pop(L, 1);
	}
	lua_State *co = lua_newthread(L);
	lua_pushvalue(L, DISPATCHER);
	lua_pushcclosure(L, thread_main, 1);
	lua_xmove(L, co, 1);
	int nres;
	lua_resume(co, L, 0, &nres);
	lua_pop(co, nres);
}

static int lco_create(lua_State *L) {
	co_create(L, get_dispatcher(L));
	return 1;
}

/* ---- resume and suspend ---- */

static void close_thread(lua_State *L, lua_State *co) {
#if LUA_VERSION_RELEASE_NUM >= 50406
	lua_closethread(co, L);
#else
	(void)L;
	lua_resetthread(co);
#endif
}

/* an error value as text, even an object whose __tostring raises */
static int error_text(lua_State *L) {
	luaL_tolstring(L, 1, NULL);
	return 1;
}

static int traceback_of(lua_State *L) {
	luaL_traceback(L, lua_tothread(L, 1), lua_tostring(L, 2), 0);
	return 1;
}

static void push_error_text(lua_State *L, int index) {
	index = lua_absindex(L, index);
	lua_pushcfunction(L, error_text);
	lua_pushvalue(L, index);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING) {
		lua_pop(L, 1);
		lua_pushfstring(L, "(a %s error object whose __tostring failed)", luaL_typename(L, index));
	}
}

/*
 * The thread at co died with the error at co + 2: whoever waits on the
 * request it handled gets an error answer, and the error goes on with the
 * thread's traceback.  The dead thread's stack is released first: out of
 * memory (memlimit), even the traceback may fail.
 */
static int raise_thread_error(lua_State *L, struct dispatcher *d, int co) {
	if (get_field(L, SESSION_COROUTINE_ID, co) == LUA_TNUMBER) {
		int session = (int)lua_tointeger(L, -1);
		if (session != 0) {
			trace_event(L, co, "error");
			get_field(L, SESSION_COROUTINE_ADDRESS, co);
			send_error(d, L, -1, session);
			lua_pop(L, 1);
		}
		clear_field(L, SESSION_COROUTINE_ID, co);
	}
	lua_pop(L, 1);
	clear_field(L, SESSION_COROUTINE_ADDRESS, co);
	clear_field(L, SESSION_COROUTINE_TRACETAG, co);
	lua_pushcfunction(L, traceback_of);
	lua_pushvalue(L, co);
	push_error_text(L, co + 2);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
		lua_pop(L, 1);
		lua_pushvalue(L, co + 2);
	}
	close_thread(L, lua_tothread(L, co));
	push_slot(L, RUNNING);
	if (lua_rawequal(L, -1, co)) {
		lua_pushnil(L);
		set_running(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return lua_error(L);
}

static int raise_with_traceback(lua_State *L, int co, const char *what) {
	luaL_traceback(L, lua_tothread(L, co), NULL, 0);
	return luaL_error(L, "%s\n%s", what, lua_tostring(L, -1));
}

/*
 * What a resumed thread left, as co, ok, command on top of the stack: an
 * error, a wait, or the service quitting.  All three are popped; the
 * answer is 1 when the wake-up queue is to run next.
 */
static int suspend(lua_State *L, struct dispatcher *d) {
	int co = lua_gettop(L) - 2;
	if (!lua_toboolean(L, co + 1))
		return raise_thread_error(L, d, co);
	const char *command = lua_tostring(L, co + 2);
	if (command == NULL || strcmp(command, "SUSPEND") == 0) {
		lua_settop(L, co - 1);
		return 1;
	}
	if (strcmp(command, "QUIT") == 0) {
		close_thread(L, lua_tothread(L, co));
		lua_settop(L, co - 1);
		return 0;
	}
	if (strcmp(command, "USER") == 0)
		return raise_with_traceback(L, co, "Can't yield in a skynet coroutine: use skynet.coroutine");
	lua_pushfstring(L, "Unknown command : %s", command);
	return raise_with_traceback(L, co, lua_tostring(L, -1));
}

/* resumes the thread under the nargs values on top, through snlua's
 * tracked resume; leaves co, ok, command */
static void resume_once(lua_State *L, int nargs) {
	int co = lua_gettop(L) - nargs;
	set_running(L, co);
	lua_pushvalue(L, co);
	lua_insert(L, co + 1);
	push_slot(L, RESUME);
	lua_insert(L, co + 1);
	lua_call(L, nargs + 1, 2);
}

/* pushes the next thread to wake and its resume arguments (4 values)
 * and answers 1, or answers 0 when the queue is empty */
static int next_wakeup(lua_State *L) {
	push_slot(L, WAKEUP_QUEUE);
	int queue = lua_gettop(L);
	lua_getfield(L, queue, "h");
	lua_getfield(L, queue, "t");
	lua_Integer h = lua_tointeger(L, -2), t = lua_tointeger(L, -1);
	lua_pop(L, 2);
	for (; h <= t; h++) {
		lua_rawgeti(L, queue, h); /* token */
		lua_pushnil(L);
		lua_rawseti(L, queue, h);
		lua_pushinteger(L, h + 1);
		lua_setfield(L, queue, "h");
		if (get_field(L, SLEEP_SESSION, -1) == LUA_TNIL) {
			lua_pop(L, 2);
			continue;
		}
		int session = (int)lua_tointeger(L, -1);
		lua_pop(L, 2);
		push_slot(L, SESSION_ID_COROUTINE);
		if (lua_rawgeti(L, -1, session) != LUA_TTHREAD) { /* killed meanwhile */
			lua_pop(L, 2);
			continue;
		}
		lua_pushliteral(L, "BREAK");
		lua_rawseti(L, -3, session);
		lua_remove(L, -2);
		lua_remove(L, queue);
		int co = lua_gettop(L);
		trace_event(L, co, "resume");
		lua_pushboolean(L, 0);
		lua_pushliteral(L, "BREAK");
		lua_pushnil(L);
		lua_pushinteger(L, session);
		return 1;
	}
	lua_pushinteger(L, 1);
	lua_setfield(L, queue, "h");
	lua_pushinteger(L, 0);
	lua_setfield(L, queue, "t");
	lua_pop(L, 1);
	return 0;
}

/* runs the wake-ups the last resumed thread queued, and theirs */
static void run_wakeups(lua_State *L, struct dispatcher *d) {
	while (next_wakeup(L)) {
		resume_once(L, 4);
		if (!suspend(L, d))
			return;
	}
}

/* resumes the thread under the nargs values on top, and then whatever
 * it woke */
static void resume(lua_State *L, struct dispatcher *d, int nargs) {
	resume_once(L, nargs);
	if (suspend(L, d))
		run_wakeups(L, d);
}

/* suspend(co, ok, command): the debugger resumes threads itself */
static int lsuspend(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	lua_settop(L, 3);
	if (suspend(L, d))
		run_wakeups(L, d);
	return 0;
}

/* ---- failed calls ---- */

/* an error message: session 0 means the source died, else that call failed */
static void queue_errors(lua_State *L, int session, int source_index) {
	push_slot(L, ERROR_QUEUE);
	int queue = lua_gettop(L);
	push_slot(L, WATCHING_SESSION);
	if (session != 0) {
		if (lua_rawgeti(L, -1, session) != LUA_TNIL) {
			lua_pushinteger(L, session);
			lua_rawseti(L, queue, (lua_Integer)lua_rawlen(L, queue) + 1);
		}
		lua_pop(L, 3);
		return;
	}
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		if (lua_rawequal(L, -1, source_index)) {
			lua_pushvalue(L, -2);
			lua_rawseti(L, queue, (lua_Integer)lua_rawlen(L, queue) + 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

/* resumes the first call of the error queue with its failure; answers 0
 * when the queue is empty */
static int fail_next_call(lua_State *L, struct dispatcher *d) {
	push_slot(L, ERROR_QUEUE);
	lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
	if (n == 0) {
		lua_pop(L, 1);
		return 0;
	}
	lua_rawgeti(L, -1, 1);
	int session = (int)lua_tointeger(L, -1);
	lua_pop(L, 1);
	for (lua_Integer i = 1; i < n; i++) {
		lua_rawgeti(L, -1, i + 1);
		lua_rawseti(L, -2, i);
	}
	lua_pushnil(L);
	lua_rawseti(L, -2, n);
	lua_pop(L, 1);
	push_slot(L, SESSION_ID_COROUTINE);
	int t = lua_rawgeti(L, -1, session);
	lua_pushnil(L);
	lua_rawseti(L, -3, session);
	lua_remove(L, -2);
	if (t != LUA_TTHREAD) { /* killed meanwhile (skynet.killthread) */
		lua_pop(L, 1);
		return 1;
	}
	lua_pushboolean(L, 0);
	lua_pushnil(L);
	lua_pushnil(L);
	lua_pushinteger(L, session);
	resume(L, d, 4);
	return 1;
}

/* ---- messages in ---- */

enum { ARG_TYPE = 1, ARG_MSG, ARG_SZ, ARG_SESSION, ARG_SOURCE };

/* the message as a string: a pointer and size, or a string already (a
 * request kept from before the start function, replayed) */
static void push_message(lua_State *L) {
	if (lua_type(L, ARG_MSG) == LUA_TSTRING)
		lua_pushvalue(L, ARG_MSG);
	else if (lua_touserdata(L, ARG_MSG) == NULL)
		lua_pushnil(L);
	else
		lua_pushlstring(L, lua_touserdata(L, ARG_MSG), (size_t)luaL_checkinteger(L, ARG_SZ));
}

/* unknown[kind](session, source, msg, sz [, type]) */
static void call_unknown(lua_State *L, const char *kind, int with_type) {
	push_slot(L, UNKNOWN);
	lua_getfield(L, -1, kind);
	lua_remove(L, -2);
	lua_pushvalue(L, ARG_SESSION);
	lua_pushvalue(L, ARG_SOURCE);
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	if (with_type)
		lua_pushvalue(L, ARG_TYPE);
	lua_call(L, with_type ? 5 : 4, 0);
}

static void dispatch_response(lua_State *L, struct dispatcher *d, int session) {
	push_slot(L, SESSION_ID_COROUTINE);
	int t = lua_rawgeti(L, -1, session);
	if (t == LUA_TNIL) {
		lua_pop(L, 2);
		call_unknown(L, "response", 0);
		return;
	}
	lua_pushnil(L);
	lua_rawseti(L, -3, session);
	lua_remove(L, -2);
	if (t == LUA_TFUNCTION) { /* a timeout: its function gets a thread now */
		co_create(L, d);
		lua_insert(L, -2);
		resume(L, d, 1);
	} else if (t == LUA_TTHREAD) {
		trace_event(L, lua_gettop(L), "resume");
		lua_pushboolean(L, 1);
		lua_pushvalue(L, ARG_MSG);
		lua_pushvalue(L, ARG_SZ);
		lua_pushvalue(L, ARG_SESSION);
		resume(L, d, 4);
	} else { /* "BREAK": the waiting thread was woken or killed */
		lua_pop(L, 1);
	}
}

/* p.direct(msg, sz) of the class at p: a protocol may serve some
 * messages without a thread (it must not yield) and says so by returning
 * true */
static int serve_direct(lua_State *L, int p) {
	if (lua_getfield(L, p, "direct") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	lua_call(L, 2, 1);
	int served = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return served;
}

/* a request nobody handles yet: kept until the start function has run,
 * else refused */
static void no_handler(lua_State *L, struct dispatcher *d, int session) {
	if (push_slot(L, EARLY) == LUA_TTABLE) {
		lua_createtable(L, 5, 0);
		for (int i = ARG_TYPE; i <= ARG_SOURCE; i++) {
			if (i == ARG_MSG)
				push_message(L);
			else
				lua_pushvalue(L, i);
			lua_rawseti(L, -2, i);
		}
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
		lua_pop(L, 1);
		return;
	}
	lua_pop(L, 1);
	clear_field(L, TRACE_SOURCE, ARG_SOURCE);
	if (session != 0)
		send_error(d, L, ARG_SOURCE, session);
	call_unknown(L, "request", 1);
}

/*
 * The trace of the request the thread at co takes: p.trace false never
 * traces, a tag the caller sent goes on, p.trace true starts a new tag
 * (skynet.traceproto).
 */
static void trace_request(lua_State *L, int p, int co) {
	int traceflag = lua_getfield(L, p, "trace") == LUA_TNIL ? -1 : lua_toboolean(L, -1);
	int tagged = get_field(L, TRACE_SOURCE, ARG_SOURCE) != LUA_TNIL;
	if (traceflag < 0 && !tagged) {
		lua_pop(L, 2);
		return;
	}
	clear_field(L, TRACE_SOURCE, ARG_SOURCE);
	if (traceflag == 0) {
		lua_pushboolean(L, 0);
		set_field(L, SESSION_COROUTINE_TRACETAG, co);
	} else if (tagged) {
		push_slot(L, TRACELOG);
		lua_pushvalue(L, -2);
		lua_pushliteral(L, "request");
		lua_call(L, 2, 0);
		lua_pushvalue(L, -1);
		set_field(L, SESSION_COROUTINE_TRACETAG, co);
	} else {
		set_running(L, co);
		push_slot(L, SKYNET);
		lua_getfield(L, -1, "trace");
		lua_call(L, 0, 0);
		lua_pop(L, 1);
	}
	lua_pop(L, 2);
}

/* a new thread runs p.dispatch(session, source, p.unpack(msg, sz)) */
static void run_handler(lua_State *L, struct dispatcher *d, int p) {
	int f = lua_gettop(L);
	co_create(L, d);
	int co = lua_gettop(L);
	lua_pushvalue(L, ARG_SESSION);
	set_field(L, SESSION_COROUTINE_ID, co);
	lua_pushvalue(L, ARG_SOURCE);
	set_field(L, SESSION_COROUTINE_ADDRESS, co);
	trace_request(L, p, co);
	lua_pushvalue(L, f);
	lua_pushvalue(L, ARG_SESSION);
	lua_pushvalue(L, ARG_SOURCE);
	int before = lua_gettop(L);
	lua_getfield(L, p, "unpack");
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	lua_call(L, 2, LUA_MULTRET);
	resume(L, d, 3 + lua_gettop(L) - before);
}

static void dispatch_request(lua_State *L, struct dispatcher *d, int session) {
	int ptype = (int)lua_tointeger(L, ARG_TYPE);
	push_slot(L, PROTO);
	int known = lua_rawgeti(L, -1, ptype) == LUA_TTABLE;
	lua_remove(L, -2);
	int p = lua_gettop(L);
	if (!known && ptype == PTYPE_TRACE) { /* the tag of the next request from source */
		push_message(L);
		set_field(L, TRACE_SOURCE, ARG_SOURCE);
	} else if (known && session == 0 && serve_direct(L, p)) {
		run_wakeups(L, d);
	} else if (!known || lua_getfield(L, p, "dispatch") == LUA_TNIL) {
		no_handler(L, d, session);
	} else {
		run_handler(L, d, p);
	}
	lua_settop(L, p - 1);
}

/* raw_dispatch(type, msg, sz, session, source): one message in */
static int lraw_dispatch(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	lua_settop(L, ARG_SOURCE);
	int ptype = (int)luaL_checkinteger(L, ARG_TYPE);
	int session = (int)luaL_checkinteger(L, ARG_SESSION);
	if (ptype == PTYPE_RESPONSE) {
		dispatch_response(L, d, session);
	} else if (ptype == PTYPE_ERROR) {
		queue_errors(L, session, ARG_SOURCE);
		fail_next_call(L, d);
	} else {
		dispatch_request(L, d, session);
	}
	return 0;
}

/* runs the forks and error answers a dispatch left; after a handler
 * raised, the core calls this again until it runs through */
static int lpending(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	push_slot(L, FORK_QUEUE);
	int queue = lua_gettop(L);
	for (;;) {
		lua_getfield(L, queue, "h");
		lua_Integer h = lua_tointeger(L, -1);
		lua_pop(L, 1);
		if (lua_rawgeti(L, queue, h) == LUA_TNIL) {
			lua_pop(L, 1);
			lua_pushinteger(L, 1);
			lua_setfield(L, queue, "h");
			lua_pushinteger(L, 0);
			lua_setfield(L, queue, "t");
			break;
		}
		lua_rawgeti(L, queue, h + 1); /* body */
		lua_pushnil(L);
		lua_rawseti(L, queue, h);
		lua_pushnil(L);
		lua_rawseti(L, queue, h + 1);
		lua_pushinteger(L, h + 2);
		lua_setfield(L, queue, "h");
		resume(L, d, 1);
	}
	lua_settop(L, 0);
	while (fail_next_call(L, d))
		;
	return 0;
}

static int has_pending(lua_State *L) {
	push_slot(L, FORK_QUEUE);
	lua_getfield(L, -1, "h");
	int forks = lua_rawgeti(L, -2, lua_tointeger(L, -1)) != LUA_TNIL;
	push_slot(L, ERROR_QUEUE);
	int errors = lua_rawgeti(L, -1, 1) != LUA_TNIL;
	lua_pop(L, 5);
	return forks || errors;
}

/* dispatch(type, msg, sz, session, source): the service's callback.  No
 * pcall here: a raised error goes to the core, which logs it and runs
 * pending (one protected call per message, not two) */
static int ldispatch(lua_State *L) {
	lraw_dispatch(L);
	if (has_pending(L)) {
		lua_settop(L, 0);
		lpending(L);
	}
	return 0;
}

/* ---- calls, sends, responses ---- */

/* pushes an address as skynet.address writes it */
static const char *push_address(lua_State *L, int index) {
	if (lua_type(L, index) == LUA_TNUMBER) {
		char text[16];
		snprintf(text, sizeof(text), ":%08x", (unsigned)(uint32_t)lua_tointeger(L, index));
		return lua_pushstring(L, text);
	}
	return luaL_tolstring(L, index, NULL);
}

/* proto[typename] at index, pushed; an unknown name is an error */
static void push_proto(lua_State *L, int index) {
	push_slot(L, PROTO);
	lua_pushvalue(L, index);
	if (lua_rawget(L, -2) != LUA_TTABLE)
		luaL_error(L, "unknown protocol %s", luaL_tolstring(L, index, NULL));
	lua_remove(L, -2);
}

/* send(addr, type id, session, values packed by p.pack from first on):
 * c.send's answer, pushed */
static void send_packed(lua_State *L, int addr, int p, int session, int first) {
	int last = lua_gettop(L);
	push_slot(L, SEND);
	lua_pushvalue(L, addr);
	lua_getfield(L, p, "id");
	lua_pushinteger(L, session);
	int before = lua_gettop(L);
	lua_getfield(L, p, "pack");
	for (int i = first; i <= last; i++)
		lua_pushvalue(L, i);
	lua_call(L, last - first + 1, LUA_MULTRET);
	lua_call(L, 3 + lua_gettop(L) - before, 1);
}

/* a call of the running thread with a trace tag: logged, and the tag
 * goes ahead of the request */
static void trace_call(lua_State *L, int addr) {
	push_slot(L, RUNNING);
	get_field(L, SESSION_COROUTINE_TRACETAG, -1);
	if (lua_toboolean(L, -1)) {
		push_slot(L, TRACELOG);
		lua_pushvalue(L, -2);
		lua_pushliteral(L, "call");
		lua_pushinteger(L, 2);
		lua_call(L, 3, 0);
		push_slot(L, SEND);
		lua_pushvalue(L, addr);
		lua_pushinteger(L, PTYPE_TRACE);
		lua_pushinteger(L, 0);
		lua_pushvalue(L, -5);
		lua_call(L, 4, 0);
	}
	lua_pop(L, 2);
}

/* after the answer came: succ, msg, sz, session on top of addr, p, session */
static int call_answered(lua_State *L, int status, lua_KContext unpack) {
	(void)status;
	int top = lua_gettop(L);
	push_slot(L, WATCHING_SESSION);
	lua_pushnil(L);
	lua_rawseti(L, -2, lua_tointeger(L, top - 4));
	lua_pop(L, 1);
	if (!lua_toboolean(L, top - 3)) {
		push_address(L, top - 6);
		return luaL_error(L, "call failed: service %s exited or raised an error", lua_tostring(L, -1));
	}
	if (!unpack) {
		lua_settop(L, top - 1);
		return 2;
	}
	lua_getfield(L, top - 5, "unpack");
	lua_pushvalue(L, top - 2);
	lua_pushvalue(L, top - 1);
	lua_call(L, 2, LUA_MULTRET);
	return lua_gettop(L) - top;
}

/* waits for the answer to the call of addr (at top - 2, with the class p
 * and the session on top); unpack: the answer through p.unpack */
static int wait_answer(lua_State *L, int unpack) {
	int session = (int)lua_tointeger(L, -1);
	push_slot(L, WATCHING_SESSION);
	lua_pushvalue(L, -4);
	lua_rawseti(L, -2, session);
	push_slot(L, SESSION_ID_COROUTINE);
	push_slot(L, RUNNING);
	lua_rawseti(L, -2, session);
	lua_pop(L, 2);
	lua_pushliteral(L, "SUSPEND");
	return lua_yieldk(L, 1, unpack, call_answered);
}

/* call(addr, typename, ...): the answer, unpacked */
static int lcall(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	trace_call(L, 1);
	push_proto(L, 2);
	lua_rotate(L, 3, 1); /* addr, typename, p, the values to pack */
	int session = next_session(L, d);
	send_packed(L, 1, 3, session, 4);
	if (lua_isnil(L, -1)) {
		push_address(L, 1);
		return luaL_error(L, "call to invalid address %s", lua_tostring(L, -1));
	}
	lua_settop(L, 3);
	lua_remove(L, 2);
	lua_pushinteger(L, session);
	return wait_answer(L, 1);
}

/* yield_call(addr, session): msg, sz of the answer */
static int lyield_call(lua_State *L) {
	luaL_checkinteger(L, 2);
	lua_settop(L, 2);
	lua_pushnil(L);
	lua_insert(L, 2);
	return wait_answer(L, 0);
}

/* send(addr, typename, ...) */
static int lsend(lua_State *L) {
	push_proto(L, 2);
	lua_rotate(L, 3, 1);
	send_packed(L, 1, 3, 0, 4);
	return 1;
}

/* ret(msg, sz): answers the request of the running thread */
static int lret(lua_State *L) {
	lua_settop(L, 2);
	if (!lua_toboolean(L, 1)) {
		lua_pushliteral(L, "");
		lua_replace(L, 1);
	}
	push_slot(L, RUNNING);
	int co = lua_gettop(L);
	trace_event(L, co, "response");
	int t = get_field(L, SESSION_COROUTINE_ID, co);
	lua_Integer session = lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (t == LUA_TNIL || session == 0) {
		if (!lua_isnil(L, 2) && lua_type(L, 1) == LUA_TLIGHTUSERDATA)
			skynet_free(lua_touserdata(L, 1)); /* nobody takes the message */
		if (t == LUA_TNIL)
			return luaL_error(L, "No session to respond to");
		clear_field(L, SESSION_COROUTINE_ID, co);
		lua_pushboolean(L, 0); /* a send: nobody waits for the answer */
		return 1;
	}
	clear_field(L, SESSION_COROUTINE_ID, co);
	push_slot(L, SEND);
	get_field(L, SESSION_COROUTINE_ADDRESS, co);
	lua_pushinteger(L, PTYPE_RESPONSE);
	lua_pushinteger(L, session);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_call(L, 5, 1);
	lua_pushboolean(L, !lua_isnil(L, -1));
	return 1;
}

/* timeout(ti, func): func runs in a thread of its own after ti
 * centiseconds; a pending timeout costs a closure, not a coroutine */
static int ltimeout(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	lua_Integer ti = luaL_checkinteger(L, 1);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	int session = next_session(L, d);
	if (ti > INT_MAX)
		ti = INT_MAX;
	skynet_timeout(skynet_context_handle(d->ctx), ti < 0 ? 0 : (int)ti, session);
	push_slot(L, SESSION_ID_COROUTINE);
	lua_pushvalue(L, 2);
	lua_rawseti(L, -2, session);
	return 0;
}

/* ---- state the Lua side reads and sets ---- */

static int lrunning(lua_State *L) {
	push_slot(L, RUNNING);
	return 1;
}

static int lset_running(lua_State *L) {
	lua_settop(L, 1);
	set_running(L, 1);
	return 0;
}

/* early(true) starts keeping early requests; early(false) ends it and
 * returns those kept */
static int learly(lua_State *L) {
	int keep = lua_toboolean(L, 1);
	push_slot(L, EARLY);
	if (keep)
		lua_newtable(L);
	else
		lua_pushnil(L);
	lua_setiuservalue(L, DISPATCHER, EARLY);
	return 1;
}

/* finish_request(co): a thread the service kills (skynet.killthread) */
static int lfinish_request(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	finish_request(L, get_dispatcher(L), 1);
	return 0;
}

/* dispatch_error(session, source): as if that error message came */
static int ldispatch_error(lua_State *L) {
	int session = (int)luaL_checkinteger(L, 1);
	luaL_checkinteger(L, 2);
	queue_errors(L, session, 2);
	return 0;
}

/* the default handlers of messages nobody expects */

static int unknown_session(lua_State *L) {
	char text[64];
	snprintf(text, sizeof(text), "Unknown session : %d from %x", (int)luaL_checkinteger(L, 1),
		(unsigned)luaL_checkinteger(L, 2));
	return luaL_error(L, "%s", text);
}
static int unknown_request(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	size_t sz = (size_t)luaL_optinteger(L, 4, 0);
	const char *msg = lua_touserdata(L, 3);
	skynet_error(d->ctx, "Unknown request (%s): %.*s", luaL_tolstring(L, 5, NULL), msg ? (int)sz : 0,
		msg ? msg : "");
	return unknown_session(L);
}

static int unknown_response(lua_State *L) {
	struct dispatcher *d = get_dispatcher(L);
	size_t sz = (size_t)luaL_optinteger(L, 4, 0);
	const char *msg = lua_touserdata(L, 3);
	skynet_error(d->ctx, "Response message : %.*s", msg ? (int)sz : 0, msg ? msg : "");
	return unknown_session(L);
}

/* ---- making one ---- */

static void set_default_handlers(lua_State *L, int unknown, int dispatcher) {
	static const luaL_Reg handlers[] = {
		{ "request", unknown_request },
		{ "response", unknown_response },
		{ NULL, NULL },
	};
	for (const luaL_Reg *h = handlers; h->name; h++) {
		if (lua_getfield(L, unknown, h->name) == LUA_TNIL) {
			lua_pushvalue(L, dispatcher);
			lua_pushcclosure(L, h->func, 1);
			lua_setfield(L, unknown, h->name);
		}
		lua_pop(L, 1);
	}
}

/* tables(): the tables skynet.lua itself reads: proto,
 * session_id_coroutine, session_coroutine_id, session_coroutine_address,
 * watching_session, unresponse, fork_queue, forgotten_callers */
static int ltables(lua_State *L) {
	static const enum slot order[] = { PROTO, SESSION_ID_COROUTINE, SESSION_COROUTINE_ID,
		SESSION_COROUTINE_ADDRESS, WATCHING_SESSION, UNRESPONSE, FORK_QUEUE, FORGOTTEN_CALLERS };
	int n = (int)(sizeof(order) / sizeof(order[0]));
	luaL_checkstack(L, n, NULL);
	for (int i = 0; i < n; i++)
		push_slot(L, order[i]);
	return n;
}

static const luaL_Reg functions[] = {
	{ "new_session", lnew_session },
	{ "session", lsession },
	{ "co_create", lco_create },
	{ "raw_dispatch", lraw_dispatch },
	{ "dispatch", ldispatch },
	{ "pending", lpending },
	{ "suspend", lsuspend },
	{ "running", lrunning },
	{ "set_running", lset_running },
	{ "early", learly },
	{ "finish_request", lfinish_request },
	{ "dispatch_error", ldispatch_error },
	{ "call", lcall },
	{ "yield_call", lyield_call },
	{ "send", lsend },
	{ "ret", lret },
	{ "timeout", ltimeout },
	{ "tables", ltables },
	{ NULL, NULL },
};

/*
 * internal(): what the parts of the API that load on first use
 * (skynet/common.lua, skynet/extra.lua) share with skynet.lua: the tables
 * by name, c (skynet.core), self, running_thread and the dispatcher's
 * functions.  Made when a part loads, so an idle service keeps none of it.
 */
static int linternal(lua_State *L) {
	int ntables = (int)(sizeof(table_names) / sizeof(table_names[0]));
	lua_createtable(L, 0, ntables + (int)(sizeof(functions) / sizeof(functions[0])) + 3);
	for (int i = 0; i < ntables; i++) {
		push_slot(L, (enum slot)(i + 1));
		lua_setfield(L, -2, table_names[i]);
	}
	lua_pushvalue(L, DISPATCHER);
	luaL_setfuncs(L, functions, 1);
	push_slot(L, CORE);
	lua_setfield(L, -2, "c");
	lua_pushinteger(L, skynet_context_handle(get_dispatcher(L)->ctx));
	lua_setfield(L, -2, "self");
	lua_getfield(L, -1, "running");
	lua_setfield(L, -2, "running_thread");
	return 1;
}

/* a new table, empty or a queue */
static void new_table(lua_State *L, enum slot s) {
	if (s == WAKEUP_QUEUE || s == FORK_QUEUE) {
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, 1);
		lua_setfield(L, -2, "h");
		lua_pushinteger(L, 0);
		lua_setfield(L, -2, "t");
	} else {
		lua_newtable(L);
	}
}

/*
 * dispatcher(skynet, core, resume, tracelog): a new dispatcher for the
 * skynet module, over skynet.core, snlua's coroutine.resume and
 * skynet.tracelog; returns a table of its functions.
 */
int skynet_dispatcher_new(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TFUNCTION);
	luaL_checktype(L, 4, LUA_TFUNCTION);
	lua_settop(L, 4);
	struct dispatcher *d = lua_newuserdatauv(L, sizeof(*d), SLOT_COUNT);
	memset(d, 0, sizeof(*d));
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	d->ctx = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (d->ctx == NULL)
		return luaL_error(L, "a dispatcher needs a service context");
	for (enum slot s = 1; s < POOL; s++) {
		new_table(L, s);
		lua_setiuservalue(L, -2, s);
	}
	lua_createtable(L, 0, 0); /* the pool, weak: an idle service gives its threads back */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "kv");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setiuservalue(L, -2, POOL);
	static const enum slot arguments[] = { SKYNET, CORE, RESUME, TRACELOG };
	for (int i = 0; i < 4; i++) {
		lua_pushvalue(L, i + 1);
		lua_setiuservalue(L, -2, arguments[i]);
	}
	lua_getfield(L, 2, "send");
	lua_setiuservalue(L, -2, SEND);
	int dispatcher = lua_gettop(L);
	lua_getiuservalue(L, dispatcher, UNKNOWN);
	set_default_handlers(L, lua_gettop(L), dispatcher);
	lua_pop(L, 1);
	lua_createtable(L, 0, (int)(sizeof(functions) / sizeof(functions[0])) + 1);
	lua_pushvalue(L, dispatcher);
	luaL_setfuncs(L, functions, 1);
	lua_pushvalue(L, dispatcher);
	lua_pushcclosure(L, linternal, 1);
	lua_setfield(L, -2, "internal");
	return 1;
}
