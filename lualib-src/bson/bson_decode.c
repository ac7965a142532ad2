/*
 * BSON to Lua values: bson.decode(doc) and the object's :decode().
 *
 *   double -> float          int32, int64 -> integer      string -> string
 *   boolean -> boolean       document -> table            array -> table t[1..n]
 *   everything else -> its special string (bson.h), so it encodes back unchanged
 *
 * doc is a bson object, a string of BSON bytes, or a light userdata
 * pointing at a document (its own length header is trusted: the caller
 * vouches for the memory, as the mongo driver does for its replies).
 * Malformed bytes raise "Invalid bson ..." errors; nothing is read past
 * the document. An array element's key is its 0-based index in decimal.
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

#include <string.h>

static size_t push_document(lua_State *L, const uint8_t *p, size_t avail, int array, int depth);

static void push_array_index(lua_State *L, const char *key, size_t klen) {
	lua_Integer index = 0;
	if (klen == 0 || klen > 10)
		luaL_error(L, "Invalid bson array key");
	for (size_t i = 0; i < klen; i++) {
		if (key[i] < '0' || key[i] > '9')
			luaL_error(L, "Invalid bson array key");
		index = index * 10 + (key[i] - '0');
	}
	lua_pushinteger(L, index + 1);
}

static void push_double(lua_State *L, const uint8_t *p) {
	union {
		uint64_t u;
		double d;
	} v = { .u = bson_get_u64(p) };
	lua_pushnumber(L, (lua_Number)v.d);
}

/* the value of `type` read from r, pushed */
static void push_value(lua_State *L, int type, struct bson_reader *r, int depth) {
	switch (type) {
	case BSON_DOUBLE:
		push_double(L, bson_take(L, r, 8));
		return;
	case BSON_INT32:
		lua_pushinteger(L, (int32_t)bson_get_u32(bson_take(L, r, 4)));
		return;
	case BSON_INT64:
		lua_pushinteger(L, (lua_Integer)bson_get_u64(bson_take(L, r, 8)));
		return;
	case BSON_STRING: {
		const uint8_t *p = bson_take(L, r, bson_value_size(L, type, r->p, r->left, depth));
		lua_pushlstring(L, (const char *)p + 4, bson_get_u32(p) - 1);
		return;
	}
	case BSON_BOOLEAN:
		bson_value_size(L, type, r->p, r->left, depth);
		lua_pushboolean(L, *bson_take(L, r, 1));
		return;
	case BSON_DOCUMENT:
	case BSON_ARRAY:
		bson_take(L, r, push_document(L, r->p, r->left, type == BSON_ARRAY, depth + 1));
		return;
	case BSON_BINARY: {
		const uint8_t *p = bson_take(L, r, bson_value_size(L, type, r->p, r->left, depth));
		bson_push_special(L, type, p + 4, bson_get_u32(p) + 1); /* subtype, data */
		return;
	}
	case BSON_NULL:
	case BSON_MINKEY:
	case BSON_MAXKEY:
	case BSON_OBJECTID:
	case BSON_DATE:
	case BSON_TIMESTAMP:
	case BSON_DECIMAL128:
	case BSON_REGEX:
	case BSON_JSCODE:
	case BSON_SYMBOL:
	case BSON_DBPOINTER:
	case BSON_CODEWS: {
		size_t n = bson_value_size(L, type, r->p, r->left, depth);
		bson_push_special(L, type, bson_take(L, r, n), n);
		return;
	}
	default:
		luaL_error(L, "Invalid bson type : %d", type);
	}
}

/* pushes the document at p as a table; returns its length */
static size_t push_document(lua_State *L, const uint8_t *p, size_t avail, int array, int depth) {
	if (depth > BSON_MAX_DEPTH)
		luaL_error(L, "Too depth while decoding bson");
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	size_t len = bson_document_length(L, p, avail);
	struct bson_reader r = { p + 4, len - 5 };
	lua_newtable(L);
	while (r.left > 0) {
		int type = *bson_take(L, &r, 1);
		size_t klen;
		const char *key = bson_read_cstring(L, &r, &klen);
		if (array)
			push_array_index(L, key, klen);
		else
			lua_pushlstring(L, key, klen);
		push_value(L, type, &r, depth);
		lua_rawset(L, -3);
	}
	return len;
}

int bson_ldecode(lua_State *L) {
	const uint8_t *doc;
	size_t size;
	switch (lua_type(L, 1)) {
	case LUA_TNONE:
	case LUA_TNIL:
		return 0;
	case LUA_TSTRING:
		doc = (const uint8_t *)lua_tolstring(L, 1, &size);
		break;
	default:
		doc = bson_object_bytes(L, 1, &size);
		if (doc == NULL)
			return luaL_typeerror(L, 1, "bson object, string or light userdata");
	}
	push_document(L, doc, size, 0, 0);
	return 1;
}
