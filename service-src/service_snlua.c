/*
 * snlua: a C service hosting one Lua 5.4 VM.  The VM has its own allocator
 * that counts the service's bytes and enforces skynet.memlimit; compiled
 * chunks are shared by all VMs through a code cache (bytecode dumped once,
 * loaded as binary by every later VM); a service stuck in a loop can be
 * interrupted by signal 0 (from the monitor or the debug console).
 */
#include "skynet.h"
#include "spinlock.h"
#include "skynet_resume_hook.h"
#include "skynet_traceback.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MEMORY_WARNING_REPORT (1024 * 1024 * 32)

struct snlua {
	lua_State *L;
	struct skynet_context *ctx;
	struct skynet_memory_counter mem; /* the VM's bytes, for skynet.memory.info */
	size_t mem_report;
	size_t mem_limit;
	struct spinlock active_lock; /* guards activeL against the signal */
	lua_State *activeL;          /* the thread running Lua code right now */
	struct skynet_resume_hook resume_hook; /* skynet.profile's, when it times something */
	struct skynet_resumer resumer;         /* resume_tracked, for the dispatcher */
	int prepared;        /* made ahead by the pool: see prepare_vm */
	unsigned generation; /* of the code cache its prepared chunks came from */
};

/* ---- the code cache: file name -> bytecode, shared by every VM ---- */

struct code_entry {
	struct code_entry *next;
	char *name;
	size_t sz;
	char code[];
};

#define CODE_CACHE_BUCKETS 256

static struct {
	struct spinlock lock;
	struct code_entry *bucket[CODE_CACHE_BUCKETS];
	struct code_entry *retired;
	char library_dir[256]; /* the folder of lualoader: the framework's Lua library */
	atomic_uint generation; /* counts clearcache: what a VM loaded before is stale */
} CC;

