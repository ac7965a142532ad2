/* skynet.profile: the CPU time a coroutine spends running, leaving out the
 * time it is suspended (waiting for a call's answer, sleeping, ...).
 *
 *   profile.start([co])   starts timing co (default: the running thread)
 *   profile.stop([co])    stops and returns the seconds co ran since start
 *   profile.resume, profile.wrap, profile.yield   coroutine.resume/wrap/yield
 *   profile.resume_co(co, from, ...)  resumes co and counts its running time
 *                          to from's profile too (work done on from's behalf)
 *   profile.yield_co(from, ...)       yields the running coroutine to from
 *
 * snlua calls our hook around every coroutine resume (skynet_resume_hook.h),
 * so a timed coroutine's clock stops whenever it yields back to the
 * dispatcher.  Times come from the worker thread's CPU clock: a coroutine
 * always yields on the worker thread that resumed it.  The main thread is
 * never resumed, so its profile must start and stop within one message. */
#include "skynet_resume_hook.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdlib.h>
#include <time.h>

struct timing {
	lua_State *co;
	double start;  /* CPU clock when co last began to run */
	double total;  /* seconds run before that */
	int running;
};

struct profiler {
	struct skynet_resume_hook *slot;
	struct timing *list;
	int n, cap;
};

#define PROFILER_KEY "skynet.profile.state"

static double cpu_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double since(double start) {
	double d = cpu_now() - start;
	return d > 0 ? d : 0;
}

static int find(struct profiler *p, lua_State *co) {
	for (int i = 0; i < p->n; i++)
		if (p->list[i].co == co)
			return i;
	return -1;
}

static void hook(void *ud, lua_State *co, int running) {
	struct profiler *p = ud;
	int i = find(p, co);
	if (i < 0)
		return;
	struct timing *t = &p->list[i];
	if (running && !t->running) {
		t->start = cpu_now();
		t->running = 1;
	} else if (!running && t->running) {
		t->total += since(t->start);
		t->running = 0;
	}
}

/* the hook costs snlua nothing while nothing is timed */
static void arm(struct profiler *p) {
	p->slot->call = p->n > 0 ? hook : NULL;
	p->slot->ud = p;
}

static void drop(struct profiler *p, int i) {
	p->list[i] = p->list[--p->n];
	arm(p);
}

static struct profiler *get_profiler(lua_State *L) {
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* the thread argument at index 1, or the running thread; left at index 1 */
static lua_State *thread_arg(lua_State *L) {
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		lua_pushthread(L);
		return L;
	}
	lua_settop(L, 1);
	luaL_checktype(L, 1, LUA_TTHREAD);
	return lua_tothread(L, 1);
}

/* upvalue 2 maps light(co) -> co with weak values: an entry whose thread
 * was collected is stale (a new thread may have its address) */
static int is_live(lua_State *L, lua_State *co) {
	lua_rawgetp(L, lua_upvalueindex(2), co);
	int live = lua_type(L, -1) == LUA_TTHREAD && lua_tothread(L, -1) == co;
	lua_pop(L, 1);
	return live;
}

static void remember(lua_State *L, lua_State *co, int idx) {
	lua_pushvalue(L, idx);
	lua_rawsetp(L, lua_upvalueindex(2), co);
}

static void forget(lua_State *L, lua_State *co) {
	lua_pushnil(L);
	lua_rawsetp(L, lua_upvalueindex(2), co);
}

static void prune(lua_State *L, struct profiler *p) {
	for (int i = p->n - 1; i >= 0; i--)
		if (!is_live(L, p->list[i].co))
			drop(p, i);
}

/* running, or in the middle of resuming another coroutine */
static int is_active(lua_State *L, lua_State *co) {
	lua_Debug ar;
	return co == L || (lua_status(co) == LUA_OK && lua_getstack(co, 0, &ar) > 0);
}

