/*
** Encoding a Lua table as a sproto struct. The message is built in a
** growable buffer (a userdata cached as the encode closure's upvalue, so
** an error leaves nothing to free); offsets, not pointers, survive growth.
*/
#include <math.h>
#include <string.h>

#include <lauxlib.h>

#include "lsproto.h"

#define INITIAL_BUFFER 2048

struct encoder {
	lua_State *L;
	uint8_t *buf;
	size_t len;
	size_t cap;
	const struct sproto_type *type; /* the struct being encoded, for messages */
};

static void reserve(struct encoder *e, size_t n) {
	if (e->cap - e->len >= n)
		return;
	if (n > LSPROTO_MAXSIZE - e->len)
		luaL_error(e->L, "object is too large (>%d)", LSPROTO_MAXSIZE);
	size_t cap = e->cap + e->cap / 2;
	if (cap < e->len + n)
		cap = e->len + n;
	if (cap > LSPROTO_MAXSIZE)
		cap = LSPROTO_MAXSIZE;
	uint8_t *buf = lua_newuserdatauv(e->L, cap, 0);
	if (e->len > 0)
		memcpy(buf, e->buf, e->len);
	lua_replace(e->L, lua_upvalueindex(1));
	e->buf = buf;
	e->cap = cap;
}

static void put_u32(uint8_t *p, uint32_t v) {
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v) {
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* starts a blob: returns the offset of its length prefix */
static size_t blob_begin(struct encoder *e) {
	reserve(e, 4);
	e->len += 4;
	return e->len - 4;
}

static void blob_end(struct encoder *e, size_t at) {
	put_u32(e->buf + at, (uint32_t)(e->len - at - 4));
}

static int bad_value(struct encoder *e, const struct sproto_field *f, int index, const char *what) {
	return luaL_error(e->L, "%s.%s[%d] is not %s (Is a %s)", e->type->name, f->name, index, what,
		luaL_typename(e->L, -1));
}

/* the integer at the top (a decimal field scales and rounds a number) */
static int64_t to_integer(struct encoder *e, const struct sproto_field *f, int index) {
	lua_State *L = e->L;
	int ok;
	if (f->decimal == 0) {
		lua_Integer v = lua_tointegerx(L, -1, &ok);
		if (!ok)
			bad_value(e, f, index, "an integer");
		return v;
	}
	lua_Number n = lua_tonumberx(L, -1, &ok);
	if (!ok)
		bad_value(e, f, index, "a number");
	n = round(n * (lua_Number)f->decimal);
	if (!(n >= -0x1p63 && n < 0x1p63))
		luaL_error(L, "%s.%s[%d] is out of range", e->type->name, f->name, index);
	return (int64_t)n;
}

static uint64_t to_double_bits(struct encoder *e, const struct sproto_field *f, int index) {
	int ok;
	double d = (double)lua_tonumberx(e->L, -1, &ok);
	uint64_t bits;
	if (!ok)
		bad_value(e, f, index, "a number");
	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

static bool fits_int32(int64_t v) {
	return v >= INT32_MIN && v <= INT32_MAX;
}

static void encode_struct(struct encoder *e, const struct sproto_type *t, int tbl, int depth);

static void put_string(struct encoder *e, const struct sproto_field *f, int index) {
	size_t sz;
	if (lua_type(e->L, -1) != LUA_TSTRING)
		bad_value(e, f, index, "a string");
	const char *s = lua_tolstring(e->L, -1, &sz);
	size_t at = blob_begin(e);
	reserve(e, sz);
	memcpy(e->buf + e->len, s, sz);
	e->len += sz;
	blob_end(e, at);
}

static void put_struct(struct encoder *e, const struct sproto_field *f, int index, int depth) {
	int t = lua_type(e->L, -1);
	if (t != LUA_TTABLE && t != LUA_TUSERDATA)
		bad_value(e, f, index, "a table");
	const struct sproto_type *outer = e->type;
	size_t at = blob_begin(e);
	encode_struct(e, f->sub, lua_gettop(e->L), depth + 1);
	blob_end(e, at);
	e->type = outer;
}

/*
** Encodes the value at the top of the stack (popped) for a non-array field.
** Returns the field's record: 0 when the value went to the data part.
*/
static uint32_t encode_scalar(struct encoder *e, const struct sproto_field *f, int depth) {
	uint32_t record = 0;
	switch (f->kind) {
	case SPROTO_INTEGER: {
		int64_t v = to_integer(e, f, 0);
		if (v >= 0 && v < 0x7fff) {
			record = (uint32_t)(v + 1) * 2;
		} else {
			size_t width = fits_int32(v) ? 4 : 8;
			reserve(e, 4 + width);
			put_u32(e->buf + e->len, (uint32_t)width);
			if (width == 4)
				put_u32(e->buf + e->len + 4, (uint32_t)v);
			else
				put_u64(e->buf + e->len + 4, (uint64_t)v);
			e->len += 4 + width;
		}
		break;
	}
	case SPROTO_BOOLEAN:
		if (!lua_isboolean(e->L, -1))
			bad_value(e, f, 0, "a boolean");
		record = lua_toboolean(e->L, -1) ? 4 : 2;
		break;
	case SPROTO_DOUBLE: {
		uint64_t bits = to_double_bits(e, f, 0);
		reserve(e, 12);
		put_u32(e->buf + e->len, 8);
		put_u64(e->buf + e->len + 4, bits);
		e->len += 12;
		break;
	}
	case SPROTO_STRING:
		put_string(e, f, 0);
		break;
	case SPROTO_STRUCT:
		put_struct(e, f, 0, depth);
		break;
	}
	lua_pop(e->L, 1);
	return record;
}

/* integers (or doubles) of an array: a width byte, then 4 bytes each if all fit, else 8 */
static void encode_numbers(struct encoder *e, const struct sproto_field *f, int arr) {
	lua_State *L = e->L;
	size_t width_at = e->len;
	bool wide = f->kind == SPROTO_DOUBLE;
	int n = 0;
	reserve(e, 1);
	e->len++;
	while (lua_geti(L, arr, n + 1) != LUA_TNIL) {
		uint64_t bits;
		if (f->kind == SPROTO_DOUBLE) {
			bits = to_double_bits(e, f, n + 1);
		} else {
			int64_t v = to_integer(e, f, n + 1);
			wide = wide || !fits_int32(v);
			bits = (uint64_t)v;
		}
		lua_pop(L, 1);
		reserve(e, 8);
		put_u64(e->buf + e->len, bits);
		e->len += 8;
		n++;
	}
	lua_pop(L, 1);
	if (n == 0) {
		e->len = width_at; /* an empty array has no width byte */
		return;
	}
	e->buf[width_at] = wide ? 8 : 4;
	if (!wide) {
		uint8_t *elems = e->buf + width_at + 1;
		for (int i = 0; i < n; i++)
			memmove(elems + 4 * i, elems + 8 * i, 4);
		e->len = width_at + 1 + 4 * (size_t)n;
	}
}

/* calls each(e, f, depth) with the value (and key below it) of every pair of the array at arr */
static void encode_pairs(struct encoder *e, const struct sproto_field *f, int arr, int depth,
	void (*each)(struct encoder *, const struct sproto_field *, int)) {
	lua_State *L = e->L;
	if (luaL_getmetafield(L, arr, "__pairs") != LUA_TNIL) {
		lua_pushvalue(L, arr);
		lua_call(L, 1, 3);
		int iter = lua_gettop(L) - 2;
		for (;;) {
			lua_pushvalue(L, iter);
			lua_pushvalue(L, iter + 1);
			lua_pushvalue(L, iter + 2);
			lua_call(L, 2, 2);
			if (lua_isnil(L, -2)) {
				lua_pop(L, 2);
				break;
			}
			lua_pushvalue(L, -2);
			lua_replace(L, iter + 2);
			each(e, f, depth);
			lua_pop(L, 1); /* the key */
		}
		lua_pop(L, 3);
		return;
	}
	if (!lua_istable(L, arr))
		luaL_error(L, "%s.%s should be a table or an userdata with metamethods (Is a %s)",
			e->type->name, f->name, luaL_typename(L, arr));
	lua_pushnil(L);
	while (lua_next(L, arr))
		each(e, f, depth); /* pops the value; the key stays for lua_next */
}

/* key (-2) and value (-1) -> one struct of the map; pops the value */
static void put_map_entry(struct encoder *e, const struct sproto_field *f, int depth) {
	lua_State *L = e->L;
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, -3);
	lua_setfield(L, -2, f->sub->field[0].name);
	lua_insert(L, -2);
	lua_setfield(L, -2, f->sub->field[1].name);
	put_struct(e, f, 0, depth);
	lua_pop(L, 1);
}

/* the value (-1) of a keyed array is the struct itself; pops it */
static void put_keyed_entry(struct encoder *e, const struct sproto_field *f, int depth) {
	put_struct(e, f, 0, depth);
	lua_pop(e->L, 1);
}

static void encode_array(struct encoder *e, const struct sproto_field *f, int depth) {
	lua_State *L = e->L;
	int arr = lua_gettop(L);
	int t = lua_type(L, arr);
	if (t != LUA_TTABLE && t != LUA_TUSERDATA)
		luaL_error(L, "%s.%s should be a table or an userdata with metamethods (Is a %s)",
			e->type->name, f->name, luaL_typename(L, arr));
	size_t at = blob_begin(e);
	if (f->kind == SPROTO_INTEGER || f->kind == SPROTO_DOUBLE) {
		encode_numbers(e, f, arr);
	} else if (f->key >= 0) {
		encode_pairs(e, f, arr, depth, f->map ? put_map_entry : put_keyed_entry);
	} else {
		for (int i = 1; lua_geti(L, arr, i) != LUA_TNIL; i++) {
			if (f->kind == SPROTO_BOOLEAN) {
				if (!lua_isboolean(L, -1))
					bad_value(e, f, i, "a boolean");
				reserve(e, 1);
				e->buf[e->len++] = lua_toboolean(L, -1) ? 1 : 0;
			} else if (f->kind == SPROTO_STRING) {
				put_string(e, f, i);
			} else {
				put_struct(e, f, i, depth);
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	blob_end(e, at);
	lua_pop(L, 1);
}

static void put_record(struct encoder *e, size_t header, int n, uint32_t record) {
	uint8_t *p = e->buf + header + 2 + 2 * (size_t)n;
	p[0] = (uint8_t)record;
	p[1] = (uint8_t)(record >> 8);
}

/* the header has room for every record; the data moves down over the unused ones */
static void encode_struct(struct encoder *e, const struct sproto_type *t, int tbl, int depth) {
	lua_State *L = e->L;
	if (depth >= LSPROTO_MAXDEPTH)
		luaL_error(L, "The table is too deep");
	luaL_checkstack(L, 16, NULL);
	e->type = t;
	size_t header = e->len;
	size_t hsize = 2 + 2 * (size_t)t->maxrecords;
	reserve(e, hsize);
	e->len += hsize;
	int n = 0, last = -1;
	for (int i = 0; i < t->nfield; i++) {
		const struct sproto_field *f = &t->field[i];
		if (lua_getfield(L, tbl, f->name) == LUA_TNIL) {
			lua_pop(L, 1);
			continue;
		}
		uint32_t record = 0;
		if (f->array)
			encode_array(e, f, depth);
		else
			record = encode_scalar(e, f, depth);
		e->type = t;
		int gap = f->tag - last - 1;
		if (gap > 0) {
			if (gap > 0x8000)
				luaL_error(L, "%s.%s: tag gap too large", t->name, f->name);
			put_record(e, header, n++, (uint32_t)(gap - 1) * 2 + 1);
		}
		put_record(e, header, n++, record);
		last = f->tag;
	}
	e->buf[header] = (uint8_t)n;
	e->buf[header + 1] = (uint8_t)(n >> 8);
	size_t unused = 2 * (size_t)(t->maxrecords - n);
	if (unused > 0) {
		size_t data = header + hsize;
		memmove(e->buf + data - unused, e->buf + data, e->len - data);
		e->len -= unused;
	}
}

int lsproto_encode(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	const struct sproto_type *t = lua_touserdata(L, 1);
	if (t == NULL) { /* the response of a "response nil" protocol */
		luaL_checktype(L, 2, LUA_TNIL);
		lua_pushliteral(L, "");
		return 1;
	}
	int tt = lua_type(L, 2);
	if (tt != LUA_TTABLE && tt != LUA_TUSERDATA)
		return luaL_typeerror(L, 2, "table");
	lua_settop(L, 2);
	struct encoder e = { L, NULL, 0, 0, t };
	if (lua_type(L, lua_upvalueindex(1)) == LUA_TUSERDATA) {
		e.buf = lua_touserdata(L, lua_upvalueindex(1));
		e.cap = lua_rawlen(L, lua_upvalueindex(1));
	} else {
		reserve(&e, INITIAL_BUFFER);
	}
	encode_struct(&e, t, 2, 0);
	lua_pushlstring(L, (const char *)e.buf, e.len);
	return 1;
}