/* eight bytes a step: keys of module lookups hold whole search paths */
static unsigned hash_name(const char *name) {
	size_t len = strlen(name);
	uint64_t h = len, w;
	for (; len >= 8; len -= 8, name += 8) {
		memcpy(&w, name, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15u;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, name, len);
	h = (h ^ w) * 0x9e3779b97f4a7c15u;
	h ^= h >> 32;
	return (unsigned)(h % CODE_CACHE_BUCKETS);
}

static struct code_entry *cache_find(const char *name) {
	struct code_entry *e;
	unsigned h = hash_name(name);
	spinlock_lock(&CC.lock);
	for (e = CC.bucket[h]; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	spinlock_unlock(&CC.lock);
	return e; /* entries are only freed by clearcache, between loads */
}

struct dump_buffer {
	char *data;
	size_t sz;
	size_t cap;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud) {
	(void)L;
	struct dump_buffer *b = ud;
	if (b->sz + sz > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->sz + sz)
			cap *= 2;
		b->data = skynet_realloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->sz, p, sz);
	b->sz += sz;
	return 0;
}

/* ---- library chunks without the names of local variables ----
 *
 * Every VM loads its own copy of the framework's library (skynet.lua and
 * friends).  The names of its local variables are a third of the strings a
 * VM interns while loading it and a few KB of its heap, and tracebacks do
 * not need them: they name files, lines, upvalues and fields, which stay.
 * So chunks from the folder of lualoader are cached without them (an error
 * in library code no longer says "(local 'x')", a frame called through a
 * local is shown as "function <file:line>", the debugger sees "(temporary)");
 * services and the application's modules keep them.  The chunk is edited in
 * place, following the layout of Lua 5.4's lua_dump; anything unexpected
 * keeps the chunk whole. */

struct chunk {
	char *data;
	size_t sz;
	size_t r; /* next byte to read */
	size_t w; /* next byte to keep: what is dropped is skipped over */
	int bad;
};

static void take(struct chunk *c, size_t n, int keep) {
	if (c->bad || n > c->sz - c->r) {
		c->bad = 1;
		return;
	}
	if (keep) {
		memmove(c->data + c->w, c->data + c->r, n);
		c->w += n;
	}
	c->r += n;
}

/* a size: 7 bits a byte, most significant first, 0x80 marks the last byte */
static size_t take_size(struct chunk *c, int keep) {
	size_t x = 0, n = 0;
	unsigned char b = 0;
	while (!c->bad && !(b & 0x80)) {
		if (c->r + n >= c->sz || n > sizeof(size_t) * 8 / 7) {
			c->bad = 1;
			return 0;
		}
		b = (unsigned char)c->data[c->r + n++];
		x = (x << 7) | (b & 0x7f);
	}
	take(c, n, keep);
	return x;
}

static void take_string(struct chunk *c, int keep) {
	size_t n = take_size(c, keep); /* length + 1; 0 is no string */
	if (n > 0)
		take(c, n - 1, keep);
}

/* a dropped list is kept as an empty one; it had a size byte at least, so
 * the write position is behind the read position */
static void put_empty_list(struct chunk *c) {
	if (!c->bad)
		c->data[c->w++] = (char)0x80;
}

static size_t take_count(struct chunk *c, size_t item_size) {
	size_t n = take_size(c, 1);
	if (n > c->sz / item_size)
		c->bad = 1;
	return c->bad ? 0 : n;
}

/* deeper than Lua's parser nests functions (its C stack limit is 200) */
#define MAX_FUNCTION_DEPTH 256

static void take_function(struct chunk *c, int depth) {
	if (depth > MAX_FUNCTION_DEPTH) {
		c->bad = 1;
		return;
	}
	take_string(c, 1); /* source */
	take_size(c, 1);   /* first line */
	take_size(c, 1);   /* last line */
	take(c, 3, 1);     /* parameters, vararg, stack size */
	take(c, take_count(c, 4) * 4, 1); /* code */
	size_t n = take_count(c, 1);
	for (size_t i = 0; i < n && !c->bad; i++) {
		unsigned char tag = c->sz > c->r ? (unsigned char)c->data[c->r] : 0xff;
		take(c, 1, 1);
		if (tag == LUA_TNUMBER || tag == (LUA_TNUMBER | 1 << 4))
			take(c, 8, 1); /* integer, float */
		else if (tag == LUA_TSTRING || tag == (LUA_TSTRING | 1 << 4))
			take_string(c, 1);
		else if (tag != LUA_TNIL && tag != LUA_TBOOLEAN && tag != (LUA_TBOOLEAN | 1 << 4))
			c->bad = 1;
	}
	take(c, take_count(c, 3) * 3, 1); /* upvalues */
	n = take_count(c, 1);
	for (size_t i = 0; i < n && !c->bad; i++)
		take_function(c, depth + 1);
	take(c, take_count(c, 1), 1); /* line deltas */
	n = take_count(c, 2);
	for (size_t i = 0; i < n && !c->bad; i++) {
		take_size(c, 1); /* absolute line: pc, line */
		take_size(c, 1);
	}
	n = take_size(c, 0); /* locals: name, first pc, last pc */
	for (size_t i = 0; i < n && !c->bad; i++) {
		take_string(c, 0);
		take_size(c, 0);
		take_size(c, 0);
	}
	put_empty_list(c);
	n = take_count(c, 1); /* upvalue names */
	for (size_t i = 0; i < n && !c->bad; i++)
		take_string(c, 1);
}

/* drops the names of locals from the dump in b; on a layout it does not
 * know, b may be half edited and the answer is 0 */
static int strip_local_names(struct dump_buffer *b) {
#if LUA_VERSION_NUM == 504
	static const char signature[] = "\x1bLua\x54\x00";
	enum { HEADER = 31 }; /* signature, format, check data, type sizes, 2 samples */
	if (b->sz < HEADER + 1 || memcmp(b->data, signature, sizeof(signature) - 1) != 0 ||
		b->data[12] != 4 || b->data[13] != 8 || b->data[14] != 8)
		return 0;
	struct chunk c = { b->data, b->sz, HEADER + 1, HEADER + 1, 0 };
	take_function(&c, 0);
	if (c.bad || c.r != c.sz)
		return 0;
	b->sz = c.w;
	return 1;
#else
	(void)b;
	return 0;
#endif
}

static int in_library(const char *filename) {
	spinlock_lock(&CC.lock);
	size_t n = strlen(CC.library_dir);
	int in = n > 0 && strncmp(filename, CC.library_dir, n) == 0;
	spinlock_unlock(&CC.lock);
	return in;
}

/* the library is the folder of the lualoader, the same for every service */
static void set_library_dir(const char *loader) {
	const char *slash = strrchr(loader, '/');
	size_t n = slash ? (size_t)(slash - loader + 1) : 0;
	spinlock_lock(&CC.lock);
	if (CC.library_dir[0] == '\0' && n < sizeof(CC.library_dir)) {
		memcpy(CC.library_dir, loader, n);
		CC.library_dir[n] = '\0';
	}
	spinlock_unlock(&CC.lock);
}

static void cache_put(const char *name, const char *value, size_t sz);

/* caches the function on top of the stack under name */
static void cache_store(lua_State *L, const char *name) {
	struct dump_buffer b = { NULL, 0, 0 };
	lua_dump(L, dump_writer, &b, 0);
	if (in_library(name) && !strip_local_names(&b)) {
		b.sz = 0; /* half edited: dump it whole again */
		lua_dump(L, dump_writer, &b, 0);
	}
	cache_put(name, b.data, b.sz);
	skynet_free(b.data);
}

#define PREPARED_KEY "skynet_prepared"

/* Pushes the chunk of filename a VM from the pool was made with (see
 * "VMs made ahead" below), once: loading it again would repeat that work. */
static int take_prepared(lua_State *L, const char *filename) {
	if (lua_getfield(L, LUA_REGISTRYINDEX, PREPARED_KEY) != LUA_TTABLE) {
		lua_pop(L, 1);
		return 0;
	}
	if (lua_getfield(L, -1, filename) != LUA_TFUNCTION) {
		lua_pop(L, 2);
		return 0;
	}
	lua_pushnil(L);
	lua_setfield(L, -3, filename);
	lua_remove(L, -2);
	return 1;
}

static void drop_prepared_chunks(lua_State *L) {
	lua_pushnil(L);
	lua_setfield(L, LUA_REGISTRYINDEX, PREPARED_KEY);
}

/* pushes the chunk of filename (or the error), compiled once per node */
static int load_cached(lua_State *L, const char *filename, const char *mode) {
	if (take_prepared(L, filename))
		return LUA_OK;
	struct code_entry *e = cache_find(filename);
	if (e == NULL) {
		int status = luaL_loadfilex(L, filename, mode);
		if (status == LUA_OK)
			cache_store(L, filename);
		return status;
	}
	lua_pushfstring(L, "@%s", filename);
	int status = luaL_loadbufferx(L, e->code, e->sz, lua_tostring(L, -1), "b");
	lua_remove(L, -2);
	return status;
}

/* loadfile(filename [, mode [, env]]) through the cache */
static int cached_loadfile(lua_State *L) {
	const char *filename = luaL_checkstring(L, 1);
	const char *mode = luaL_optstring(L, 2, "bt");
	int env = !lua_isnone(L, 3) ? 3 : 0;
	int status = load_cached(L, filename, mode);
	if (status != LUA_OK) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		return 2;
	}
	if (env) {
		lua_pushvalue(L, env);
		if (!lua_setupvalue(L, -2, 1))
			lua_pop(L, 1);
	}
	return 1;
}

