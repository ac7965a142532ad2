/*
 * skynet.sharedata.core: documents of sharestore.h named by shareref ids,
 * and the read-only proxies through which services read them.
 *
 * Host side (the services that own the data):
 *   new(table) -> id      builds a document holding one reference
 *   incref(id), decref(id) -> true, or false for an id that names nothing
 *   getref(id) -> count   size(id) -> bytes, tables
 *   stat() -> { docs, bytes, built, freed }   live documents of the process
 * Reader side:
 *   box(id) -> proxy      a read-only table showing the document (holds a reference)
 *   update(proxy, id)     makes id the proxy's next version (holds a reference)
 *   flush(proxy) -> bool  switches to the next version now, if there is one
 *   current(proxy) -> id  the version the proxy shows
 *   copy(id|proxy, k...) -> a deep copy (as plain tables) of the value at path k...
 *
 * A proxy is an empty Lua table (type() says "table", as skynet's readers
 * expect) whose metatable reads the document.  All proxies of one box show
 * the same version: a box switches to its next version when any of its
 * proxies is next read, so a reader never sees two versions in one read that
 * does not yield.  A proxy of a nested table finds its table again in a new
 * version by its key in its parent's.
 */
#include "sharestore.h"
#include "shareref.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdint.h>

/* the versions of one document a reader holds; freed with its last proxy */
struct box {
	uint64_t current_id;
	struct sd_doc *current;
	uint64_t next_id; /* 0: no newer version waiting */
	struct sd_doc *next;
	uint32_t version; /* counts switches */
};

/* what a proxy shows: table `table` of its box's current document, valid
 * while version == box->version.  User values: 1 box, 2 parent proxy,
 * 3 key in the parent, 4 cache of child proxies (weak values) */
struct proxy {
	struct box *box;
	uint32_t version;
	uint32_t table;
};

enum { UV_BOX = 1, UV_PARENT, UV_KEY, UV_CHILDREN };

/* upvalues of every function: proxy -> state map (weak keys), the proxy
 * metatable, the weak-values metatable of child caches */
#define STATES lua_upvalueindex(1)
#define PROXY_MT lua_upvalueindex(2)
#define WEAK_MT lua_upvalueindex(3)

static uint64_t check_id(lua_State *L, int idx) {
	return (uint64_t)luaL_checkinteger(L, idx);
}

static struct sd_doc *grab(lua_State *L, uint64_t id) {
	struct sd_doc *doc = shareref_grab(id);
	if (doc == NULL)
		luaL_error(L, "sharedata: no object %I", (lua_Integer)id);
	return doc;
}

/* ---- host side ---- */

static void release_doc(void *doc) {
	sd_free(doc);
}

static int lnew(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	struct sd_doc *doc = sd_build(L, 1);
	uint64_t id = shareref_new(doc, release_doc);
	if (id == 0) {
		sd_free(doc);
		return luaL_error(L, "sharedata: not enough memory");
	}
	lua_pushinteger(L, (lua_Integer)id);
	return 1;
}

static int lincref(lua_State *L) {
	lua_pushboolean(L, shareref_grab(check_id(L, 1)) != NULL);
	return 1;
}

static int ldecref(lua_State *L) {
	lua_pushboolean(L, shareref_release(check_id(L, 1)));
	return 1;
}

static int lgetref(lua_State *L) {
	lua_pushinteger(L, shareref_count(check_id(L, 1)));
	return 1;
}

static int lsize(lua_State *L) {
	uint64_t id = check_id(L, 1);
	struct sd_doc *doc = grab(L, id);
	lua_pushinteger(L, (lua_Integer)sd_bytes(doc));
	lua_pushinteger(L, (lua_Integer)sd_tables(doc));
	shareref_release(id);
	return 2;
}

static int lstat(lua_State *L) {
	struct sd_stat st;
	sd_stat(&st);
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, st.docs);
	lua_setfield(L, -2, "docs");
	lua_pushinteger(L, st.bytes);
	lua_setfield(L, -2, "bytes");
	lua_pushinteger(L, st.built);
	lua_setfield(L, -2, "built");
	lua_pushinteger(L, st.freed);
	lua_setfield(L, -2, "freed");
	return 1;
}

