/*
 * The bson object: what bson.encode returns, a full userdata holding the
 * document's bytes, with metatable "bson":
 *
 *   b:decode()        the document as Lua values (bson.decode(b))
 *   tostring(b), #b   the bytes, their number
 *   b:makeindex()     records where each top-level field of a fixed-size
 *                     type (double, boolean, int32, int64, objectid, date,
 *                     timestamp) lies; returns b
 *   b.key = value     after makeindex, overwrites that field in place with
 *                     a value of the same type (updating a document that
 *                     is sent again and again without encoding it anew)
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

#include <string.h>

/* an index slot: the value's offset in the document and its type */
#define SLOT_TYPE_BITS 8

static int object_tostring(lua_State *L) {
	const void *doc = luaL_checkudata(L, 1, BSON_METATABLE);
	lua_pushlstring(L, doc, lua_rawlen(L, 1));
	return 1;
}

static int object_len(lua_State *L) {
	luaL_checkudata(L, 1, BSON_METATABLE);
	lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
	return 1;
}

static int replaceable(int type) {
	switch (type) {
	case BSON_DOUBLE:
	case BSON_BOOLEAN:
	case BSON_INT32:
	case BSON_INT64:
	case BSON_OBJECTID:
	case BSON_DATE:
	case BSON_TIMESTAMP:
		return 1;
	default:
		return 0;
	}
}

static int object_makeindex(lua_State *L) {
	const uint8_t *doc = luaL_checkudata(L, 1, BSON_METATABLE);
	size_t len = bson_document_length(L, doc, lua_rawlen(L, 1));
	struct bson_reader r = { doc + 4, len - 5 };
	lua_newtable(L);
	while (r.left > 0) {
		int type = *bson_take(L, &r, 1);
		size_t klen;
		const char *key = bson_read_cstring(L, &r, &klen);
		size_t offset = (size_t)(r.p - doc);
		bson_take(L, &r, bson_value_size(L, type, r.p, r.left, 0));
		if (replaceable(type)) {
			lua_pushlstring(L, key, klen);
			lua_pushinteger(L, (lua_Integer)(offset << SLOT_TYPE_BITS | (size_t)type));
			lua_rawset(L, -3);
		}
	}
	lua_setiuservalue(L, 1, 1);
	lua_settop(L, 1);
	return 1;
}

/* the payload of a special value of `type` at index 3, n bytes long */
static const char *special_payload(lua_State *L, int type, size_t n) {
	size_t len;
	const char *s = lua_tolstring(L, 3, &len);
	if (lua_type(L, 3) != LUA_TSTRING || len != n + 2 || s[0] != 0 || (uint8_t)s[1] != type)
		luaL_error(L, "Type mismatch, need bson type %d", type);
	return s + 2;
}

static int object_newindex(lua_State *L) {
	uint8_t *doc = luaL_checkudata(L, 1, BSON_METATABLE);
	if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE)
		return luaL_error(L, "call makeindex first");
	lua_pushvalue(L, 2);
	if (lua_rawget(L, -2) != LUA_TNUMBER)
		return luaL_error(L, "Can't replace key : %s", luaL_tolstring(L, 2, NULL));
	lua_Integer slot = lua_tointeger(L, -1);
	int type = (int)(slot & ((1 << SLOT_TYPE_BITS) - 1));
	uint8_t *p = doc + (slot >> SLOT_TYPE_BITS);
	switch (type) {
	case BSON_DOUBLE: {
		union {
			double d;
			uint64_t u;
		} v = { .d = (double)luaL_checknumber(L, 3) };
		bson_put_u64(p, v.u);
		break;
	}
	case BSON_BOOLEAN:
		*p = (uint8_t)lua_toboolean(L, 3);
		break;
	case BSON_INT32: {
		lua_Integer v = luaL_checkinteger(L, 3);
		if (v < INT32_MIN || v > INT32_MAX)
			return luaL_error(L, "%I must be a 32bit integer", (LUAI_UACINT)v);
		bson_put_u32(p, (uint32_t)(int32_t)v);
		break;
	}
	case BSON_INT64:
		bson_put_u64(p, (uint64_t)luaL_checkinteger(L, 3));
		break;
	case BSON_OBJECTID:
		memcpy(p, special_payload(L, type, BSON_OBJECTID_SIZE), BSON_OBJECTID_SIZE);
		break;
	default: /* date, timestamp */
		memcpy(p, special_payload(L, type, 8), 8);
		break;
	}
	return 0;
}

/* the metatable, in the registry of every state that loads the module */
void bson_object_register(lua_State *L) {
	if (!luaL_newmetatable(L, BSON_METATABLE)) {
		lua_pop(L, 1);
		return;
	}
	luaL_Reg methods[] = {
		{ "decode", bson_ldecode },
		{ "makeindex", object_makeindex },
		{ NULL, NULL },
	};
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	luaL_Reg meta[] = {
		{ "__tostring", object_tostring },
		{ "__len", object_len },
		{ "__newindex", object_newindex },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, meta, 0);
	lua_pop(L, 1);
}

void bson_object_push(lua_State *L, const uint8_t *bytes, size_t size) {
	void *doc = lua_newuserdatauv(L, size, 1);
	memcpy(doc, bytes, size);
	luaL_setmetatable(L, BSON_METATABLE);
}

/* the document a bson object or a light userdata holds, its length
 * checked; NULL for anything else */
const uint8_t *bson_object_bytes(lua_State *L, int idx, size_t *size) {
	const uint8_t *doc;
	size_t avail;
	if (lua_type(L, idx) == LUA_TLIGHTUSERDATA) {
		doc = lua_touserdata(L, idx);
		if (doc == NULL)
			return NULL;
		avail = (size_t)bson_get_u32(doc); /* trusted: see bson_decode.c */
	} else {
		doc = luaL_testudata(L, idx, BSON_METATABLE);
		if (doc == NULL)
			return NULL;
		avail = lua_rawlen(L, idx);
	}
	*size = bson_document_length(L, doc, avail);
	return doc;
}