static void cache_put(const char *name, const char *value, size_t sz) {
	size_t len = strlen(name);
	struct code_entry *e = skynet_malloc(sizeof(*e) + sz + len + 1);
	e->sz = sz;
	memcpy(e->code, value, sz);
	e->name = e->code + sz;
	memcpy(e->name, name, len + 1);
	unsigned h = hash_name(name);
	spinlock_lock(&CC.lock);
	struct code_entry *old;
	for (old = CC.bucket[h]; old; old = old->next)
		if (strcmp(old->name, name) == 0)
			break;
	if (old == NULL) {
		e->next = CC.bucket[h];
		CC.bucket[h] = e;
		e = NULL;
	}
	spinlock_unlock(&CC.lock);
	skynet_free(e); /* another VM stored it first */
}

/* Forgets every entry.  Another VM may be loading from an entry right now
 * (cache_find hands out pointers), so entries are retired, not freed: the
 * console's clearcache is rare and a retired entry costs only its bytes. */
static int clear_cache(lua_State *L) {
	(void)L;
	spinlock_lock(&CC.lock);
	for (int i = 0; i < CODE_CACHE_BUCKETS; i++) {
		struct code_entry *e = CC.bucket[i];
		CC.bucket[i] = NULL;
		while (e) {
			struct code_entry *next = e->next;
			e->next = CC.retired;
			CC.retired = e;
			e = next;
		}
	}
	atomic_fetch_add(&CC.generation, 1);
	spinlock_unlock(&CC.lock);
	return 0;
}

/* ---- finding modules and services, with lookups remembered node-wide ---- */

/* Pushes the file package.searchpath finds for name along path, or nil and
 * its error.  Answers are remembered in the code cache (keys start with a
 * control character, so they never clash with file names), so the 10,000th
 * service finds its modules without touching the file system; misses too
 * when remember_miss is set (a module that is not there is looked for once
 * per node, until the console's clearcache). */
static int search_file(lua_State *L, const char *name, const char *path, const char *sep,
	int remember_miss) {
	/* the key "\1name\2path\2sep", built without making a Lua string of it */
	luaL_Buffer key;
	luaL_buffinit(L, &key);
	int key_slot = lua_gettop(L);
	luaL_addchar(&key, '\1');
	luaL_addstring(&key, name);
	luaL_addchar(&key, '\2');
	luaL_addstring(&key, path);
	luaL_addchar(&key, '\2');
	luaL_addstring(&key, sep);
	luaL_addchar(&key, '\0');
	const char *k = luaL_buffaddr(&key);
	struct code_entry *e = cache_find(k);
	int found = 0;
	if (e && e->sz > 0 && e->code[0] == '\0') {
		lua_pushnil(L);
		lua_pushlstring(L, e->code + 1, e->sz - 1);
	} else if (e) {
		lua_pushlstring(L, e->code, e->sz);
		found = 1;
	} else {
		lua_getfield(L, lua_upvalueindex(1), "searchpath");
		lua_pushstring(L, name);
		lua_pushstring(L, path);
		lua_pushstring(L, sep);
		lua_call(L, 3, 2);
		size_t sz;
		const char *file = lua_tolstring(L, -2, &sz);
		if (file) {
			cache_put(k, file, sz);
			lua_pop(L, 1);
			found = 1;
		} else if (remember_miss) {
			lua_pushlstring(L, "", 1); /* a miss: a NUL, then the error */
			lua_pushvalue(L, -2);
			lua_concat(L, 2);
			const char *miss = lua_tolstring(L, -1, &sz);
			cache_put(k, miss, sz);
			lua_pop(L, 1);
		}
	}
	lua_remove(L, key_slot);
	return found;
}