/* ---- boxes ---- */

static int box_gc(lua_State *L) {
	struct box *b = lua_touserdata(L, 1);
	if (b->current_id)
		shareref_release(b->current_id);
	if (b->next_id)
		shareref_release(b->next_id);
	*b = (struct box){ 0 };
	return 0;
}

/* the box's next version becomes its current one */
static void box_switch(struct box *b) {
	uint64_t old = b->current_id;
	b->current_id = b->next_id;
	b->current = b->next;
	b->next_id = 0;
	b->next = NULL;
	b->version++;
	shareref_release(old);
}

/* ---- proxies ---- */

/* the state of the proxy at idx, or NULL when idx is no proxy */
static struct proxy *state_of(lua_State *L, int idx) {
	lua_pushvalue(L, idx);
	lua_rawget(L, STATES);
	struct proxy *p = lua_touserdata(L, -1);
	lua_pop(L, 1); /* the state lives as long as the proxy on the stack */
	return p;
}

static struct proxy *check_proxy(lua_State *L, int idx) {
	struct proxy *p = lua_type(L, idx) == LUA_TTABLE ? state_of(L, idx) : NULL;
	if (p == NULL)
		luaL_typeerror(L, idx, "sharedata object");
	return p;
}

/* creates a proxy of table t for box at stack index box (parent and key at
 * the given indices, 0 for the root); leaves it on the stack */
static struct proxy *new_proxy(lua_State *L, int box, int parent, int key, uint32_t t) {
	luaL_checkstack(L, 4, NULL);
	lua_newtable(L);
	lua_pushvalue(L, PROXY_MT);
	lua_setmetatable(L, -2);
	struct proxy *p = lua_newuserdatauv(L, sizeof(*p), 4);
	struct box *b = lua_touserdata(L, box);
	*p = (struct proxy){ .box = b, .version = b->version, .table = t };
	lua_pushvalue(L, box);
	lua_setiuservalue(L, -2, UV_BOX);
	if (parent) {
		lua_pushvalue(L, parent);
		lua_setiuservalue(L, -2, UV_PARENT);
		lua_pushvalue(L, key);
		lua_setiuservalue(L, -2, UV_KEY);
	}
	lua_pushvalue(L, -2);
	lua_insert(L, -2);
	lua_rawset(L, STATES);
	return p;
}

/* pushes the dotted path of the proxy at idx, for error messages */
static void push_path(lua_State *L, int idx) {
	int top = lua_gettop(L);
	int n = 0;
	lua_pushvalue(L, idx);
	for (;;) { /* the stack: keys (outermost first), proxy */
		luaL_checkstack(L, 4, NULL);
		lua_pushvalue(L, -1);
		lua_rawget(L, STATES);
		if (lua_getiuservalue(L, -1, UV_PARENT) == LUA_TNIL)
			break;
		lua_getiuservalue(L, -2, UV_KEY);
		luaL_tolstring(L, -1, NULL);
		lua_remove(L, -2);
		lua_insert(L, top + 1);
		n++;
		lua_replace(L, -3); /* the parent takes the proxy's place */
		lua_pop(L, 1);
	}
	lua_settop(L, top + n);
	luaL_Buffer buf;
	luaL_buffinit(L, &buf);
	for (int i = 1; i <= n; i++) {
		lua_pushvalue(L, top + i);
		luaL_addvalue(&buf);
		if (i < n)
			luaL_addchar(&buf, '.');
	}
	luaL_pushresult(&buf);
	lua_replace(L, top + 1);
	lua_settop(L, top + 1);
}

/* brings the proxy at idx (and the parents it needs) to its box's current
 * version; returns its table number there */
