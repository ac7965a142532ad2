/*
 * A Lua service's dispatcher: the message path of skynet.lua, in C.
 * skynet.core's dispatcher(I, skynet) makes it (one per service) from the
 * internals table I of skynet.lua, whose tables it shares with the parts
 * of the API written in Lua, and puts its functions in I and in the API
 * table skynet.  It owns
 *  - the message callback (skynet.dispatch_message) and the Lua thread it
 *    runs on, the pending hook run after a callback raised, and the loop
 *    that logs such errors and recovers;
 *  - the pool of handler threads: each runs one message's handler at a
 *    time, and a handler that calls or sleeps yields "SUSPEND" until the
 *    matching response resumes it;
 *  - the request a handler thread serves (its session and source), kept
 *    in the thread's extra space rather than in tables;
 *  - what happens after a resume: an error answered and logged, the
 *    threads skynet.wakeup woke run in turn, "QUIT";
 *  - the queues of woken threads and of forks;
 *  - the session allocator: ids wrap at 2^31 and skip every id still
 *    waited on, and sends with a nil session and the TIMEOUT command take
 *    theirs from it too (dispatch_newsession), so a service has one id
 *    space;
 *  - call, send, ret and timeout, and the running thread.
 * Written in C, this code costs a service nothing: as Lua, every VM kept
 * its own copy of it (about 11 KB per service).  Table work through the C
 * API costs several times what it costs in bytecode, so the hot path
 * keeps its state in C (the request of a thread, the queue ends, whether
 * anything was ever traced) and touches few tables.
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
	lua_State *thread;  /* the callback's; its stack: [1] traceback, [2] this object */
	lua_State *running; /* the running thread (UV_RUNNING keeps it alive), or NULL */
	struct skynet_resumer resumer; /* snlua's */
	int session;        /* the last session handed out */
	int pooled;         /* slots of the pool in use (the GC may have emptied some) */
	int trim;           /* set by trim(): give the threads' stacks back after this message */
	int tracing;        /* a trace tag or flag was ever set: requests may be traced */
	int failed_calls;   /* skynet/rare.lua queued calls to fail in UV_ERRORS */
	lua_Integer wake_head, wake_tail; /* skynet.wakeup's tokens, in UV_WAKEUPS */
	lua_Integer fork_head, fork_tail; /* forks in UV_FORKS: a thread, then its body */
};

/*
 * The object's user values.  The tables from SESSIONS on are skynet.lua's
 * (I.name):
 *   SESSIONS   session -> waiting thread, timeout function or "BREAK"
 *   TRACETAG   thread -> its trace tag, or false: never traced
 *   SLEEPING   token -> the session it sleeps under
 *   ERRORS     sessions whose calls failed, to resume
 *   WATCHING   session -> the address called
 * and the strings from K_DISPATCH on are interned once: the fields of a
 * protocol, and "BREAK".
 */
enum {
	UV_CALLBACK = 1, UV_PENDING_HOOK, UV_THREAD, UV_POOL, UV_BODY, UV_RUNNING, UV_EARLY,
	UV_WAKEUPS, UV_FORKS,
	UV_SESSIONS, UV_TRACETAG, UV_TRACING, UV_PROTO, UV_SLEEPING, UV_ERRORS, UV_WATCHING,
	UV_TRACE_SOURCE, UV_UNKNOWN, UV_FORGOTTEN, UV_RARE,
	UV_TRACELOG,
	UV_K_DISPATCH, UV_K_DIRECT, UV_K_TRACE, UV_K_UNPACK, UV_K_PACK, UV_K_ID, UV_K_BREAK,
	UV_COUNT = UV_K_BREAK
};

/* the names in I of the user values from UV_SESSIONS to UV_RARE */
static const char *const shared_names[] = {
	"session_id_coroutine", "session_coroutine_tracetag", "tracing", "proto", "sleep_session",
	"error_queue", "watching_session", "trace_source", "unknown", "forgotten_callers", "rare",
};

static const char *const key_names[] = {
	"dispatch", "direct", "trace", "unpack", "pack", "id", "BREAK",
};

/* its address keys the service's dispatcher in the registry */
static const char DISPATCHER_KEY = 0;

/* the dispatcher is upvalue 1 of every function here */
#define OBJ lua_upvalueindex(1)

static struct dispatcher *self(lua_State *L) {
	return lua_touserdata(L, OBJ);
}

/* ---- the request a thread serves ---- */