/* searches the path in package[field] (upvalue 1 is package) */
static int search_module(lua_State *L, const char *name, const char *field) {
	lua_getfield(L, lua_upvalueindex(1), field);
	const char *path = lua_tostring(L, -1);
	if (path == NULL)
		return luaL_error(L, "'package.%s' must be a string", field);
	int found = search_file(L, name, path, ".", 1);
	lua_remove(L, found ? -2 : -3);
	return found;
}

/* searchpath(name, path) -> filename | nil, error: finds a service file,
 * not remembering misses (a service added later is found) */
static int lsearchpath(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	const char *path = luaL_checkstring(L, 2);
	return search_file(L, name, path, "", 0) ? 1 : 2;
}

static int loading_error(lua_State *L, const char *name, const char *filename) {
	return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, filename,
		lua_tostring(L, -1));
}

/* package.searchers[2]: Lua files along package.path, compiled once per node */
static int lua_searcher(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	if (!search_module(L, name, "path"))
		return 1; /* the error text */
	const char *filename = lua_tostring(L, -1);
	if (load_cached(L, filename, "bt") != LUA_OK)
		return loading_error(L, name, filename);
	lua_insert(L, -2);
	return 2;
}

/* Pushes the luaopen_ function for name from the C library filename, or
 * returns 0 with the error of loadlib on top.  A library without that
 * function gives an error text instead.  A prefix up to a '-' is not part
 * of the function's name ("v2-a.b" opens luaopen_a_b). */
static int open_c_module(lua_State *L, const char *name, const char *filename) {
	const char *hyphen = strchr(name, '-');
	lua_getfield(L, lua_upvalueindex(1), "loadlib");
	lua_pushstring(L, filename);
	lua_pushliteral(L, "luaopen_");
	luaL_gsub(L, hyphen ? hyphen + 1 : name, ".", "_");
	lua_concat(L, 2);
	lua_call(L, 2, 2); /* f, nil or nil, error */
	if (!lua_isnil(L, -2)) {
		lua_pop(L, 1);
		return 1;
	}
	const char *err = lua_tostring(L, -1);
	if (err && strstr(err, "undefined symbol")) {
		lua_pop(L, 2);
		lua_pushfstring(L, "no module '%s' in file '%s'", name, filename);
		return 1;
	}
	lua_remove(L, -2);
	return 0;
}

static int c_module(lua_State *L, const char *name, const char *libname) {
	if (!search_module(L, libname, "cpath"))
		return 1;
	const char *filename = lua_tostring(L, -1);
	if (!open_c_module(L, name, filename))
		return loading_error(L, name, filename);
	if (!lua_isfunction(L, -1))
		return 1; /* the error text */
	lua_insert(L, -2);
	return 2;
}

/* package.searchers[3]: C libraries along package.cpath */
static int c_searcher(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	return c_module(L, name, name);
}

/* package.searchers[4]: "a.b.c" from the library of "a" (all of skynet's C
 * modules live in luaclib/skynet.so) */
static int croot_searcher(lua_State *L) {
	const char *name = luaL_checkstring(L, 1);
	const char *dot = strchr(name, '.');
	if (dot == NULL)
		return 0;
	lua_pushlstring(L, name, dot - name);
	return c_module(L, name, lua_tostring(L, -1));
}

/* the last searcher: a module skynet has and this framework lacks says so
 * by name (skynet/missing.lua, required only then) */
static int missing_searcher(lua_State *L) {
	luaL_checkstring(L, 1);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "skynet.missing");
	lua_call(L, 1, 1);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);
	return 1;
}

static void install_searchers(lua_State *L) {
	static const lua_CFunction searchers[] = { lua_searcher, c_searcher, croot_searcher };
	lua_getglobal(L, LUA_LOADLIBNAME);
	lua_getfield(L, -1, "searchers");
	for (int i = 0; i < 3; i++) {
		lua_pushvalue(L, -2);
		lua_pushcclosure(L, searchers[i], 1);
		lua_rawseti(L, -2, i + 2);
	}
	lua_pushcfunction(L, missing_searcher);
	lua_rawseti(L, -2, 5);
	lua_pop(L, 1);
	lua_pushcclosure(L, lsearchpath, 1);
	lua_setfield(L, LUA_REGISTRYINDEX, "skynet_searchpath");
}

/* ---- coroutine tracking, so that a signal reaches the running thread ---- */

static struct snlua *get_snlua(lua_State *L) {
	return lua_touserdata(L, lua_upvalueindex(1));
}

static void set_active(struct snlua *l, lua_State *L) {
	spinlock_lock(&l->active_lock);
	l->activeL = L;
	spinlock_unlock(&l->active_lock);
}

/* resumes co with narg values from L; the results or the error end up on
 * L; returns their count, or -1 on error */
