/*
 * Lua values to BSON: bson.encode(table) and bson.encode_order(k1, v1, ...).
 *
 *   integer      int32 when it fits, else int64       float    double
 *   string       UTF-8 string (checked)               boolean  boolean
 *   special      the value it stands for (bson.h)     table    document or array
 *   bson object / light userdata   an embedded document, copied as is
 *
 * A table with a __len metamethod is an array of that length (elements
 * read with t[i], so __index is honoured); one with __pairs is a document
 * iterated through it; otherwise a table whose first key is an integer in
 * 1..#t is the array t[1..#t] (a nil inside is an error: use bson.null),
 * and any other table a document with string keys.
 *
 * The bytes go to a buffer from the Lua state's allocator (so a service's
 * memory accounting sees it), owned by a to-be-closed userdata: an error
 * anywhere in the encoding releases it.
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

#include <stdbool.h>
#include <string.h>

#define WRITER_METATABLE "bson.writer"
#define WRITER_FIRST_CAP 256

struct writer {
	uint8_t *buf;
	size_t size;
	size_t cap;
	lua_Alloc alloc;
	void *alloc_ud;
};

static int writer_release(lua_State *L) {
	struct writer *w = luaL_checkudata(L, 1, WRITER_METATABLE);
	if (w->buf != NULL)
		w->alloc(w->alloc_ud, w->buf, w->cap, 0);
	w->buf = NULL;
	w->cap = w->size = 0;
	return 0;
}

static struct writer *writer_push(lua_State *L) {
	struct writer *w = lua_newuserdatauv(L, sizeof *w, 0);
	memset(w, 0, sizeof *w);
	w->alloc = lua_getallocf(L, &w->alloc_ud);
	if (luaL_newmetatable(L, WRITER_METATABLE)) {
		lua_pushcfunction(L, writer_release);
		lua_setfield(L, -2, "__close");
		lua_pushcfunction(L, writer_release);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_toclose(L, -1);
	return w;
}

/* room for n more bytes; returns where they go */
static uint8_t *writer_grow(lua_State *L, struct writer *w, size_t n) {
	if (n > w->cap - w->size) {
		if (n > (size_t)INT32_MAX - w->size)
			luaL_error(L, "bson document too large (over 2 GB)");
		size_t cap = w->cap ? w->cap : WRITER_FIRST_CAP;
		while (cap - w->size < n)
			cap *= 2;
		uint8_t *buf = w->alloc(w->alloc_ud, w->buf, w->cap, cap);
		if (buf == NULL)
			luaL_error(L, "not enough memory");
		w->buf = buf;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->size;
	w->size += n;
	return p;
}

static void put_byte(lua_State *L, struct writer *w, uint8_t v) {
	*writer_grow(L, w, 1) = v;
}

static void put_u32(lua_State *L, struct writer *w, uint32_t v) {
	bson_put_u32(writer_grow(L, w, 4), v);
}

static void put_u64(lua_State *L, struct writer *w, uint64_t v) {
	bson_put_u64(writer_grow(L, w, 8), v);
}

static void put_bytes(lua_State *L, struct writer *w, const void *p, size_t n) {
	if (n > 0)
		memcpy(writer_grow(L, w, n), p, n);
}

static bool utf8_valid(const uint8_t *s, size_t n) {
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		uint32_t cp, least;
		if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1F, least = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0F, least = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07, least = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		/* overlong forms, surrogates and code points past U+10FFFF */
		if (cp < least || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static void check_utf8(lua_State *L, const char *s, size_t n) {
	if (!utf8_valid((const uint8_t *)s, n))
		luaL_error(L, "Invalid utf8 string");
}

/* the type byte and the key of an element */
static void put_head(lua_State *L, struct writer *w, int type, const char *key, size_t klen) {
	if (memchr(key, 0, klen) != NULL)
		luaL_error(L, "Invalid bson key (it holds a 0 byte)");
	check_utf8(L, key, klen);
	put_byte(L, w, (uint8_t)type);
	put_bytes(L, w, key, klen);
	put_byte(L, w, 0);
}

/* a document's length is known at its end: reserve it, patch it then */
static size_t begin_document(lua_State *L, struct writer *w) {
	size_t start = w->size;
	writer_grow(L, w, 4);
	return start;
}

static void end_document(lua_State *L, struct writer *w, size_t start) {
	put_byte(L, w, 0);
	bson_put_u32(w->buf + start, (uint32_t)(w->size - start));
}

static void put_value(lua_State *L, struct writer *w, const char *key, size_t klen, int depth);

static void put_number(lua_State *L, struct writer *w, const char *key, size_t klen) {
	if (lua_isinteger(L, -1)) {
		lua_Integer v = lua_tointeger(L, -1);
		if (v >= INT32_MIN && v <= INT32_MAX) {
			put_head(L, w, BSON_INT32, key, klen);
			put_u32(L, w, (uint32_t)(int32_t)v);
		} else {
			put_head(L, w, BSON_INT64, key, klen);
			put_u64(L, w, (uint64_t)v);
		}
	} else {
		union {
			double d;
			uint64_t u;
		} v = { .d = (double)lua_tonumber(L, -1) };
		put_head(L, w, BSON_DOUBLE, key, klen);
		put_u64(L, w, v.u);
	}
}

static void put_string(lua_State *L, struct writer *w, const char *key, size_t klen, const char *s, size_t n) {
	check_utf8(L, s, n);
	if (n >= (size_t)INT32_MAX)
		luaL_error(L, "bson document too large (over 2 GB)");
	put_head(L, w, BSON_STRING, key, klen);
	put_u32(L, w, (uint32_t)n + 1);
	put_bytes(L, w, s, n);
	put_byte(L, w, 0);
}

static int invalid_special(lua_State *L, int type) {
	return luaL_error(L, "Invalid bson value of type %d", type);
}

/* a special string s (0, type, payload): see bson.h */
static void put_special(lua_State *L, struct writer *w, const char *key, size_t klen, const uint8_t *s, size_t n, int depth) {
	int type = s[1];
	const uint8_t *payload = s + 2;
	size_t len = n - 2;
	switch (type) {
	case BSON_BINARY: /* payload: subtype, data */
		if (len < 1 || len - 1 > (size_t)INT32_MAX)
			invalid_special(L, type);
		put_head(L, w, type, key, klen);
		put_u32(L, w, (uint32_t)(len - 1));
		put_bytes(L, w, payload, len);
		return;
	case BSON_NULL:
	case BSON_MINKEY:
	case BSON_MAXKEY:
		if (len != 0)
			invalid_special(L, type);
		put_head(L, w, type, key, klen);
		return;
	case BSON_OBJECTID:
	case BSON_DATE:
	case BSON_TIMESTAMP:
	case BSON_INT64:
	case BSON_DECIMAL128:
	case BSON_REGEX:
	case BSON_JSCODE:
	case BSON_SYMBOL:
	case BSON_DBPOINTER:
	case BSON_CODEWS: /* payload: the wire bytes, checked */
		if (bson_value_size(L, type, payload, len, depth) != len)
			invalid_special(L, type);
		put_head(L, w, type, key, klen);
		put_bytes(L, w, payload, len);
		return;
	default:
		luaL_error(L, "Invalid subtype %d", type);
	}
}

static void put_array(lua_State *L, struct writer *w, lua_Integer n, int depth) {
	size_t start = begin_document(L, w);
	for (lua_Integer i = 1; i <= n; i++) {
		char key[24];
		int klen = snprintf(key, sizeof key, "%lld", (long long)(i - 1));
		lua_geti(L, -1, i);
		put_value(L, w, key, (size_t)klen, depth);
		lua_pop(L, 1);
	}
	end_document(L, w, start);
}

/* key at -2, value at -1: writes the element and pops the value */
static void put_field(lua_State *L, struct writer *w, int depth) {
	int kt = lua_type(L, -2);
	if (kt == LUA_TNUMBER)
		luaL_error(L, "Bson dictionary's key can't be number");
	if (kt != LUA_TSTRING)
		luaL_error(L, "Invalid key type : %s", lua_typename(L, kt));
	size_t klen;
	const char *key = lua_tolstring(L, -2, &klen);
	put_value(L, w, key, klen, depth);
	lua_pop(L, 1);
}

/* the table at -1, through lua_next */
static void put_raw_dict(lua_State *L, struct writer *w, int depth) {
	size_t start = begin_document(L, w);
	lua_pushnil(L);
	while (lua_next(L, -2) != 0)
		put_field(L, w, depth);
	end_document(L, w, start);
}

/* the table at -2 through its __pairs metamethod at -1 (popped) */
static void put_pairs_dict(lua_State *L, struct writer *w, int depth) {
	size_t start = begin_document(L, w);
	lua_pushvalue(L, -2);
	lua_call(L, 1, 3); /* iterator, state, first control value */
	for (;;) {
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -3);
		lua_call(L, 2, 2);
		if (lua_isnil(L, -2)) {
			lua_pop(L, 5);
			break;
		}
		put_field(L, w, depth);
		lua_replace(L, -2); /* the key is the next control value */
	}
	end_document(L, w, start);
}

/* an array when the first key met is an integer in 1..#t */
static bool is_raw_array(lua_State *L) {
	lua_pushnil(L);
	if (lua_next(L, -2) == 0)
		return false;
	bool array = lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
	             (lua_Unsigned)lua_tointeger(L, -2) <= lua_rawlen(L, -3);
	lua_pop(L, 2);
	return array;
}

static void put_table(lua_State *L, struct writer *w, const char *key, size_t klen, int depth) {
	if (depth > BSON_MAX_DEPTH)
		luaL_error(L, "Too depth while encoding bson");
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	if (luaL_getmetafield(L, -1, "__len") != LUA_TNIL) {
		lua_pushvalue(L, -2);
		lua_call(L, 1, 1);
		if (!lua_isinteger(L, -1))
			luaL_error(L, "__len should return integer");
		lua_Integer n = lua_tointeger(L, -1);
		lua_pop(L, 1);
		put_head(L, w, BSON_ARRAY, key, klen);
		put_array(L, w, n, depth);
	} else if (luaL_getmetafield(L, -1, "__pairs") != LUA_TNIL) {
		put_head(L, w, BSON_DOCUMENT, key, klen);
		put_pairs_dict(L, w, depth);
	} else if (is_raw_array(L)) {
		put_head(L, w, BSON_ARRAY, key, klen);
		put_array(L, w, (lua_Integer)lua_rawlen(L, -1), depth);
	} else {
		put_head(L, w, BSON_DOCUMENT, key, klen);
		put_raw_dict(L, w, depth);
	}
}

/* the value at -1 as an element named key, in a document nested depth deep */
static void put_value(lua_State *L, struct writer *w, const char *key, size_t klen, int depth) {
	int vt = lua_type(L, -1);
	switch (vt) {
	case LUA_TNUMBER:
		put_number(L, w, key, klen);
		break;
	case LUA_TBOOLEAN:
		put_head(L, w, BSON_BOOLEAN, key, klen);
		put_byte(L, w, (uint8_t)lua_toboolean(L, -1));
		break;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, -1, &n);
		if (n > 1 && s[0] == 0)
			put_special(L, w, key, klen, (const uint8_t *)s, n, depth);
		else
			put_string(L, w, key, klen, s, n);
		break;
	}
	case LUA_TTABLE:
		put_table(L, w, key, klen, depth + 1);
		break;
	case LUA_TUSERDATA:
	case LUA_TLIGHTUSERDATA: {
		size_t n;
		const uint8_t *doc = bson_object_bytes(L, -1, &n);
		if (doc == NULL)
			luaL_error(L, "Invalid value type : %s", luaL_typename(L, -1));
		put_head(L, w, BSON_DOCUMENT, key, klen);
		put_bytes(L, w, doc, n);
		break;
	}
	case LUA_TNIL:
		luaL_error(L, "Bson array has a hole (nil), Use bson.null instead");
		break;
	default:
		luaL_error(L, "Invalid value type : %s", lua_typename(L, vt));
	}
}

/* bson.encode(t) -> bson object */
int bson_lencode(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 1);
	struct writer *w = writer_push(L);
	lua_pushvalue(L, 1);
	if (luaL_getmetafield(L, -1, "__pairs") != LUA_TNIL)
		put_pairs_dict(L, w, 0);
	else
		put_raw_dict(L, w, 0);
	bson_object_push(L, w->buf, w->size);
	return 1;
}

/* bson.encode_order(key1, value1, key2, value2, ...) -> bson object whose
 * elements are in argument order (MongoDB reads a command's name first) */
int bson_lencode_order(lua_State *L) {
	int n = lua_gettop(L);
	if (n % 2 != 0)
		return luaL_error(L, "Invalid ordered dict");
	struct writer *w = writer_push(L);
	size_t start = begin_document(L, w);
	for (int i = 1; i <= n; i += 2) {
		if (lua_type(L, i) != LUA_TSTRING)
			luaL_error(L, "Argument %d need a string", i);
		size_t klen;
		const char *key = lua_tolstring(L, i, &klen);
		lua_pushvalue(L, i + 1);
		put_value(L, w, key, klen, 0);
		lua_pop(L, 1);
	}
	end_document(L, w, start);
	bson_object_push(L, w->buf, w->size);
	return 1;
}