static uint32_t resolve(lua_State *L, int idx) {
	struct proxy *p = check_proxy(L, idx);
	struct box *b = p->box;
	if (b->next_id)
		box_switch(b);
	if (p->version == b->version)
		return p->table;
	int top = lua_gettop(L);
	/* push the stale proxies from idx up to a fresh one (or the root) */
	lua_pushvalue(L, idx);
	for (struct proxy *q = p; q->version != b->version;) {
		lua_pushvalue(L, -1);
		lua_rawget(L, STATES);
		if (lua_getiuservalue(L, -1, UV_PARENT) == LUA_TNIL) { /* the root: table 0 */
			q->version = b->version;
			q->table = 0;
			lua_pop(L, 2);
			break;
		}
		lua_remove(L, -2);
		luaL_checkstack(L, 4, NULL);
		q = state_of(L, -1);
	}
	/* walk back down, finding each table by its key in its parent's */
	for (int i = lua_gettop(L) - 1; i > top; i--) {
		struct proxy *parent = state_of(L, i + 1);
		struct proxy *child = state_of(L, i);
		if (child->version == b->version)
			continue;
		lua_pushvalue(L, i);
		lua_rawget(L, STATES);
		lua_getiuservalue(L, -1, UV_KEY);
		uint32_t t;
		sd_index(L, b->current, parent->table, -1, &t);
		lua_pop(L, 3);
		if (t == UINT32_MAX) {
			push_path(L, i);
			luaL_error(L, "sharedata: the key [%s] doesn't exist after update", lua_tostring(L, -1));
		}
		child->table = t;
		child->version = b->version;
	}
	lua_settop(L, top);
	return p->table;
}

/* pushes proxy[key] (proxy at idx, key at k), a child proxy for a table */
static void index_proxy(lua_State *L, int idx, int k) {
	uint32_t t = resolve(L, idx);
	struct proxy *p = state_of(L, idx);
	uint32_t child;
	sd_index(L, p->box->current, t, k, &child);
	if (child == UINT32_MAX)
		return;
	lua_pop(L, 1);
	luaL_checkstack(L, 6, NULL);
	lua_pushvalue(L, idx);
	lua_rawget(L, STATES);
	int state = lua_gettop(L);
	if (lua_getiuservalue(L, state, UV_CHILDREN) == LUA_TNIL) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, WEAK_MT);
		lua_setmetatable(L, -2);
		lua_pushvalue(L, -1);
		lua_setiuservalue(L, state, UV_CHILDREN);
	}
	int cache = lua_gettop(L);
	lua_pushvalue(L, k);
	if (lua_rawget(L, cache) == LUA_TTABLE) {
		struct proxy *c = state_of(L, -1);
		c->table = child;
		c->version = p->version;
	} else {
		lua_pop(L, 1);
		lua_getiuservalue(L, state, UV_BOX);
		new_proxy(L, lua_gettop(L), idx, k, child);
		lua_remove(L, -2);
		lua_pushvalue(L, k);
		lua_pushvalue(L, -2);
		lua_rawset(L, cache);
	}
	lua_replace(L, state);
	lua_settop(L, state);
}

static int proxy_index(lua_State *L) {
	lua_settop(L, 2);
	index_proxy(L, 1, 2);
	return 1;
}

static int proxy_len(lua_State *L) {
	uint32_t t = resolve(L, 1);
	lua_pushinteger(L, sd_len(state_of(L, 1)->box->current, t));
	return 1;
}

static int proxy_next(lua_State *L) {
	lua_settop(L, 2);
	uint32_t t = resolve(L, 1);
	if (!sd_next(L, state_of(L, 1)->box->current, t, 2))
		return 0;
	index_proxy(L, 1, 3);
	return 2;
}

static int proxy_pairs(lua_State *L) {
	check_proxy(L, 1);
	lua_pushvalue(L, lua_upvalueindex(4));
	lua_pushvalue(L, 1);
	lua_pushnil(L);
	return 3;
}

static int proxy_newindex(lua_State *L) {
	check_proxy(L, 1);
	lua_settop(L, 2);
	push_path(L, 1);
	luaL_tolstring(L, 2, NULL);
	return luaL_error(L, "sharedata: attempt to write [%s%s%s] of a read-only table",
		lua_tostring(L, 3), lua_rawlen(L, 3) ? "." : "", lua_tostring(L, 4));
}

/* ---- reader side ---- */

static int lbox(lua_State *L) {
	uint64_t id = check_id(L, 1);
	struct box *b = lua_newuserdatauv(L, sizeof(*b), 0);
	*b = (struct box){ 0 };
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, box_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	b->current = grab(L, id);
	b->current_id = id;
	new_proxy(L, lua_gettop(L), 0, 0, 0);
	return 1;
}