static int resume_tracked(struct snlua *l, lua_State *L, lua_State *co, int narg) {
	int status = lua_status(co);
	if (status == LUA_OK && lua_gettop(co) == 0) {
		lua_pushliteral(L, "cannot resume dead coroutine");
		return -1;
	}
	if (status != LUA_OK && status != LUA_YIELD) {
		lua_pushliteral(L, "cannot resume dead coroutine");
		return -1;
	}
	if (!lua_checkstack(co, narg)) {
		lua_pushliteral(L, "too many arguments to resume");
		return -1;
	}
	lua_xmove(L, co, narg);
	int nres;
	set_active(l, co);
	if (l->resume_hook.call)
		l->resume_hook.call(l->resume_hook.ud, co, 1);
	status = lua_resume(co, L, narg, &nres);
	if (l->resume_hook.call)
		l->resume_hook.call(l->resume_hook.ud, co, 0);
	set_active(l, L);
	if (status == LUA_OK || status == LUA_YIELD) {
		if (!lua_checkstack(L, nres + 1)) {
			lua_pop(co, nres);
			lua_pushliteral(L, "too many results to resume");
			return -1;
		}
		lua_xmove(co, L, nres);
		return nres;
	}
	/*
	 * Out of memory (skynet.memlimit): the dead thread's stack may hold
	 * what filled the memory, and until it lets go the caller cannot even
	 * allocate a call frame to report the error.  Release it now, before
	 * anything else runs (its traceback is lost: it could not be built).
	 */
	if (status == LUA_ERRMEM)
		lua_resetthread(co);
	lua_xmove(co, L, 1);
	return -1;
}

static int resume_for_dispatcher(void *ud, lua_State *L, lua_State *co, int narg) {
	return resume_tracked(ud, L, co, narg);
}

static int lresume(lua_State *L) {
	lua_State *co = lua_tothread(L, 1);
	luaL_argexpected(L, co, 1, "coroutine");
	int r = resume_tracked(get_snlua(L), L, co, lua_gettop(L) - 1);
	if (r < 0) {
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, -(r + 1));
	return r + 1;
}

static int auxwrap(lua_State *L) {
	lua_State *co = lua_tothread(L, lua_upvalueindex(2));
	int r = resume_tracked(lua_touserdata(L, lua_upvalueindex(1)), L, co, lua_gettop(L));
	if (r < 0) {
		int stat = lua_status(co);
		if (stat != LUA_OK && stat != LUA_YIELD) {
#if LUA_VERSION_RELEASE_NUM >= 50406
			lua_closethread(co, L);
#else
			lua_resetthread(co);
#endif
			lua_xmove(co, L, 1);
		}
		if (lua_type(L, -1) == LUA_TSTRING) {
			luaL_where(L, 1);
			lua_insert(L, -2);
			lua_concat(L, 2);
		}
		return lua_error(L);
	}
	return r;
}

static int lwrap(lua_State *L) {
	luaL_checktype(L, 1, LUA_TFUNCTION);
	lua_State *co = lua_newthread(L);
	lua_pushvalue(L, 1);
	lua_xmove(L, co, 1);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, -2);
	lua_pushcclosure(L, auxwrap, 2);
	return 1;
}

static void install_coroutine_tracking(struct snlua *l, lua_State *L) {
	lua_getglobal(L, "coroutine");
	lua_pushlightuserdata(L, l);
	lua_pushcclosure(L, lresume, 1);
	lua_setfield(L, -2, "resume");
	lua_pushlightuserdata(L, l);
	lua_pushcclosure(L, lwrap, 1);
	lua_setfield(L, -2, "wrap");
	lua_pop(L, 1);
}

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
	(void)ar;
	lua_sethook(L, NULL, 0, 0);
	luaL_error(L, "interrupted: the service was stuck in one message (endless loop?)");
}

/* ---- standard libraries ---- */

static const luaL_Reg eager_libs[] = {
	{ LUA_GNAME, luaopen_base },
	{ LUA_LOADLIBNAME, luaopen_package },
	{ LUA_COLIBNAME, luaopen_coroutine },
	{ LUA_TABLIBNAME, luaopen_table },
	{ LUA_STRLIBNAME, luaopen_string },
	{ NULL, NULL },
};

/* opened on first use: together they are ~10 KB of every VM's heap, and
 * many services never touch them (skynet.lua opens debug only for the
 * traceback of an error) */
static const luaL_Reg lazy_libs[] = {
	{ LUA_DBLIBNAME, luaopen_debug },
	{ LUA_IOLIBNAME, luaopen_io },
	{ LUA_OSLIBNAME, luaopen_os },
	{ LUA_MATHLIBNAME, luaopen_math },
	{ LUA_UTF8LIBNAME, luaopen_utf8 },
	{ NULL, NULL },
};

/*
 * The config's paths for the loader: LUA_PATH, LUA_CPATH, LUA_SERVICE and
 * LUA_PRELOAD read as globals while it runs, but they live in this
 * registry table, which goes once it has returned (skynet's loader sets
 * them to nil; here they are nil after it, set or not).  As keys of _G they
 * pushed it past 32 keys, and Lua never shrinks a table: 768 bytes in every
 * service.
 */
static const char LOADER_GLOBALS_KEY = 0;

/* _G's __index(t, name): a loader global, or the lazy library name opened
 * as a global */
static int open_lazy_lib(lua_State *L) {
	if (lua_type(L, 2) != LUA_TSTRING)
		return 0;
	if (lua_rawgetp(L, LUA_REGISTRYINDEX, &LOADER_GLOBALS_KEY) == LUA_TTABLE) {
		lua_pushvalue(L, 2);
		if (lua_rawget(L, -2) != LUA_TNIL)
			return 1;
	}
	const char *name = lua_tostring(L, 2);
	for (const luaL_Reg *lib = lazy_libs; lib->name; lib++) {
		if (strcmp(lib->name, name) == 0) {
			luaL_requiref(L, lib->name, lib->func, 1);
			return 1;
		}
	}
	return 0;
}

