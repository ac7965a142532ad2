/*
 * The immutable value tree of sharestore.h.
 *
 * A document is four arrays addressed by index, never by pointer: tables,
 * values (the array parts, one after another), nodes (the hash parts, open
 * addressing with linear probing, at most 3/4 full) and one string pool.
 * Building walks the source tables breadth first, so deep nesting costs no C
 * stack; a scratch map from each Lua table to its number keeps shared tables
 * shared and lets cycles close.
 */
#include "sharestore.h"

#include "skynet_malloc.h"

#include <lauxlib.h>

#include <stdatomic.h>
#include <string.h>

enum { SD_NIL, SD_FALSE, SD_TRUE, SD_INT, SD_FLOAT, SD_STRING, SD_TABLE };

struct sd_value {
	uint8_t type;
	uint32_t len; /* of a string */
	union {
		lua_Integer i;
		lua_Number n;
		size_t str; /* offset in the string pool */
		uint32_t table;
	} u;
};

struct sd_node {
	struct sd_value key;
	struct sd_value val;
};

struct sd_table {
	uint32_t asize;      /* array part: keys 1..asize */
	uint32_t hsize;      /* hash part: 0 or a power of 2 slots */
	size_t first_value;
	size_t first_node;
};

struct sd_doc {
	struct sd_table *tables;
	struct sd_value *values;
	struct sd_node *nodes;
	char *strings;
	uint32_t ntables;
	size_t nvalues, nnodes, nstrings;
	size_t bytes;
};

static struct {
	atomic_llong docs, bytes, built, freed;
} counters;

/* ---- keys ---- */

/* a key as looked up: from a Lua value or from a stored node */
struct key {
	uint8_t type;
	const char *s;
	size_t len;
	lua_Integer i;
	lua_Number n;
};

static uint64_t mix64(uint64_t x) {
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x;
}

static uint64_t hash_key(const struct key *k) {
	switch (k->type) {
	case SD_STRING: {
		uint64_t h = 1469598103934665603ULL ^ k->len;
		for (size_t i = 0; i < k->len; i++)
			h = (h ^ (unsigned char)k->s[i]) * 1099511628211ULL;
		return mix64(h);
	}
	case SD_INT:
		return mix64((uint64_t)k->i);
	case SD_FLOAT: {
		uint64_t bits;
		memcpy(&bits, &k->n, sizeof(bits));
		return mix64(bits ^ 0x5bd1e995u);
	}
	default:
		return mix64(k->type);
	}
}

/* reads the key at stack index idx; returns 0 for a type no table holds */
static int key_from_lua(lua_State *L, int idx, struct key *k) {
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		k->type = SD_STRING;
		k->s = lua_tolstring(L, idx, &k->len);
		return 1;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			k->type = SD_INT;
			k->i = lua_tointeger(L, idx);
			return 1;
		}
		k->n = lua_tonumber(L, idx);
		/* Lua stores 2.0 as the key 2; a metamethod sees the float as given */
		if (lua_numbertointeger(k->n, &k->i) && (lua_Number)k->i == k->n) {
			k->type = SD_INT;
			return 1;
		}
		k->type = SD_FLOAT;
		return k->n == k->n; /* NaN is never a key */
	case LUA_TBOOLEAN:
		k->type = lua_toboolean(L, idx) ? SD_TRUE : SD_FALSE;
		return 1;
	default:
		return 0;
	}
}

static struct key key_of_node(const struct sd_doc *doc, const struct sd_value *v) {
	struct key k = { .type = v->type };
	if (v->type == SD_STRING) {
		k.s = doc->strings + v->u.str;
		k.len = v->len;
	} else if (v->type == SD_INT) {
		k.i = v->u.i;
	} else if (v->type == SD_FLOAT) {
		k.n = v->u.n;
	}
	return k;
}

static int key_equal(const struct key *a, const struct key *b) {
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case SD_STRING:
		return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
	case SD_INT:
		return a->i == b->i;
	case SD_FLOAT:
		return a->n == b->n;
	default:
		return 1;
	}
}

/* the node holding key k in table t, or NULL */
static const struct sd_node *find_node(const struct sd_doc *doc, const struct sd_table *t,
		const struct key *k) {
	if (t->hsize == 0)
		return NULL;
	uint32_t mask = t->hsize - 1;
	const struct sd_node *nodes = doc->nodes + t->first_node;
	for (uint32_t i = (uint32_t)hash_key(k) & mask;; i = (i + 1) & mask) {
		const struct sd_node *n = &nodes[i];
		if (n->key.type == SD_NIL)
			return NULL;
		struct key nk = key_of_node(doc, &n->key);
		if (key_equal(k, &nk))
			return n;
	}
}