/*
 * Kept in the thread's extra space (LUA_EXTRASPACE bytes, zero in the main
 * thread, which snlua clears, and copied from it into every new thread):
 * all zero is "no request".  The session is stored xor NO_SESSION, so a
 * zero there decodes to NO_SESSION, "none" (no request, or answered).  A
 * request's session is never INT_MIN: sessions are handed out from 1 up.
 */
struct request {
	uint32_t session; /* xor NO_SESSION */
	uint32_t source;  /* 0: none */
};

#define NO_SESSION ((uint32_t)INT_MIN)

_Static_assert(sizeof(struct request) <= LUA_EXTRASPACE, "a request fits in a thread's extra space");

static struct request *request_of(lua_State *co) {
	return lua_getextraspace(co);
}

static int has_session(const struct request *r) {
	return r->session != 0;
}

static int session_of(const struct request *r) {
	return (int)(r->session ^ NO_SESSION);
}

static void start_request(lua_State *co, int session, uint32_t source) {
	struct request *r = request_of(co);
	r->session = (uint32_t)session ^ NO_SESSION;
	r->source = source;
}

static void end_request(lua_State *co) {
	struct request *r = request_of(co);
	r->session = 0;
	r->source = 0;
}

/* pushes the session and the source of the request of co (nil for none) */
static void push_request(lua_State *L, lua_State *co) {
	struct request *r = request_of(co);
	if (has_session(r))
		lua_pushinteger(L, session_of(r));
	else
		lua_pushnil(L);
	if (r->source != 0)
		lua_pushinteger(L, r->source);
	else
		lua_pushnil(L);
}

/* request(co) -> the session of the request co serves (nil once
 * answered) and its source (skynet.context) */
static int lrequest(lua_State *L) {
	lua_State *co = lua_tothread(L, 1);
	if (co == NULL)
		return 0; /* no running thread: no request */
	push_request(L, co);
	return 2;
}

/* take_session(co) -> session, source: as request, and the request counts
 * as answered (skynet.response, skynet.ignoreret) */
static int ltake_session(lua_State *L) {
	lua_State *co = lua_tothread(L, 1);
	if (co == NULL)
		return 0;
	push_request(L, co);
	request_of(co)->session = 0;
	return 2;
}

/* ---- the tables ---- */