/* The lazy libraries are globals that appear on first read (through
 * _G's metatable) and modules that require finds (package.preload). */
static void open_libs(lua_State *L) {
	for (const luaL_Reg *lib = eager_libs; lib->func; lib++) {
		luaL_requiref(L, lib->name, lib->func, 1);
		lua_pop(L, 1);
	}
	luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
	for (const luaL_Reg *lib = lazy_libs; lib->func; lib++) {
		lua_pushcfunction(L, lib->func);
		lua_setfield(L, -2, lib->name);
	}
	lua_pop(L, 1);
	lua_pushglobaltable(L);
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, open_lazy_lib);
	lua_setfield(L, -2, "__index");
	lua_setmetatable(L, -2);
	lua_pop(L, 1);
}

/* ---- launching ---- */

/* a config value (the environment is the node's, no service needed) */
static const char *optstring(const char *key, const char *str) {
	const char *ret = skynet_command(NULL, "GETENV", key);
	return ret ? ret : str;
}

static void set_path_globals(lua_State *L) {
	lua_createtable(L, 0, 4);
	lua_pushstring(L, optstring("lua_path", "./lualib/?.lua;./lualib/?/init.lua"));
	lua_setfield(L, -2, "LUA_PATH");
	lua_pushstring(L, optstring("lua_cpath", "./luaclib/?.so"));
	lua_setfield(L, -2, "LUA_CPATH");
	lua_pushstring(L, optstring("luaservice", "./service/?.lua"));
	lua_setfield(L, -2, "LUA_SERVICE");
	lua_pushstring(L, optstring("preload", NULL));
	lua_setfield(L, -2, "LUA_PRELOAD");
	lua_rawsetp(L, LUA_REGISTRYINDEX, &LOADER_GLOBALS_KEY);
}

static const char *loader_file(void) {
	return optstring("lualoader", "./lualib/loader.lua");
}

/* What every Lua VM gets before it knows its service: the libraries,
 * snlua's searchers and loadfile, the config's paths. */
static void prepare_vm(struct snlua *l) {
	lua_State *L = l->L;
	lua_gc(L, LUA_GCSTOP, 0);
	lua_pushboolean(L, 1); /* tell libraries to ignore the environment */
	lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
	open_libs(L);
	install_coroutine_tracking(l, L);
	lua_pushlightuserdata(L, &l->resume_hook);
	lua_setfield(L, LUA_REGISTRYINDEX, SKYNET_RESUME_HOOK);
	l->resumer.resume = resume_for_dispatcher;
	l->resumer.ud = l;
	lua_pushlightuserdata(L, &l->resumer);
	lua_setfield(L, LUA_REGISTRYINDEX, SKYNET_RESUMER);
	lua_pushcfunction(L, cached_loadfile);
	lua_setglobal(L, "loadfile");
	lua_pushcfunction(L, clear_cache);
	lua_setfield(L, LUA_REGISTRYINDEX, "skynet_codecache_clear");
	install_searchers(L);
	set_path_globals(L);
	set_library_dir(loader_file());
}

static int init_cb(struct snlua *l, struct skynet_context *ctx, const char *args, size_t sz) {
	lua_State *L = l->L;
	l->ctx = ctx;
	skynet_memory_register(&l->mem, skynet_current_handle());
	if (!l->prepared)
		prepare_vm(l);
	else if (l->generation != atomic_load(&CC.generation))
		drop_prepared_chunks(L); /* the console cleared the code cache since */
	lua_pushlightuserdata(L, ctx);
	lua_setfield(L, LUA_REGISTRYINDEX, "skynet_context");

	/* The loader runs on a thread of its own, left to the collector after:
	 * loading nests calls (each require), and the main thread would keep
	 * the call records that grew for good (the collector shrinks them
	 * only on threads it traverses, and the main thread is old). */
	lua_State *T = lua_newthread(L);
	lua_pushcfunction(T, skynet_traceback);
	const char *loader = loader_file();
	lua_pushcfunction(T, cached_loadfile);
	lua_pushstring(T, loader);
	if (lua_pcall(T, 1, 2, 0) != LUA_OK || lua_isnil(T, -2)) {
		skynet_error(ctx, "error: cannot load the Lua loader %s: %s", loader, lua_tostring(T, -1));
		return 1;
	}
	lua_pop(T, 1);
	lua_pushlstring(T, args, sz);
	lua_getfield(T, LUA_REGISTRYINDEX, "skynet_searchpath");
	set_active(l, T); /* where an endless main chunk is interrupted */
	int loaded = lua_pcall(T, 2, 0, 1);
	set_active(l, L);
	lua_pushnil(L);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &LOADER_GLOBALS_KEY);
	if (loaded != LUA_OK) {
		skynet_error(ctx, "error: lua loader error: %s", lua_tostring(T, -1));
		return 1;
	}
	lua_settop(L, 0);
	drop_prepared_chunks(L); /* a module the service did not load */
	if (lua_getfield(L, LUA_REGISTRYINDEX, "memlimit") == LUA_TNUMBER) {
		size_t limit = (size_t)lua_tointeger(L, -1);
		l->mem_limit = limit;
		skynet_error(ctx, "Set memory limit to %.2f M", (float)limit / (1024 * 1024));
		lua_pushnil(L);
		lua_setfield(L, LUA_REGISTRYINDEX, "memlimit");
	}
	lua_pop(L, 1);
	/* the main thread runs nothing from now on: its stack goes down to
	 * 26 slots (messages run on threads of their own) */
	lua_resetthread(L);
	lua_gc(L, LUA_GCRESTART, 0);
	return 0;
}