/* ---- building ---- */

/* the document under construction; a userdata, so an error halfway frees it */
struct builder {
	struct sd_doc doc;
	size_t cap_tables, cap_values, cap_nodes, cap_strings;
};

/* stack slots of sd_build's scratch state */
enum { B_SOURCE = 1, B_SELF, B_SEEN, B_STRINGS, B_QUEUE };

static void *grow(lua_State *L, void *p, size_t *cap, size_t need, size_t item) {
	if (need <= *cap)
		return p;
	size_t cap2 = *cap ? *cap : 16;
	while (cap2 < need)
		cap2 *= 2;
	if (cap2 > SIZE_MAX / item)
		luaL_error(L, "sharedata: table too large");
	void *np = skynet_realloc(p, cap2 * item);
	if (np == NULL)
		luaL_error(L, "sharedata: not enough memory");
	*cap = cap2;
	return np;
}

static void builder_clear(struct sd_doc *doc) {
	skynet_free(doc->tables);
	skynet_free(doc->values);
	skynet_free(doc->nodes);
	skynet_free(doc->strings);
	memset(doc, 0, sizeof(*doc));
}

static int builder_gc(lua_State *L) {
	struct builder *b = lua_touserdata(L, 1);
	builder_clear(&b->doc);
	return 0;
}

/* the number of the table at idx, queueing it when first seen */
static uint32_t table_number(lua_State *L, struct builder *b, int idx) {
	lua_pushvalue(L, idx);
	if (lua_rawget(L, B_SEEN) == LUA_TNUMBER) {
		uint32_t n = (uint32_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
		return n;
	}
	lua_pop(L, 1);
	if (b->doc.ntables == UINT32_MAX)
		luaL_error(L, "sharedata: too many tables");
	uint32_t n = b->doc.ntables++;
	b->doc.tables = grow(L, b->doc.tables, &b->cap_tables, b->doc.ntables, sizeof(struct sd_table));
	lua_pushvalue(L, idx);
	lua_pushinteger(L, n);
	lua_rawset(L, B_SEEN);
	lua_pushvalue(L, idx);
	lua_rawseti(L, B_QUEUE, (lua_Integer)n + 1);
	return n;
}

/* the pool offset of the string at idx, adding it when first seen */
static size_t string_offset(lua_State *L, struct builder *b, int idx, size_t len) {
	lua_pushvalue(L, idx);
	if (lua_rawget(L, B_STRINGS) == LUA_TNUMBER) {
		size_t off = (size_t)lua_tointeger(L, -1);
		lua_pop(L, 1);
		return off;
	}
	lua_pop(L, 1);
	const char *s = lua_tostring(L, idx);
	size_t off = b->doc.nstrings;
	b->doc.strings = grow(L, b->doc.strings, &b->cap_strings, off + len + 1, 1);
	memcpy(b->doc.strings + off, s, len);
	b->doc.strings[off + len] = '\0';
	b->doc.nstrings = off + len + 1;
	lua_pushvalue(L, idx);
	lua_pushinteger(L, (lua_Integer)off);
	lua_rawset(L, B_STRINGS);
	return off;
}

static struct sd_value encode(lua_State *L, struct builder *b, int idx, int is_key) {
	struct sd_value v = { .type = SD_NIL };
	int t = lua_type(L, idx);
	switch (t) {
	case LUA_TBOOLEAN:
		v.type = lua_toboolean(L, idx) ? SD_TRUE : SD_FALSE;
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx)) {
			v.type = SD_INT;
			v.u.i = lua_tointeger(L, idx);
		} else {
			v.type = SD_FLOAT;
			v.u.n = lua_tonumber(L, idx);
		}
		break;
	case LUA_TSTRING: {
		size_t len;
		lua_tolstring(L, idx, &len);
		if (len >= UINT32_MAX)
			luaL_error(L, "sharedata: string too long");
		v.type = SD_STRING;
		v.len = (uint32_t)len;
		v.u.str = string_offset(L, b, idx, len);
		break;
	}
	case LUA_TTABLE:
		if (!is_key) {
			v.type = SD_TABLE;
			v.u.table = table_number(L, b, idx);
		}
		break;
	default:
		break;
	}
	if (v.type == SD_NIL) /* tables are no keys, and no other type is stored */
		luaL_error(L, "sharedata: unsupported %s type %s", is_key ? "key" : "value",
			lua_typename(L, t));
	return v;
}

