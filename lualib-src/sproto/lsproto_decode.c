/*
** Decoding a sproto struct into a Lua table. Every length is checked
** against the bytes given: malformed input raises "decode error".
*/
#include <string.h>

#include <lauxlib.h>

#include "lsproto.h"

static int malformed(lua_State *L) {
	return luaL_error(L, "decode error");
}

static int64_t sign_extend32(uint32_t v) {
	return (int64_t)(int32_t)v;
}

static uint64_t read_u64(const uint8_t *p) {
	return (uint64_t)sproto_u32(p) | (uint64_t)sproto_u32(p + 4) << 32;
}

/* a 4-byte value (sign-extended) or an 8-byte one, as 64 bits */
static uint64_t read_number_bits(lua_State *L, const uint8_t *p, uint32_t width) {
	if (width == 4)
		return (uint64_t)sign_extend32(sproto_u32(p));
	if (width != 8)
		malformed(L);
	return read_u64(p);
}

static void push_number(lua_State *L, const struct sproto_field *f, uint64_t bits) {
	if (f->kind == SPROTO_DOUBLE) {
		double d;
		memcpy(&d, &bits, sizeof(d));
		lua_pushnumber(L, (lua_Number)d);
	} else if (f->decimal) {
		lua_pushnumber(L, (lua_Number)(int64_t)bits / (lua_Number)f->decimal);
	} else {
		lua_pushinteger(L, (lua_Integer)bits);
	}
}

static size_t decode_struct(lua_State *L, const struct sproto_type *t, const uint8_t *buf, size_t sz, int tbl, int depth);

/* a nested struct must fill its blob exactly; pushes its table */
static void push_struct(lua_State *L, const struct sproto_type *t, const uint8_t *buf, uint32_t len, int depth) {
	lua_newtable(L);
	if (decode_struct(L, t, buf, len, lua_gettop(L), depth + 1) != len)
		malformed(L);
}

/* t[key] = entry for an array of structs with a main index, or a map */
static void set_keyed(lua_State *L, const struct sproto_field *f, int arr) {
	int entry = lua_gettop(L);
	if (f->map) {
		if (lua_getfield(L, entry, f->sub->field[0].name) == LUA_TNIL)
			luaL_error(L, "Can't find key field in [%s]", f->name);
		if (lua_getfield(L, entry, f->sub->field[1].name) == LUA_TNIL)
			luaL_error(L, "Can't find value field in [%s]", f->name);
	} else {
		const struct sproto_field *key = sproto_field(f->sub, f->key);
		if (key == NULL || lua_getfield(L, entry, key->name) == LUA_TNIL)
			luaL_error(L, "Can't find main index (tag=%d) in [%s]", f->key, f->name);
		lua_pushvalue(L, entry);
	}
	lua_settable(L, arr);
	lua_settop(L, entry - 1);
}

/* length-prefixed strings or structs */
static void decode_blobs(lua_State *L, const struct sproto_field *f, const uint8_t *p, uint32_t sz, int arr, int depth) {
	for (lua_Integer i = 1; sz > 0; i++) {
		if (sz < 4 || sz - 4 < sproto_u32(p))
			malformed(L);
		uint32_t len = sproto_u32(p);
		if (f->kind == SPROTO_STRING)
			lua_pushlstring(L, (const char *)p + 4, len);
		else
			push_struct(L, f->sub, p + 4, len, depth);
		if (f->key >= 0)
			set_keyed(L, f, arr);
		else
			lua_seti(L, arr, i);
		p += 4 + (size_t)len;
		sz -= 4 + len;
	}
}

/* pushes the table of an array field */
static void decode_array(lua_State *L, const struct sproto_field *f, const uint8_t *p, uint32_t sz, int depth) {
	lua_newtable(L);
	int arr = lua_gettop(L);
	switch (f->kind) {
	case SPROTO_INTEGER:
	case SPROTO_DOUBLE: {
		if (sz <= 1) /* empty, with or without its width byte */
			break;
		uint32_t width = p[0];
		if ((width != 4 && width != 8) || (sz - 1) % width != 0)
			malformed(L);
		for (uint32_t i = 0; i < (sz - 1) / width; i++) {
			push_number(L, f, read_number_bits(L, p + 1 + i * width, width));
			lua_seti(L, arr, (lua_Integer)i + 1);
		}
		break;
	}
	case SPROTO_BOOLEAN:
		for (uint32_t i = 0; i < sz; i++) {
			lua_pushboolean(L, p[i] != 0);
			lua_seti(L, arr, (lua_Integer)i + 1);
		}
		break;
	default:
		decode_blobs(L, f, p, sz, arr, depth);
		break;
	}
}

/* pushes the value of a field whose record is inline */
static void push_inline(lua_State *L, const struct sproto_field *f, uint32_t n) {
	if (f->array)
		malformed(L);
	if (f->kind == SPROTO_INTEGER)
		push_number(L, f, n);
	else if (f->kind == SPROTO_BOOLEAN)
		lua_pushboolean(L, n != 0);
	else
		malformed(L);
}

/* pushes the value of a field stored in the data part */
static void push_blob(lua_State *L, const struct sproto_field *f, const struct sproto_value *v, int depth) {
	if (f->array) {
		decode_array(L, f, v->blob, v->len, depth);
		return;
	}
	switch (f->kind) {
	case SPROTO_INTEGER:
	case SPROTO_DOUBLE:
		push_number(L, f, read_number_bits(L, v->blob, v->len));
		break;
	case SPROTO_STRING:
		lua_pushlstring(L, (const char *)v->blob, v->len);
		break;
	case SPROTO_STRUCT:
		push_struct(L, f->sub, v->blob, v->len, depth);
		break;
	default:
		malformed(L);
	}
}

/* fills the table at tbl; returns the bytes the struct took (fields of unknown tags are skipped) */
static size_t decode_struct(lua_State *L, const struct sproto_type *t, const uint8_t *buf, size_t sz, int tbl, int depth) {
	struct sproto_reader r;
	struct sproto_value v;
	int st;
	if (depth >= LSPROTO_MAXDEPTH)
		luaL_error(L, "The table is too deep");
	luaL_checkstack(L, 16, NULL);
	if (sproto_reader_init(&r, buf, sz) < 0)
		malformed(L);
	while ((st = sproto_reader_next(&r, &v)) > 0) {
		const struct sproto_field *f = sproto_field(t, v.tag);
		if (f == NULL)
			continue;
		if (v.is_inline)
			push_inline(L, f, v.number);
		else
			push_blob(L, f, &v, depth);
		lua_setfield(L, tbl, f->name);
	}
	if (st < 0)
		malformed(L);
	return sz - r.left;
}

int lsproto_decode(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const struct sproto_type *t = lua_touserdata(L, 1);
	if (t == NULL) /* the response of a "response nil" protocol */
		return 0;
	size_t sz;
	const uint8_t *buf = lsproto_checkbuffer(L, 2, &sz);
	int next = lua_type(L, 2) == LUA_TSTRING ? 3 : 4; /* the optional table to fill */
	if (lua_istable(L, next)) {
		lua_settop(L, next);
	} else {
		lua_settop(L, next - 1);
		lua_newtable(L);
	}
	size_t used = decode_struct(L, t, buf, sz, lua_gettop(L), 0);
	lua_pushinteger(L, (lua_Integer)used);
	return 2;
}