static int launch_cb(struct skynet_context *ctx, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz) {
	(void)type;
	(void)session;
	(void)source;
	struct snlua *l = ud;
	skynet_callback(ctx, NULL, NULL);
	if (init_cb(l, ctx, msg, sz))
		skynet_command(ctx, "EXIT", "error");
	return 0;
}

int snlua_init(struct snlua *l, struct skynet_context *ctx, const char *args) {
	size_t sz = args ? strlen(args) : 0;
	char *tmp = skynet_malloc(sz + 1);
	memcpy(tmp, args ? args : "", sz + 1);
	skynet_callback(ctx, l, launch_cb);
	const char *self = skynet_command(ctx, "REG", NULL);
	uint32_t handle_id = skynet_queryname(ctx, self);
	/* the first message to itself runs the service, on a worker thread */
	skynet_send(ctx, 0, handle_id, PTYPE_TAG_DONTCOPY, 0, tmp, sz);
	return 0;
}

static void *lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	struct snlua *l = ud;
	size_t old = atomic_load_explicit(&l->mem.bytes, memory_order_relaxed);
	if (ptr == NULL)
		osize = 0; /* osize is a type tag for new blocks */
	if (nsize == 0) {
		atomic_store_explicit(&l->mem.bytes, old - osize, memory_order_relaxed);
		if (ptr)
			skynet_free_sized(ptr, osize);
		return NULL;
	}
	size_t mem = old + nsize - osize;
	if (l->mem_limit != 0 && mem > l->mem_limit && nsize > osize)
		return NULL;
	void *p = ptr ? skynet_realloc(ptr, nsize) : skynet_malloc(nsize);
	if (p == NULL)
		return NULL;
	atomic_store_explicit(&l->mem.bytes, mem, memory_order_relaxed);
	if (mem > l->mem_report) {
		l->mem_report *= 2;
		skynet_error(l->ctx, "Memory warning %.2f M", (float)mem / (1024 * 1024));
	}
	return p;
}

static struct snlua *new_vm(void) {
	struct snlua *l = skynet_malloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	l->mem_report = MEMORY_WARNING_REPORT;
	l->mem_limit = 0;
	spinlock_init(&l->active_lock);
	l->L = lua_newstate(lalloc, l);
	if (l->L == NULL) {
		skynet_free(l);
		return NULL;
	}
	/* every thread starts with a copy of this: the dispatcher keeps the
	 * request a handler thread serves there, and zero is "none" */
	memset(lua_getextraspace(l->L), 0, LUA_EXTRASPACE);
	/* generational mode while the heap is empty, where switching is free;
	 * the first step after loading (init stops the collector) is then one
	 * full pass, which also frees what loading left behind */
	lua_gc(l->L, LUA_GCGEN, 0, 0);
	l->activeL = l->L;
	return l;
}

/* ---- VMs made ahead ----
 *
 * A spawn waits for its VM to be made: the libraries opened, then the
 * chunks every service loads (the loader and skynet.lua) read
 * from the code cache.  A filler thread keeps POOL_SIZE VMs made that far
 * ahead, and a new service takes one: spawning in turn (a game server's
 * logins) then costs only running the chunks, while another CPU makes the
 * next VM.  The filler does work a spawn would do anyway, so it runs at the
 * workers' priority, but under SCHED_BATCH: its wakeups never preempt a
 * worker (under SCHED_IDLE it starved whenever another process kept the
 * second CPU busy: 2.5-3.8k spawns/s against 3.4-4.9k).  Nothing a service
 * could see happens ahead: the chunks are loaded, not run, and the VM has
 * no service until it is taken.  When the pool is empty (the CPUs are
 * busy), the service makes its VM itself.  Only the filler puts VMs in a
 * slot and takers only empty them, so a slot is one atomic pointer and no
 * worker ever waits on a lock the filler holds.
 */
#define POOL_SIZE 4
#define POOL_IDLE_SECONDS 1
/* Lua services started before the pool is worth its memory: a node that
 * only boots its few services (an idle node) never makes one (the pool's
 * VMs, even given back, leave ~0.2 MB of RSS behind) */
#define POOL_AFTER 16