static int in_array(lua_State *L, int idx, lua_Integer asize) {
	if (!lua_isinteger(L, idx))
		return 0;
	lua_Integer i = lua_tointeger(L, idx);
	return i >= 1 && i <= asize;
}

static uint32_t hash_slots(size_t count) {
	if (count == 0)
		return 0;
	size_t want = count + count / 3 + 1;
	uint32_t n = 4;
	while (n < want) {
		if (n >= UINT32_MAX / 2)
			return 0;
		n *= 2;
	}
	return n;
}

static void insert_node(struct builder *b, struct sd_table *t, struct sd_value key, struct sd_value val) {
	struct sd_doc *doc = &b->doc;
	struct key k = key_of_node(doc, &key);
	uint32_t mask = t->hsize - 1;
	struct sd_node *nodes = doc->nodes + t->first_node;
	uint32_t i = (uint32_t)hash_key(&k) & mask;
	while (nodes[i].key.type != SD_NIL)
		i = (i + 1) & mask;
	nodes[i].key = key;
	nodes[i].val = val;
}

/* fills table n from the Lua table at the top of the stack */
static void build_table(lua_State *L, struct builder *b, uint32_t n) {
	int src = lua_gettop(L);
	lua_Integer asize = 0;
	while (lua_rawgeti(L, src, asize + 1) != LUA_TNIL) {
		lua_pop(L, 1);
		if (asize == UINT32_MAX - 1)
			break;
		asize++;
	}
	lua_pop(L, 1);
	size_t count = 0;
	lua_pushnil(L);
	while (lua_next(L, src)) {
		lua_pop(L, 1);
		if (!in_array(L, -1, asize))
			count++;
	}
	uint32_t hsize = hash_slots(count);
	if (count && !hsize)
		luaL_error(L, "sharedata: table too large");
	struct sd_doc *doc = &b->doc;
	struct sd_table t = { .asize = (uint32_t)asize, .hsize = hsize,
		.first_value = doc->nvalues, .first_node = doc->nnodes };
	doc->values = grow(L, doc->values, &b->cap_values, doc->nvalues + (size_t)asize, sizeof(struct sd_value));
	doc->nvalues += (size_t)asize;
	doc->nodes = grow(L, doc->nodes, &b->cap_nodes, doc->nnodes + hsize, sizeof(struct sd_node));
	if (hsize) /* (no arithmetic on a still NULL array) */
		memset(doc->nodes + doc->nnodes, 0, hsize * sizeof(struct sd_node));
	doc->nnodes += hsize;
	doc->tables[n] = t;
	for (lua_Integer i = 1; i <= asize; i++) {
		lua_rawgeti(L, src, i);
		struct sd_value v = encode(L, b, -1, 0);
		doc->values[t.first_value + (size_t)i - 1] = v;
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, src)) {
		if (!in_array(L, -2, asize)) {
			struct sd_value key = encode(L, b, -2, 1);
			struct sd_value val = encode(L, b, -1, 0);
			insert_node(b, &t, key, val);
		}
		lua_pop(L, 1);
	}
}

static size_t doc_bytes(const struct sd_doc *doc) {
	return sizeof(*doc) + doc->ntables * sizeof(struct sd_table) + doc->nvalues * sizeof(struct sd_value)
		+ doc->nnodes * sizeof(struct sd_node) + doc->nstrings;
}

/* trims the arrays to their size (the doubling slack is not kept for life) */
static void *shrink(void *p, size_t n, size_t item) {
	if (n == 0) {
		skynet_free(p);
		return NULL;
	}
	void *np = skynet_realloc(p, n * item);
	return np ? np : p;
}