/* pushes uv[key] */
static int uv_get(lua_State *L, int uv, int key) {
	key = lua_absindex(L, key);
	lua_getiuservalue(L, OBJ, uv);
	lua_pushvalue(L, key);
	int t = lua_rawget(L, -2);
	lua_replace(L, -2);
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

static void uv_seti(lua_State *L, int uv, lua_Integer key) {
	lua_getiuservalue(L, OBJ, uv);
	lua_insert(L, -2);
	lua_rawseti(L, -2, key);
	lua_pop(L, 1);
}

/* pushes the field of the protocol at index p keyed by the user value key */
static int get_protocol_field(lua_State *L, int p, int key) {
	p = lua_absindex(L, p);
	lua_getiuservalue(L, OBJ, key);
	return lua_gettable(L, p);
}

/* pushes the function name of rare() (skynet/rare.lua, loaded on first use) */
static void push_rare(lua_State *L, const char *name) {
	lua_getiuservalue(L, OBJ, UV_RARE);
	lua_call(L, 0, 1);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
}

/* pushes the trace tag of the thread at co and returns 1; returns 0 and
 * pushes nothing when it has none (or nothing was ever traced) */
static int push_tracetag(struct dispatcher *d, lua_State *L, int co) {
	if (!d->tracing)
		return 0;
	if (uv_get(L, UV_TRACETAG, co) > LUA_TBOOLEAN || lua_toboolean(L, -1))
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* skynet.tracelog(tag at index tag, event [, level]) */
static void tracelog(lua_State *L, int tag, const char *event, int level) {
	lua_getiuservalue(L, OBJ, UV_TRACELOG);
	lua_pushvalue(L, tag);
	lua_pushstring(L, event);
	if (level > 0)
		lua_pushinteger(L, level);
	lua_call(L, level > 0 ? 3 : 2, 0);
}

/* tracelog(tag, event) for the thread at co, if it has a tag */
static void trace_event(struct dispatcher *d, lua_State *L, int co, const char *event) {
	if (push_tracetag(d, L, co)) {
		tracelog(L, lua_gettop(L), event, 0);
		lua_pop(L, 1);
	}
}

/* a finished request's trace tag goes */
static void clear_tracetag(struct dispatcher *d, lua_State *L, int co) {
	if (d->tracing)
		uv_clear(L, UV_TRACETAG, co);
}

/* trace_on(): a trace tag or flag was set; from now on the dispatcher
 * looks for them */
static int ltrace_on(lua_State *L) {
	self(L)->tracing = 1;
	lua_getiuservalue(L, OBJ, UV_TRACING);
	lua_pushboolean(L, 1);
	lua_setfield(L, -2, "on");
	return 0;
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

/* an error at the position of the Lua code that called */
static int caller_error(lua_State *L, const char *fmt, const char *arg) {
	luaL_where(L, 2);
	lua_pushfstring(L, fmt, arg);
	lua_concat(L, 2);
	return lua_error(L);
}

static void send_error(struct dispatcher *d, uint32_t address, int session) {
	skynet_send(d->context, 0, address, PTYPE_ERROR, session, NULL, 0);
}

/* ---- the running thread (skynet.lua's running_thread) ---- */

static void set_running(struct dispatcher *d, lua_State *L, int co) {
	lua_pushvalue(L, co);
	d->running = lua_tothread(L, -1);
	lua_setiuservalue(L, OBJ, UV_RUNNING);
}

static void forget_running(struct dispatcher *d, lua_State *L) {
	d->running = NULL;
	lua_pushnil(L);
	lua_setiuservalue(L, OBJ, UV_RUNNING);
}

/* running_thread([co]): the running thread; co makes it the running one,
 * false forgets it */
static int lrunning_thread(lua_State *L) {
	if (!lua_isnoneornil(L, 1)) {
		if (lua_toboolean(L, 1)) {
			luaL_checktype(L, 1, LUA_TTHREAD);
			set_running(self(L), L, 1);
		} else {
			forget_running(self(L), L);
		}
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

/* closes the thread at co; it serves no request any more */
static void close_thread(lua_State *L, int co) {
	lua_State *thread = lua_tothread(L, co);
	end_request(thread);
	lua_resetthread(thread);
}

/* The thread at co raised the error on top: its caller gets an error
 * answer, the thread is closed and the error goes on, with co's traceback.
 * Out of memory (memlimit), even the traceback may fail: the dead
 * thread's stack was released before (snlua's resume). */
static int fail_thread(struct dispatcher *d, lua_State *L, int co) {
	int err = lua_gettop(L);
	struct request *r = request_of(lua_tothread(L, co));
	if (has_session(r) && session_of(r) != 0) {
		trace_event(d, L, co, "error");
		send_error(d, r->source, session_of(r));
	}
	clear_tracetag(d, L, co);
	lua_pushcfunction(L, thread_traceback);
	lua_pushvalue(L, co);
	lua_pushvalue(L, err);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK)
		lua_pushvalue(L, err);
	close_thread(L, co);
	if (d->running == lua_tothread(L, co))
		forget_running(d, L);
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
			close_thread(L, co);
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
static int resume_thread(struct dispatcher *d, lua_State *L, int co, int narg) {
	co = lua_absindex(L, co);
	int top = lua_gettop(L) - narg;
	lua_State *thread = lua_tothread(L, co);
	if (thread == NULL)
		return luaL_error(L, "bad argument #1 to 'resume' (coroutine expected)");
	set_running(d, L, co);
	int nres = d->resumer.resume(d->resumer.ud, L, thread, narg);
	if (nres < 0)
		return fail_thread(d, L, co);
	int more = settle(L, co, nres);
	lua_settop(L, top);
	return more;
}

/*
 * Pushes the next thread skynet.wakeup queued and its resume values
 * (false, "BREAK", nil, session); returns 0 when none is left.  Taking the
 * last token empties the queue.
 */
static int push_woken(struct dispatcher *d, lua_State *L) {
	if (d->wake_head > d->wake_tail)
		return 0;
	lua_getiuservalue(L, OBJ, UV_WAKEUPS);
	int queue = lua_gettop(L);
	lua_getiuservalue(L, OBJ, UV_SLEEPING);
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	int sessions = queue + 2;
	while (d->wake_head <= d->wake_tail) {
		lua_Integer h = d->wake_head++;
		lua_rawgeti(L, queue, h); /* the token */
		lua_pushnil(L);
		lua_rawseti(L, queue, h);
		if (h == d->wake_tail)
			d->wake_head = 1, d->wake_tail = 0;
		if (lua_rawget(L, queue + 1) != LUA_TNIL) { /* the session it sleeps under */
			int session = lua_gettop(L);
			lua_pushvalue(L, session);
			lua_rawget(L, sessions); /* the thread */
			trace_event(d, L, session + 1, "resume");
			lua_pushvalue(L, session);
			lua_getiuservalue(L, OBJ, UV_K_BREAK);
			lua_rawset(L, sessions);
			lua_pushboolean(L, 0);
			lua_getiuservalue(L, OBJ, UV_K_BREAK);
			lua_pushnil(L);
			lua_pushvalue(L, session);
			return 1;
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 3);
	return 0;
}

/* runs the threads skynet.wakeup queued, one after another */
static void run_woken(struct dispatcher *d, lua_State *L) {
	int top = lua_gettop(L);
	while (push_woken(d, L)) {
		int more = resume_thread(d, L, -5, 4);
		lua_settop(L, top);
		if (!more)
			return;
	}
}

/* resumes the thread at co with the narg values after it, then the
 * threads it woke; leaves the stack below co */
static void run_thread(struct dispatcher *d, lua_State *L, int co, int narg) {
	co = lua_absindex(L, co);
	int more = resume_thread(d, L, co, narg);
	lua_settop(L, co - 1);
	if (more)
		run_woken(d, L);
}

/* suspend(co, ok, command...): what a thread resumed from Lua (the
 * debugger, a failed call) left, settled as a message's thread is */
static int lsuspend(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	struct dispatcher *d = self(L);
	if (!lua_toboolean(L, 2)) {
		lua_settop(L, 3);
		return fail_thread(d, L, 1);
	}
	if (settle(L, 1, lua_gettop(L) - 2))
		run_woken(d, L);
	return 0;
}

/* wakeup(token) -> true if a thread sleeps under token: it runs once the
 * current one suspends (skynet.wakeup) */
static int lwakeup(lua_State *L) {
	lua_settop(L, 1);
	lua_getiuservalue(L, OBJ, UV_SLEEPING);
	lua_pushvalue(L, 1);
	if (lua_rawget(L, 2) == LUA_TNIL)
		return 0;
	struct dispatcher *d = self(L);
	lua_getiuservalue(L, OBJ, UV_WAKEUPS);
	lua_pushvalue(L, 1);
	lua_rawseti(L, -2, ++d->wake_tail);
	lua_pushboolean(L, 1);
	return 1;
}

/* fork(co, body): the parked thread co runs body once the current
 * message is done (skynet.fork) */
static int lfork(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	struct dispatcher *d = self(L);
	lua_settop(L, 2);
	lua_getiuservalue(L, OBJ, UV_FORKS);
	lua_pushvalue(L, 1);
	lua_rawseti(L, 3, ++d->fork_tail);
	lua_pushvalue(L, 2);
	lua_rawseti(L, 3, ++d->fork_tail);
	return 0;
}

/* calls_failed(): skynet/rare.lua queued sessions in error_queue; they
 * resume, failing, once the current message is done */
static int lcalls_failed(lua_State *L) {
	self(L)->failed_calls = 1;
	return 0;
}

/* clear_forks(): the forks not run yet never run (skynet.exit) */
static int lclear_forks(lua_State *L) {
	struct dispatcher *d = self(L);
	lua_getiuservalue(L, OBJ, UV_FORKS);
	for (lua_Integer i = d->fork_head; i <= d->fork_tail; i++) {
		lua_pushnil(L);
		lua_rawseti(L, -2, i);
	}
	d->fork_head = 1;
	d->fork_tail = 0;
	return 0;
}

/* ---- the pool of handler threads ---- */

/*
 * The body of a handler thread.  Its stack holds nothing of its own: it
 * yields "SUSPEND" parked, and its resume brings the handler of a message
 * and its arguments, so a message costs one resume, not two.  Once the
 * handler returns, the request is finished (a caller it did not answer is
 * remembered) and the thread parks again.
 */
static int handler_parked(lua_State *L, int status, lua_KContext ctx);

/* the thread at co is done with its request: a caller it did not answer
 * waits until this service exits, which then tells it it is gone */
static void finish_request(struct dispatcher *d, lua_State *L, int co) {
	struct request *r = request_of(lua_tothread(L, co));
	if (has_session(r) && session_of(r) != 0) {
		lua_pushinteger(L, r->source);
		skynet_error(d->context, "Maybe forgot response session %d from %s", session_of(r),
			push_address(L, -1));
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
		uv_set(L, UV_FORGOTTEN, -2);
		lua_pop(L, 1);
	}
	end_request(lua_tothread(L, co));
	clear_tracetag(d, L, co);
}

static int lfinish_request(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	finish_request(self(L), L, 1);
	return 0;
}

static int park(lua_State *L) {
	struct dispatcher *d = self(L);
	lua_settop(L, 0);
	lua_pushthread(L);
	trace_event(d, L, 1, "end");
	finish_request(d, L, 1);
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
 * Pushes a parked handler thread (maybe above the pool table: callers
 * find it on top and drop the stack below it later).  The pool is weak: an idle service
 * gives its threads back to the GC, which may empty slots.  A new thread
 * runs its body up to the first park.
 */
static void push_handler(struct dispatcher *d, lua_State *L) {
	if (d->pooled > 0) {
		lua_getiuservalue(L, OBJ, UV_POOL);
		int pool = lua_gettop(L);
		do {
			int n = d->pooled--;
			if (lua_rawgeti(L, pool, n) == LUA_TTHREAD) {
				lua_pushnil(L);
				lua_rawseti(L, pool, n);
				return; /* above the pool, which the caller's stack keeps */
			}
			lua_pop(L, 1);
		} while (d->pooled > 0);
		lua_pop(L, 1);
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
	push_handler(self(L), L);
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

/* a new session of d, whose object is at index obj */
static int new_session_of(struct dispatcher *d, lua_State *L, int obj) {
	lua_getiuservalue(L, obj, UV_SESSIONS);
	int s = next_session(d, L, lua_gettop(L));
	lua_pop(L, 1);
	return s;
}

static int new_session(struct dispatcher *d, lua_State *L) {
	return new_session_of(d, L, OBJ);
}

static int lnew_session(lua_State *L) {
	lua_pushinteger(L, new_session(self(L), L));
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

static void dispatch_response(struct dispatcher *d, lua_State *L, int session) {
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	int t = lua_rawgeti(L, -1, session);
	int co = lua_gettop(L);
	if (t == LUA_TNIL) {
		push_unknown_handler(L, "response", "unknown_response");
		push_message_args(L);
		lua_call(L, 4, 0);
		return;
	}
	lua_pushnil(L);
	lua_rawseti(L, co - 1, session);
	if (t == LUA_TTHREAD) { /* a call or a sleep */
		trace_event(d, L, co, "resume");
		lua_pushboolean(L, 1);
		lua_pushvalue(L, ARG_MSG);
		lua_pushvalue(L, ARG_SZ);
		lua_pushvalue(L, ARG_SESSION);
		run_thread(d, L, co, 4);
	} else if (t == LUA_TFUNCTION) { /* skynet.timeout's: it gets a thread now */
		push_handler(d, L);
		lua_pushvalue(L, co);
		run_thread(d, L, -2, 1);
	} else if (t != LUA_TSTRING || strcmp(lua_tostring(L, co), "BREAK") != 0) {
		luaL_error(L, "session %d waits on a %s", session, luaL_typename(L, co));
	} /* else a sleep skynet.wakeup broke */
}

/* a request nobody handles yet: kept until the start function has run,
 * else answered with an error and reported */
static void dispatch_unhandled(struct dispatcher *d, lua_State *L, int session) {
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
	if (session != 0)
		send_error(d, (uint32_t)lua_tointeger(L, ARG_SOURCE), session);
	push_unknown_handler(L, "request", "unknown_request");
	push_message_args(L);
	lua_pushvalue(L, ARG_TYPE);
	lua_call(L, 5, 0);
}

/* a trace tag sent ahead of the request (from a traced caller), or the
 * protocol's flag: skynet/rare.lua sets the thread's tag */
static void trace_request(lua_State *L, int p, int co) {
	int traceflag = get_protocol_field(L, p, UV_K_TRACE) != LUA_TNIL;
	if (traceflag || uv_get(L, UV_TRACE_SOURCE, ARG_SOURCE) != LUA_TNIL) {
		push_rare(L, "trace_request");
		lua_pushvalue(L, co);
		get_protocol_field(L, p, UV_K_TRACE);
		lua_pushvalue(L, ARG_SOURCE);
		lua_call(L, 3, 0);
	}
	lua_settop(L, co);
}

/* a request of the protocol at index p (nil if there is none) */
static void dispatch_request(struct dispatcher *d, lua_State *L, lua_Integer prototype, int session,
	int p) {
	if (lua_isnil(L, p) && prototype == PTYPE_TRACE) { /* the tag of the next request from source */
		push_message_string(L);
		uv_set(L, UV_TRACE_SOURCE, ARG_SOURCE);
		d->tracing = 1;
		return;
	}
	if (lua_isnil(L, p) || get_protocol_field(L, p, UV_K_DISPATCH) == LUA_TNIL) {
		dispatch_unhandled(d, L, session);
		return;
	}
	int f = lua_gettop(L);
	push_handler(d, L);
	int co = lua_gettop(L);
	start_request(lua_tothread(L, co), session, (uint32_t)lua_tointeger(L, ARG_SOURCE));
	if (d->tracing)
		trace_request(L, p, co);
	lua_pushvalue(L, f);
	lua_pushvalue(L, ARG_SESSION);
	lua_pushvalue(L, ARG_SOURCE);
	get_protocol_field(L, p, UV_K_UNPACK);
	lua_pushvalue(L, ARG_MSG);
	lua_pushvalue(L, ARG_SZ);
	lua_call(L, 2, LUA_MULTRET);
	run_thread(d, L, co, lua_gettop(L) - co);
}

/* pushes the protocol of the message (nil if there is none) */
static void push_protocol(lua_State *L, lua_Integer prototype) {
	lua_getiuservalue(L, OBJ, UV_PROTO);
	lua_rawgeti(L, -1, prototype);
	lua_remove(L, -2);
}

/* the message at ARG_TYPE..ARG_SOURCE; p is the index of its protocol, or
 * 0 when it was not looked up */
static void raw_dispatch(struct dispatcher *d, lua_State *L, int p) {
	lua_Integer prototype = lua_tointeger(L, ARG_TYPE);
	int session = (int)lua_tointeger(L, ARG_SESSION);
	if (prototype == PTYPE_RESPONSE) {
		dispatch_response(d, L, session);
	} else if (prototype == PTYPE_ERROR) { /* a call failed, or a service it waits on is gone */
		push_rare(L, "dispatch_error");
		lua_pushvalue(L, ARG_SESSION);
		lua_pushvalue(L, ARG_SOURCE);
		lua_call(L, 2, 0);
	} else {
		if (p == 0) {
			push_protocol(L, prototype);
			p = lua_gettop(L);
		}
		dispatch_request(d, L, prototype, session, p);
	}
	lua_settop(L, ARG_SOURCE);
}

/* raw_dispatch_message(type, msg, sz, session, source) */
static int lraw_dispatch_message(lua_State *L) {
	lua_settop(L, ARG_SOURCE);
	raw_dispatch(self(L), L, 0);
	return 0;
}

/* the forks and error answers a dispatch leaves; after a handler raised,
 * the callback's loop runs this again (the pending hook) until it runs
 * through */
static void run_pending(struct dispatcher *d, lua_State *L) {
	int top = lua_gettop(L);
	if (d->fork_head <= d->fork_tail) {
		lua_getiuservalue(L, OBJ, UV_FORKS);
		int forks = lua_gettop(L);
		while (d->fork_head <= d->fork_tail) {
			lua_Integer h = d->fork_head;
			d->fork_head += 2;
			lua_rawgeti(L, forks, h);
			lua_rawgeti(L, forks, h + 1); /* its body */
			lua_pushnil(L);
			lua_rawseti(L, forks, h);
			lua_pushnil(L);
			lua_rawseti(L, forks, h + 1);
			run_thread(d, L, -2, 1);
		}
		d->fork_head = 1;
		d->fork_tail = 0;
	}
	if (d->failed_calls) {
		lua_getiuservalue(L, OBJ, UV_ERRORS);
		while (lua_rawgeti(L, -1, 1) != LUA_TNIL) {
			lua_pop(L, 1);
			push_rare(L, "resume_failed_call");
			lua_call(L, 0, 0);
		}
		d->failed_calls = 0;
	}
	lua_settop(L, top);
}

static int ldispatch_pending(lua_State *L) {
	run_pending(self(L), L);
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
	struct dispatcher *d = self(L);
	lua_settop(L, ARG_SOURCE);
	int p = 0;
	if (lua_tointeger(L, ARG_SESSION) == 0) {
		push_protocol(L, lua_tointeger(L, ARG_TYPE));
		p = lua_gettop(L);
		if (lua_istable(L, p) && get_protocol_field(L, p, UV_K_DIRECT) != LUA_TNIL) {
			lua_pushvalue(L, ARG_MSG);
			lua_pushvalue(L, ARG_SZ);
			lua_call(L, 2, 1);
			if (lua_toboolean(L, -1)) {
				lua_settop(L, ARG_SOURCE);
				run_woken(d, L);
				run_pending(d, L);
				return 0;
			}
		}
		lua_settop(L, p);
	}
	raw_dispatch(d, L, p);
	run_pending(d, L);
	return 0;
}

/* ---- calls, sends, responses ---- */

/* replaces the protocol name at index 2 with its protocol */
static void resolve_protocol(lua_State *L) {
	lua_getiuservalue(L, OBJ, UV_PROTO);
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) == LUA_TNIL)
		caller_error(L, "unknown protocol %s", luaL_tolstring(L, 2, NULL));
	lua_replace(L, 2);
	lua_pop(L, 1);
}

/* stack: dest, protocol, session, values: sends p.pack(values...) with
 * p.id and session to dest; returns the session, or -1 when dest is gone.
 * The id is read before packing: a packed buffer is the send's to free. */
static int send_packed(struct dispatcher *d, lua_State *L, int session) {
	get_protocol_field(L, 2, UV_K_ID);
	lua_Integer type = lua_tointeger(L, -1);
	if (type < 0 || type > 0xff)
		caller_error(L, "%s", "protocol id out of range 0..255");
	lua_pop(L, 1);
	get_protocol_field(L, 2, UV_K_PACK);
	lua_insert(L, 4);
	lua_call(L, lua_gettop(L) - 4, LUA_MULTRET);
	return core_send(L, d->context, 0, 1, (int)type, session, 4);
}

/* a traced thread's call is traced at the callee too */
static void trace_call(struct dispatcher *d, lua_State *L) {
	if (!d->tracing || d->running == NULL)
		return;
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	if (push_tracetag(d, L, -1)) {
		int tag = lua_gettop(L);
		tracelog(L, tag, "call", 2);
		core_send(L, d->context, 0, 1, PTYPE_TRACE, 0, tag);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

/* the running thread waits for the response to the call at index session,
 * to the service at index service; k runs once it is there */
static int wait_response(lua_State *L, int service, int session, lua_KFunction k) {
	int top = lua_gettop(L);
	lua_getiuservalue(L, OBJ, UV_WATCHING);
	lua_pushvalue(L, session);
	lua_pushvalue(L, service);
	lua_rawset(L, -3);
	lua_getiuservalue(L, OBJ, UV_SESSIONS);
	lua_pushvalue(L, session);
	lua_getiuservalue(L, OBJ, UV_RUNNING);
	lua_rawset(L, -3);
	lua_settop(L, top);
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
	get_protocol_field(L, 2, UV_K_UNPACK);
	lua_pushvalue(L, 5);
	lua_pushvalue(L, 6);
	lua_call(L, 2, LUA_MULTRET);
	return lua_gettop(L) - 6;
}

/* skynet.call(addr, typename, ...) */
static int lcall(lua_State *L) {
	struct dispatcher *d = self(L);
	luaL_checkany(L, 1);
	luaL_checkany(L, 2);
	trace_call(d, L);
	resolve_protocol(L);
	int session = new_session(d, L);
	lua_pushinteger(L, session);
	lua_insert(L, 3);
	if (send_packed(d, L, session) < 0)
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
	if (send_packed(self(L), L, 0) < 0)
		return 0;
	lua_pushinteger(L, 0);
	return 1;
}

/* a message that will not be sent: its buffer freed */
static void trash_message(lua_State *L) {
	if (!lua_isnil(L, 2) && lua_type(L, 1) == LUA_TLIGHTUSERDATA)
		skynet_free(lua_touserdata(L, 1));
}

/* skynet.ret(msg, sz): answers the running thread's request */
static int lret(lua_State *L) {
	struct dispatcher *d = self(L);
	lua_settop(L, 2);
	if (lua_isnil(L, 1)) {
		lua_pushliteral(L, "");
		lua_replace(L, 1);
	}
	if (d->tracing && d->running) {
		lua_getiuservalue(L, OBJ, UV_RUNNING);
		trace_event(d, L, 3, "response");
		lua_settop(L, 2);
	}
	struct request *r = d->running ? request_of(d->running) : NULL;
	if (r == NULL || !has_session(r)) {
		trash_message(L);
		return caller_error(L, "%s", "No session to respond to");
	}
	int session = session_of(r);
	r->session = 0;
	if (session == 0) {
		trash_message(L);
		lua_pushboolean(L, 0); /* a send: nobody waits for the answer */
		return 1;
	}
	lua_pushinteger(L, r->source); /* 3 */
	int sent = core_send(L, d->context, 0, 3, PTYPE_RESPONSE, session, 1);
	lua_pushboolean(L, sent >= 0);
	return 1;
}

/* skynet.timeout(ti, func): func runs in a thread of its own after ti
 * centiseconds; 100k pending timeouts cost a closure each, not a thread */
static int ltimeout(lua_State *L) {
	lua_Integer ti = luaL_checkinteger(L, 1);
	struct dispatcher *d = self(L);
	int session = new_session(d, L);
	if (ti > INT_MAX)
		ti = INT_MAX;
	skynet_timeout(skynet_context_handle(d->context), ti < 0 ? 0 : (int)ti, session);
	lua_settop(L, 2);
	uv_seti(L, UV_SESSIONS, session);
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
	*session = new_session_of(d, L, lua_gettop(L));
	lua_pop(L, 1);
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

static void set_closure_uv(lua_State *L, int uv, lua_CFunction f) {
	lua_pushvalue(L, 3);
	lua_pushcclosure(L, f, 1);
	lua_setiuservalue(L, 3, uv);
}

/*
 * dispatcher(I, skynet): makes the service's dispatcher from skynet.lua's
 * internals I (the tables named in shared_names, I.rare) and
 * skynet.tracelog, and puts its functions in I (internals[] below) and in
 * skynet (api[]).  skynet.core's callback, lastsession and trim reach it
 * through the registry.
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
	lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
	struct request *none = request_of(lua_tothread(L, -1));
	if (resumer == NULL || none->session != 0 || none->source != 0)
		return luaL_error(L, "a dispatcher runs in a Lua service (snlua)");
	lua_pop(L, 2);
	struct dispatcher *d = lua_newuserdatauv(L, sizeof(*d), UV_COUNT); /* 3 */
	memset(d, 0, sizeof(*d));
	d->context = lua_touserdata(L, lua_upvalueindex(1));
	d->resumer = *resumer;
	d->wake_head = d->fork_head = 1;
	for (int uv = UV_SESSIONS; uv <= UV_RARE; uv++) {
		if (lua_getfield(L, 1, shared_names[uv - UV_SESSIONS]) == LUA_TNIL)
			return luaL_error(L, "dispatcher: I.%s is missing", shared_names[uv - UV_SESSIONS]);
		lua_setiuservalue(L, 3, uv);
	}
	for (int uv = UV_K_DISPATCH; uv <= UV_K_BREAK; uv++) {
		lua_pushstring(L, key_names[uv - UV_K_DISPATCH]);
		lua_setiuservalue(L, 3, uv);
	}
	lua_getfield(L, 2, "tracelog");
	lua_setiuservalue(L, 3, UV_TRACELOG);
	lua_newtable(L);
	lua_setiuservalue(L, 3, UV_WAKEUPS);
	lua_newtable(L);
	lua_setiuservalue(L, 3, UV_FORKS);

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

	static const luaL_Reg internals[] = {
		{ "new_session", lnew_session },
		{ "co_create", lco_create },
		{ "suspend", lsuspend },
		{ "raw_dispatch_message", lraw_dispatch_message },
		{ "yield_call", lyield_call },
		{ "finish_request", lfinish_request },
		{ "running_thread", lrunning_thread },
		{ "early", learly },
		{ "request", lrequest },
		{ "take_session", ltake_session },
		{ "wakeup", lwakeup },
		{ "fork", lfork },
		{ "clear_forks", lclear_forks },
		{ "calls_failed", lcalls_failed },
		{ "trace_on", ltrace_on },
		{ "error_text", lerror_text },
		{ NULL, NULL },
	};
	static const luaL_Reg api[] = {
		{ "call", lcall },
		{ "send", lsend },
		{ "ret", lret },
		{ "timeout", ltimeout },
		{ "dispatch_message", ldispatch_message },
		{ NULL, NULL },
	};
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 3);
	luaL_setfuncs(L, api, 1); /* closures over the object */
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 3);
	luaL_setfuncs(L, internals, 1);
	return 0;
}