static struct {
	_Atomic(struct snlua *) ready[POOL_SIZE];
	sem_t taken; /* posted for each VM taken: the filler makes another */
	atomic_int stopping;
	int running;
	pthread_t filler;
} POOL;

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* loads filename into the table at index t; an error is the service's to meet */
static void prepare_chunk(lua_State *L, int t, const char *filename) {
	if (load_cached(L, filename, "bt") == LUA_OK)
		lua_setfield(L, t, filename);
	else
		lua_pop(L, 1);
}

/* registry.skynet_prepared = { [filename] = chunk } for the loader and
 * skynet.lua, as the config's lua_path finds it (it comes first in
 * package.path); upvalue 1 is package */
static int prepare_chunks(lua_State *L) {
	lua_newtable(L);
	int t = lua_gettop(L);
	prepare_chunk(L, t, loader_file());
	lua_getglobal(L, "LUA_PATH");
	const char *path = lua_tostring(L, -1);
	if (path && search_file(L, "skynet", path, ".", 1))
		prepare_chunk(L, t, lua_tostring(L, -1));
	lua_settop(L, t);
	lua_setfield(L, LUA_REGISTRYINDEX, PREPARED_KEY);
	return 0;
}

static struct snlua *make_vm_ahead(void) {
	struct snlua *l = new_vm();
	if (l == NULL)
		return NULL;
	prepare_vm(l);
	l->generation = atomic_load(&CC.generation);
	lua_State *L = l->L;
	lua_getglobal(L, LUA_LOADLIBNAME);
	lua_pushcclosure(L, prepare_chunks, 1);
	if (lua_pcall(L, 0, 0, 0) != LUA_OK)
		lua_pop(L, 1);
	l->prepared = 1;
	return l;
}

/* waits until a VM is taken (or the node stops); false after
 * POOL_IDLE_SECONDS without one */
static int wait_for_take(int timed) {
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += POOL_IDLE_SECONDS;
	for (;;) {
		int r = timed ? sem_timedwait(&POOL.taken, &until) : sem_wait(&POOL.taken);
		if (r == 0)
			return 1;
		if (errno != EINTR)
			return 0;
	}
}

static void close_vm(struct snlua *l) {
	lua_close(l->L);
	skynet_free(l);
}

static void empty_pool(void) {
	for (int i = 0; i < POOL_SIZE; i++) {
		struct snlua *l = atomic_exchange(&POOL.ready[i], NULL);
		if (l)
			close_vm(l);
	}
}

/* Keeps the slots full while services are being spawned; once none has
 * been for a while, gives the VMs back (an idle node keeps no pool). */
static void *fill_pool(void *arg) {
	(void)arg;
	pthread_setname_np(pthread_self(), "snlua pool");
	struct sched_param param = { .sched_priority = 0 };
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
	while (!atomic_load(&POOL.stopping)) {
		for (int i = 0; i < POOL_SIZE && !atomic_load(&POOL.stopping); i++)
			if (atomic_load(&POOL.ready[i]) == NULL)
				atomic_store(&POOL.ready[i], make_vm_ahead());
		skynet_malloc_flush_thread();
		if (wait_for_take(1))
			continue;
		empty_pool();
		skynet_malloc_flush_thread();
		wait_for_take(0);
	}
	return NULL;
}

static void stop_pool(void);

static void start_pool(void) {
	sem_init(&POOL.taken, 0, 0);
	if (!skynet_atexit(stop_pool))
		return; /* it could not be stopped at shutdown: no pool */
	POOL.running = pthread_create(&POOL.filler, NULL, fill_pool, NULL) == 0;
}

/* the node is shutting down (no worker runs): stop the filler before the
 * environment and the code cache it reads go away */
static void stop_pool(void) {
	if (!POOL.running)
		return;
	atomic_store(&POOL.stopping, 1);
	sem_post(&POOL.taken);
	pthread_join(POOL.filler, NULL);
	empty_pool();
	sem_destroy(&POOL.taken);
	POOL.running = 0;
}

static struct snlua *take_from_pool(void) {
	static atomic_int created;
	if (atomic_load_explicit(&created, memory_order_relaxed) < POOL_AFTER) {
		atomic_fetch_add_explicit(&created, 1, memory_order_relaxed);
		return NULL;
	}
	pthread_once(&pool_once, start_pool);
	for (int i = 0; POOL.running && i < POOL_SIZE; i++) {
		struct snlua *l = atomic_exchange(&POOL.ready[i], NULL);
		if (l) {
			sem_post(&POOL.taken);
			return l;
		}
	}
	return NULL;
}

struct snlua *snlua_create(void) {
	struct snlua *l = take_from_pool();
	return l ? l : new_vm();
}

void snlua_release(struct snlua *l) {
	if (l->mem.handle)
		skynet_memory_unregister(&l->mem);
	close_vm(l);
}

void snlua_signal(struct snlua *l, int signal) {
	if (signal == 0) {
		spinlock_lock(&l->active_lock);
		if (l->activeL)
			lua_sethook(l->activeL, interrupt_hook, LUA_MASKCOUNT, 1);
		spinlock_unlock(&l->active_lock);
	} else if (signal == 1) {
		skynet_error(l->ctx, "Current Memory %.3fK", (float)atomic_load(&l->mem.bytes) / 1024);
	}
}