/* runs in a frame of its own, so the scratch state has fixed slots */
static int build_frame(lua_State *L) {
	struct builder *b = lua_newuserdatauv(L, sizeof(*b), 0);
	memset(b, 0, sizeof(*b));
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, builder_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_newtable(L); /* B_SEEN */
	lua_newtable(L); /* B_STRINGS */
	lua_newtable(L); /* B_QUEUE */
	table_number(L, b, B_SOURCE);
	for (uint32_t n = 0; n < b->doc.ntables; n++) {
		luaL_checkstack(L, 8, NULL);
		lua_rawgeti(L, B_QUEUE, (lua_Integer)n + 1);
		build_table(L, b, n);
		lua_settop(L, B_QUEUE);
	}
	struct sd_doc *doc = skynet_malloc(sizeof(*doc));
	if (doc == NULL)
		return luaL_error(L, "sharedata: not enough memory");
	*doc = b->doc;
	memset(&b->doc, 0, sizeof(b->doc));
	doc->tables = shrink(doc->tables, doc->ntables, sizeof(struct sd_table));
	doc->values = shrink(doc->values, doc->nvalues, sizeof(struct sd_value));
	doc->nodes = shrink(doc->nodes, doc->nnodes, sizeof(struct sd_node));
	doc->strings = shrink(doc->strings, doc->nstrings, 1);
	doc->bytes = doc_bytes(doc);
	atomic_fetch_add(&counters.docs, 1);
	atomic_fetch_add(&counters.built, 1);
	atomic_fetch_add(&counters.bytes, (long long)doc->bytes);
	lua_pushlightuserdata(L, doc);
	return 1;
}

struct sd_doc *sd_build(lua_State *L, int idx) {
	luaL_checktype(L, idx, LUA_TTABLE);
	luaL_checkstack(L, 4, NULL);
	lua_pushvalue(L, idx);
	lua_pushcfunction(L, build_frame);
	lua_insert(L, -2);
	lua_call(L, 1, 1);
	struct sd_doc *doc = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return doc;
}

void sd_free(struct sd_doc *doc) {
	atomic_fetch_sub(&counters.docs, 1);
	atomic_fetch_add(&counters.freed, 1);
	atomic_fetch_sub(&counters.bytes, (long long)doc->bytes);
	builder_clear(doc);
	skynet_free(doc);
}

void sd_stat(struct sd_stat *st) {
	st->docs = atomic_load(&counters.docs);
	st->bytes = atomic_load(&counters.bytes);
	st->built = atomic_load(&counters.built);
	st->freed = atomic_load(&counters.freed);
}

uint32_t sd_tables(const struct sd_doc *doc) {
	return doc->ntables;
}

size_t sd_bytes(const struct sd_doc *doc) {
	return doc->bytes;
}

/* ---- reading ---- */

static void push_value(lua_State *L, const struct sd_doc *doc, const struct sd_value *v, uint32_t *child) {
	*child = UINT32_MAX;
	switch (v->type) {
	case SD_FALSE: lua_pushboolean(L, 0); break;
	case SD_TRUE: lua_pushboolean(L, 1); break;
	case SD_INT: lua_pushinteger(L, v->u.i); break;
	case SD_FLOAT: lua_pushnumber(L, v->u.n); break;
	case SD_STRING: lua_pushlstring(L, doc->strings + v->u.str, v->len); break;
	case SD_TABLE:
		*child = v->u.table;
		lua_pushnil(L);
		break;
	default: lua_pushnil(L); break;
	}
}

void sd_index(lua_State *L, const struct sd_doc *doc, uint32_t t, int k, uint32_t *child) {
	const struct sd_table *tb = &doc->tables[t];
	struct key key;
	*child = UINT32_MAX;
	if (!key_from_lua(L, k, &key)) {
		lua_pushnil(L);
		return;
	}
	if (key.type == SD_INT && key.i >= 1 && key.i <= (lua_Integer)tb->asize) {
		push_value(L, doc, &doc->values[tb->first_value + (size_t)key.i - 1], child);
		return;
	}
	const struct sd_node *n = find_node(doc, tb, &key);
	if (n)
		push_value(L, doc, &n->val, child);
	else
		lua_pushnil(L);
}

lua_Integer sd_len(const struct sd_doc *doc, uint32_t t) {
	return doc->tables[t].asize;
}

static void push_key(lua_State *L, const struct sd_doc *doc, const struct sd_value *v) {
	uint32_t unused;
	push_value(L, doc, v, &unused);
}

/* pushes the first used node from slot i on; 0 when there is none */
static int next_node(lua_State *L, const struct sd_doc *doc, const struct sd_table *tb, uint32_t i) {
	if (tb->hsize == 0)
		return 0;
	const struct sd_node *nodes = doc->nodes + tb->first_node;
	for (; i < tb->hsize; i++) {
		if (nodes[i].key.type != SD_NIL) {
			push_key(L, doc, &nodes[i].key);
			return 1;
		}
	}
	return 0;
}