static int lupdate(lua_State *L) {
	struct box *b = check_proxy(L, 1)->box;
	uint64_t id = check_id(L, 2);
	struct sd_doc *doc = grab(L, id);
	if (b->next_id)
		shareref_release(b->next_id);
	b->next_id = id;
	b->next = doc;
	return 0;
}

static int lflush(lua_State *L) {
	struct box *b = check_proxy(L, 1)->box;
	int waiting = b->next_id != 0;
	if (waiting)
		box_switch(b);
	lua_pushboolean(L, waiting);
	return 1;
}

static int lcurrent(lua_State *L) {
	struct box *b = check_proxy(L, 1)->box;
	lua_pushinteger(L, (lua_Integer)b->current_id);
	return 1;
}

/* pushes the value at the path of keys from index 2 on, starting at table t;
 * a non-table met halfway is the answer, as in skynet */
static void copy_path(lua_State *L, const struct sd_doc *doc, uint32_t t) {
	int top = lua_gettop(L);
	for (int k = 2; k <= top; k++) {
		uint32_t child;
		sd_index(L, doc, t, k, &child);
		if (child == UINT32_MAX)
			return;
		lua_pop(L, 1);
		t = child;
	}
	sd_copy(L, doc, t);
}

/* copy_path in a protected frame: the caller holds a reference to release */
static int copy_frame(lua_State *L) {
	struct sd_doc *doc = lua_touserdata(L, 1);
	lua_remove(L, 1); /* the id: copy_path reads the keys from index 2 */
	copy_path(L, doc, 0);
	return 1;
}

static int lcopy(lua_State *L) {
	if (lua_type(L, 1) == LUA_TTABLE) {
		uint32_t t = resolve(L, 1);
		copy_path(L, state_of(L, 1)->box->current, t);
		return 1;
	}
	uint64_t id = check_id(L, 1);
	struct sd_doc *doc = grab(L, id);
	int n = lua_gettop(L);
	lua_pushcfunction(L, copy_frame);
	lua_pushlightuserdata(L, doc);
	for (int i = 1; i <= n; i++)
		lua_pushvalue(L, i);
	int status = lua_pcall(L, n + 1, 1, 0);
	shareref_release(id);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

LUAMOD_API int luaopen_skynet_sharedata_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg host[] = {
		{ "new", lnew }, { "incref", lincref }, { "decref", ldecref },
		{ "getref", lgetref }, { "size", lsize }, { "stat", lstat },
		{ NULL, NULL },
	};
	luaL_Reg reader[] = {
		{ "box", lbox }, { "update", lupdate }, { "flush", lflush },
		{ "current", lcurrent }, { "copy", lcopy },
		{ NULL, NULL },
	};
	luaL_Reg meta[] = {
		{ "__index", proxy_index }, { "__len", proxy_len }, { "__pairs", proxy_pairs },
		{ "__newindex", proxy_newindex },
		{ NULL, NULL },
	};
	luaL_newlib(L, host);
	int lib = lua_gettop(L);
	lua_newtable(L); /* STATES */
	lua_createtable(L, 0, 1);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_newtable(L); /* PROXY_MT */
	lua_createtable(L, 0, 1); /* WEAK_MT */
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	/* next, for __pairs */
	lua_pushvalue(L, lib + 1);
	lua_pushvalue(L, lib + 2);
	lua_pushvalue(L, lib + 3);
	lua_pushcclosure(L, proxy_next, 3);
	int upvalues = lua_gettop(L) - lib; /* STATES, PROXY_MT, WEAK_MT, next */
	lua_pushvalue(L, lib + 2);
	for (int i = 1; i <= upvalues; i++)
		lua_pushvalue(L, lib + i);
	luaL_setfuncs(L, meta, upvalues);
	lua_pop(L, 1);
	lua_pushvalue(L, lib);
	for (int i = 1; i <= upvalues; i++)
		lua_pushvalue(L, lib + i);
	luaL_setfuncs(L, reader, upvalues);
	lua_settop(L, lib);
	return 1;
}