static int lstart(lua_State *L) {
	struct profiler *p = get_profiler(L);
	lua_State *co = thread_arg(L);
	prune(L, p);
	if (find(p, co) >= 0)
		return luaL_error(L, "Thread %p start profile more than once", (void *)co);
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 8;
		struct timing *list = realloc(p->list, sizeof(*list) * (size_t)cap);
		if (list == NULL)
			return luaL_error(L, "not enough memory");
		p->list = list;
		p->cap = cap;
	}
	remember(L, co, 1);
	p->list[p->n++] = (struct timing){ co, cpu_now(), 0, is_active(L, co) };
	arm(p);
	return 0;
}

static int lstop(lua_State *L) {
	struct profiler *p = get_profiler(L);
	lua_State *co = thread_arg(L);
	int i = find(p, co);
	if (i < 0 || !is_live(L, co))
		return luaL_error(L, "Call profile.start() before profile.stop()");
	struct timing *t = &p->list[i];
	double total = t->total + (t->running ? since(t->start) : 0);
	drop(p, i);
	forget(L, co);
	lua_pushnumber(L, total);
	return 1;
}

static int lresume_co(lua_State *L) {
	struct profiler *p = get_profiler(L);
	luaL_checktype(L, 1, LUA_TTHREAD);
	luaL_checktype(L, 2, LUA_TTHREAD);
	lua_State *from = lua_tothread(L, 2);
	int i = find(p, from);
	int charged = i >= 0 && !p->list[i].running;
	if (charged)
		hook(p, from, 1);
	lua_remove(L, 2);
	lua_pushvalue(L, lua_upvalueindex(3)); /* coroutine.resume */
	lua_insert(L, 1);
	lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
	if (charged)
		hook(p, from, 0);
	return lua_gettop(L);
}

static int lyield(lua_State *L) {
	return lua_yield(L, lua_gettop(L));
}

static int lyield_co(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTHREAD);
	lua_remove(L, 1);
	return lua_yield(L, lua_gettop(L));
}

static int profiler_gc(lua_State *L) {
	struct profiler *p = lua_touserdata(L, 1);
	p->slot->call = NULL;
	free(p->list);
	p->list = NULL;
	p->n = p->cap = 0;
	return 0;
}

/* one profiler per VM, kept in the registry */
static struct profiler *new_profiler(lua_State *L) {
	if (lua_getfield(L, LUA_REGISTRYINDEX, SKYNET_RESUME_HOOK) != LUA_TLIGHTUSERDATA)
		luaL_error(L, "skynet.profile runs only inside a snlua service");
	struct skynet_resume_hook *slot = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (lua_getfield(L, LUA_REGISTRYINDEX, PROFILER_KEY) == LUA_TUSERDATA)
		return lua_touserdata(L, -1);
	lua_pop(L, 1);
	struct profiler *p = lua_newuserdatauv(L, sizeof(*p), 0);
	*p = (struct profiler){ slot, NULL, 0, 0 };
	lua_newtable(L);
	lua_pushcfunction(L, profiler_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, PROFILER_KEY);
	return p;
}

LUAMOD_API int luaopen_skynet_profile(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "start", lstart },
		{ "stop", lstop },
		{ "resume_co", lresume_co },
		{ "yield", lyield },
		{ "yield_co", lyield_co },
		{ NULL, NULL },
	};
	luaL_newlibtable(L, l);
	new_profiler(L);                 /* upvalue 1 */
	lua_newtable(L);                 /* upvalue 2: light(co) -> co, weak values */
	lua_newtable(L);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_getglobal(L, "coroutine");   /* upvalue 3: snlua's coroutine.resume */
	lua_getfield(L, -1, "resume");
	lua_replace(L, -2);
	luaL_setfuncs(L, l, 3);
	/* resume and wrap are snlua's own: the hook times every resume */
	lua_getglobal(L, "coroutine");
	lua_getfield(L, -1, "resume");
	lua_setfield(L, -3, "resume");
	lua_getfield(L, -1, "wrap");
	lua_setfield(L, -3, "wrap");
	lua_pop(L, 1);
	return 1;
}