int sd_next(lua_State *L, const struct sd_doc *doc, uint32_t t, int k) {
	const struct sd_table *tb = &doc->tables[t];
	if (lua_isnil(L, k)) {
		if (tb->asize > 0) {
			lua_pushinteger(L, 1);
			return 1;
		}
		return next_node(L, doc, tb, 0);
	}
	struct key key;
	if (key_from_lua(L, k, &key)) {
		if (key.type == SD_INT && key.i >= 1 && key.i <= (lua_Integer)tb->asize) {
			if (key.i < (lua_Integer)tb->asize) {
				lua_pushinteger(L, key.i + 1);
				return 1;
			}
			return next_node(L, doc, tb, 0);
		}
		const struct sd_node *n = find_node(doc, tb, &key);
		if (n)
			return next_node(L, doc, tb, (uint32_t)(n - (doc->nodes + tb->first_node)) + 1);
	}
	return luaL_error(L, "invalid key to 'next'");
}

/* ---- copying out ---- */

/* copies table t into the Lua table on top; copies[] maps numbers to tables */
static void copy_table(lua_State *L, const struct sd_doc *doc, uint32_t t, int copies) {
	const struct sd_table *tb = &doc->tables[t];
	int dst = lua_gettop(L);
	for (uint32_t i = 0; i < tb->asize; i++) {
		uint32_t child;
		push_value(L, doc, &doc->values[tb->first_value + i], &child);
		if (child != UINT32_MAX) {
			lua_pop(L, 1);
			lua_rawgeti(L, copies, (lua_Integer)child + 1);
		}
		lua_rawseti(L, dst, (lua_Integer)i + 1);
	}
	for (uint32_t i = 0; i < tb->hsize; i++) {
		const struct sd_node *node = &doc->nodes[tb->first_node + i];
		if (node->key.type == SD_NIL)
			continue;
		uint32_t child;
		push_key(L, doc, &node->key);
		push_value(L, doc, &node->val, &child);
		if (child != UINT32_MAX) {
			lua_pop(L, 1);
			lua_rawgeti(L, copies, (lua_Integer)child + 1);
		}
		lua_rawset(L, dst);
	}
}

/* every table reachable from t, in a sequence of numbers (the Lua table on top) */
static void reachable(lua_State *L, const struct sd_doc *doc, uint32_t t, int seen, int order) {
	lua_Integer n = 0;
	lua_pushboolean(L, 1);
	lua_rawseti(L, seen, (lua_Integer)t + 1);
	lua_pushinteger(L, t);
	lua_rawseti(L, order, ++n);
	for (lua_Integer at = 1; at <= n; at++) {
		lua_rawgeti(L, order, at);
		const struct sd_table *tb = &doc->tables[lua_tointeger(L, -1)];
		lua_pop(L, 1);
		size_t total = tb->asize + (size_t)tb->hsize;
		for (size_t i = 0; i < total; i++) {
			const struct sd_value *v = i < tb->asize ? &doc->values[tb->first_value + i]
				: &doc->nodes[tb->first_node + i - tb->asize].val;
			if (v->type != SD_TABLE || lua_rawgeti(L, seen, (lua_Integer)v->u.table + 1) != LUA_TNIL) {
				if (v->type == SD_TABLE)
					lua_pop(L, 1);
				continue;
			}
			lua_pop(L, 1);
			lua_pushboolean(L, 1);
			lua_rawseti(L, seen, (lua_Integer)v->u.table + 1);
			lua_pushinteger(L, v->u.table);
			lua_rawseti(L, order, ++n);
		}
	}
}

void sd_copy(lua_State *L, const struct sd_doc *doc, uint32_t t) {
	luaL_checkstack(L, 8, NULL);
	lua_newtable(L); /* seen */
	lua_newtable(L); /* order */
	lua_newtable(L); /* copies: number + 1 -> table */
	int seen = lua_gettop(L) - 2, order = seen + 1, copies = seen + 2;
	reachable(L, doc, t, seen, order);
	lua_Integer n = luaL_len(L, order);
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, order, i);
		lua_Integer number = lua_tointeger(L, -1);
		lua_pop(L, 1);
		const struct sd_table *tb = &doc->tables[number];
		lua_createtable(L, (int)(tb->asize < INT32_MAX ? tb->asize : 0), 0);
		lua_rawseti(L, copies, number + 1);
	}
	for (lua_Integer i = 1; i <= n; i++) {
		lua_rawgeti(L, order, i);
		lua_Integer number = lua_tointeger(L, -1);
		lua_pop(L, 1);
		lua_rawgeti(L, copies, number + 1);
		copy_table(L, doc, (uint32_t)number, copies);
		lua_pop(L, 1);
	}
	lua_rawgeti(L, copies, (lua_Integer)t + 1);
	lua_replace(L, seen);
	lua_settop(L, seen);
}
