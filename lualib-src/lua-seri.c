/*
 * Serialisation of Lua values for skynet.pack / skynet.unpack.
 *
 * Wire format: the packed values one after another. Each value starts with a
 * tag byte, tag = kind << 5 | imm. Where a kind carries a number, imm 0..27 is
 * the number itself and imm 28, 29, 30, 31 say that it follows in 1, 2, 4 or 8
 * little-endian bytes.
 *
 *   kind 0  atom     imm 0 nil, 1 false, 2 true,
 *                    3 float (8 bytes: IEEE-754 bits), 4 lightuserdata (8 bytes)
 *   kind 1  integer  n >= 0: the number is n
 *   kind 2  integer  n < 0: the number is -1 - n
 *   kind 3  string   the number is the length; the bytes follow
 *   kind 4  table    the number is the length of the array part; then a byte h
 *                    sizing the hash part (0: empty, else at most 2^(h-1)
 *                    pairs), the array values 1..length, key/value pairs, nil
 *
 * Packing writes into a block on the C stack first, so a small message costs
 * one allocation: the final buffer. Further blocks are Lua userdata, so an
 * error in the middle (an unsupported value, a failing __pairs) leaves only
 * garbage for the collector, never a leak.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "skynet_malloc.h"
#include "lua-seri.h"

#define MAX_DEPTH 32     /* tables nested deeper than this are refused */
#define FIRST_BLOCK 128  /* bytes packed without any Lua allocation */
#define MIN_BLOCK 256
#define MAX_BLOCKS 64    /* sizes double, so 64 blocks exceed any address space */

enum { KIND_ATOM, KIND_UINT, KIND_NINT, KIND_STRING, KIND_TABLE };
enum { ATOM_NIL, ATOM_FALSE, ATOM_TRUE, ATOM_FLOAT, ATOM_POINTER };

#define IMM_INLINE 28 /* imm below this is the number itself */
#define TAG(kind, imm) ((uint8_t)((kind) << 5 | (imm)))
#define TAG_NIL TAG(KIND_ATOM, ATOM_NIL)

_Static_assert(sizeof(lua_Number) == 8, "floats travel as IEEE-754 doubles");

/* NaN is no valid table key: only a __pairs iterator can make one up */
static int is_nan(lua_State *L, int idx) {
	if (lua_type(L, idx) != LUA_TNUMBER || lua_isinteger(L, idx))
		return 0;
	lua_Number d = lua_tonumber(L, idx);
	return d != d;
}

/* ---- packing ---- */

struct block {
	uint8_t *data;
	size_t len; /* bytes written, once the block is no longer current */
};

struct writer {
	lua_State *L;
	int anchor;       /* stack slot keeping the newest userdata block alive */
	uint8_t *p, *end; /* free space of the current block */
	int nblock;       /* the last one is current */
	struct block block[MAX_BLOCKS];
	uint8_t first[FIRST_BLOCK];
};

static void writer_init(struct writer *w, lua_State *L, int anchor) {
	w->L = L;
	w->anchor = anchor;
	w->p = w->first;
	w->end = w->first + FIRST_BLOCK;
	w->nblock = 1;
	w->block[0].data = w->first;
}

/* Starts a block of at least need bytes. Each block is a userdata whose user
 * value is the previous block, so the anchor slot keeps the whole chain alive. */
static void new_block(struct writer *w, size_t need) {
	lua_State *L = w->L;
	struct block *cur = &w->block[w->nblock - 1];
	size_t size = (size_t)(w->end - cur->data) * 2;
	if (size < MIN_BLOCK)
		size = MIN_BLOCK;
	if (size < need)
		size = need;
	if (w->nblock == MAX_BLOCKS)
		luaL_error(L, "serialize: message too large");
	cur->len = (size_t)(w->p - cur->data);
	uint8_t *data = lua_newuserdatauv(L, size, 1);
	lua_pushvalue(L, w->anchor);
	lua_setiuservalue(L, -2, 1);
	lua_replace(L, w->anchor);
	w->block[w->nblock++].data = data;
	w->p = data;
	w->end = data + size;
}

/* room for n contiguous bytes at w->p */
static inline uint8_t *reserve(struct writer *w, size_t n) {
	if ((size_t)(w->end - w->p) < n)
		new_block(w, n);
	return w->p;
}

static inline void write_byte(struct writer *w, uint8_t b) {
	*reserve(w, 1) = b;
	w->p++;
}

static void write_bytes(struct writer *w, const void *src, size_t len) {
	const uint8_t *s = src;
	for (;;) {
		size_t room = (size_t)(w->end - w->p);
		if (len <= room) {
			memcpy(w->p, s, len);
			w->p += len;
			return;
		}
		memcpy(w->p, s, room);
		w->p += room;
		s += room;
		len -= room;
		new_block(w, len);
	}
}

static inline uint8_t *put_le(uint8_t *p, uint64_t v, int bytes) {
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + bytes;
}

/* a tag of the given kind carrying the number n */
static void write_number(struct writer *w, int kind, uint64_t n) {
	uint8_t *p = reserve(w, 9);
	if (n < IMM_INLINE) {
		*p++ = TAG(kind, n);
	} else if (n <= UINT8_MAX) {
		*p++ = TAG(kind, IMM_INLINE);
		p = put_le(p, n, 1);
	} else if (n <= UINT16_MAX) {
		*p++ = TAG(kind, IMM_INLINE + 1);
		p = put_le(p, n, 2);
	} else if (n <= UINT32_MAX) {
		*p++ = TAG(kind, IMM_INLINE + 2);
		p = put_le(p, n, 4);
	} else {
		*p++ = TAG(kind, IMM_INLINE + 3);
		p = put_le(p, n, 8);
	}
	w->p = p;
}

static void write_atom64(struct writer *w, int atom, uint64_t bits) {
	uint8_t *p = reserve(w, 9);
	*p = TAG(KIND_ATOM, atom);
	w->p = put_le(p + 1, bits, 8);
}

static void write_integer(struct writer *w, lua_Integer v) {
	if (v >= 0)
		write_number(w, KIND_UINT, (uint64_t)v);
	else
		write_number(w, KIND_NINT, ~(uint64_t)v); /* -1 - v, without overflow */
}

static void write_float(struct writer *w, lua_Number d) {
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	write_atom64(w, ATOM_FLOAT, bits);
}

/* the hash size byte: 0 for none, else h with n <= 2^(h-1) */
static uint8_t hash_hint(size_t n) {
	uint8_t h = 0;
	if (n > 0)
		for (h = 1; ((size_t)1 << (h - 1)) < n; h++)
			;
	return h;
}

static void pack_value(struct writer *w, int idx, int depth);

/* the key and value on the stack top, if the key is not in the array part */
static int pack_pair(struct writer *w, lua_Unsigned arraylen, int depth) {
	lua_State *L = w->L;
	int top = lua_gettop(L);
	if (lua_isinteger(L, top - 1)) {
		lua_Unsigned k = (lua_Unsigned)lua_tointeger(L, top - 1);
		if (k - 1 < arraylen) /* 1 <= k <= arraylen */
			return 0;
	}
	pack_value(w, top - 1, depth);
	pack_value(w, top, depth);
	return 1;
}

/* a table with a __pairs metamethod (on the stack top): everything is hash */
static void pack_metapairs(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	write_number(w, KIND_TABLE, 0);
	uint8_t *hint = reserve(w, 1);
	w->p++;
	lua_pushvalue(L, idx);
	lua_call(L, 1, 3); /* iterator, state, control */
	int iter = lua_gettop(L) - 2;
	size_t npair = 0;
	for (;;) {
		lua_pushvalue(L, iter);
		lua_pushvalue(L, iter + 1);
		lua_pushvalue(L, iter + 2);
		lua_call(L, 2, 2);
		if (lua_isnil(L, -2))
			break;
		if (is_nan(L, -2))
			luaL_error(L, "serialize: table index is NaN");
		npair += (size_t)pack_pair(w, 0, depth);
		lua_pop(L, 1);
		lua_replace(L, iter + 2); /* the key is the next control value */
	}
	lua_settop(L, iter - 1);
	write_byte(w, TAG_NIL);
	*hint = hash_hint(npair);
}

static void pack_table(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	if (depth > MAX_DEPTH)
		luaL_error(L, "serialize can't pack too depth table");
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
		pack_metapairs(w, idx, depth);
		return;
	}
	lua_Unsigned arraylen = lua_rawlen(L, idx);
	write_number(w, KIND_TABLE, arraylen);
	uint8_t *hint = reserve(w, 1);
	w->p++;
	for (lua_Unsigned i = 1; i <= arraylen; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i);
		pack_value(w, lua_gettop(L), depth);
		lua_pop(L, 1);
	}
	size_t npair = 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		npair += (size_t)pack_pair(w, arraylen, depth);
		lua_pop(L, 1);
	}
	write_byte(w, TAG_NIL);
	*hint = hash_hint(npair);
}

/* idx is absolute; depth counts the tables around the value */
static void pack_value(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		write_byte(w, TAG_NIL);
		break;
	case LUA_TBOOLEAN:
		write_byte(w, TAG(KIND_ATOM, lua_toboolean(L, idx) ? ATOM_TRUE : ATOM_FALSE));
		break;
	case LUA_TNUMBER:
		if (lua_isinteger(L, idx))
			write_integer(w, lua_tointeger(L, idx));
		else
			write_float(w, lua_tonumber(L, idx));
		break;
	case LUA_TSTRING: {
		size_t len;
		const char *s = lua_tolstring(L, idx, &len);
		write_number(w, KIND_STRING, len);
		write_bytes(w, s, len);
		break;
	}
	case LUA_TLIGHTUSERDATA:
		write_atom64(w, ATOM_POINTER, (uint64_t)(uintptr_t)lua_touserdata(L, idx));
		break;
	case LUA_TTABLE:
		pack_table(w, idx, depth + 1);
		break;
	default:
		luaL_error(L, "Unsupported type %s to serialize", luaL_typename(L, idx));
	}
}

/* copies the blocks into one skynet_malloc'd buffer */
static void *writer_gather(struct writer *w, size_t *size) {
	struct block *cur = &w->block[w->nblock - 1];
	cur->len = (size_t)(w->p - cur->data);
	size_t total = 0;
	for (int i = 0; i < w->nblock; i++)
		total += w->block[i].len;
	uint8_t *buf = skynet_malloc(total > 0 ? total : 1);
	if (buf == NULL)
		luaL_error(w->L, "serialize: not enough memory for %I bytes", (lua_Integer)total);
	uint8_t *p = buf;
	for (int i = 0; i < w->nblock; i++) {
		memcpy(p, w->block[i].data, w->block[i].len);
		p += w->block[i].len;
	}
	*size = total;
	return buf;
}

int luaseri_pack(lua_State *L) {
	int n = lua_gettop(L);
	struct writer w;
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	lua_pushnil(L); /* the anchor of the userdata blocks */
	writer_init(&w, L, n + 1);
	for (int i = 1; i <= n; i++)
		pack_value(&w, i, 0);
	size_t size;
	void *buf = writer_gather(&w, &size);
	lua_pushlightuserdata(L, buf);
	lua_pushinteger(L, (lua_Integer)size);
	return 2;
}

/* ---- unpacking ---- */

struct reader {
	lua_State *L;
	const uint8_t *p, *end;
};

static void invalid(struct reader *r) {
	luaL_error(r->L, "Invalid serialize stream");
}

static inline size_t remaining(const struct reader *r) {
	return (size_t)(r->end - r->p);
}

/* the next n bytes; a stream that ends sooner is invalid */
static inline const uint8_t *take(struct reader *r, uint64_t n) {
	if (n > remaining(r))
		invalid(r);
	const uint8_t *p = r->p;
	r->p += n;
	return p;
}

/* the number carried by a tag whose low bits are imm */
static inline uint64_t read_number(struct reader *r, unsigned imm) {
	if (imm < IMM_INLINE)
		return imm;
	int bytes = 1 << (imm - IMM_INLINE);
	const uint8_t *p = take(r, (uint64_t)bytes);
	uint64_t n = 0;
	for (int i = 0; i < bytes; i++)
		n |= (uint64_t)p[i] << (8 * i);
	return n;
}

static uint64_t read_bits64(struct reader *r) {
	return read_number(r, IMM_INLINE + 3);
}

static void read_atom(struct reader *r, unsigned imm) {
	lua_State *L = r->L;
	switch (imm) {
	case ATOM_NIL:
		lua_pushnil(L);
		break;
	case ATOM_FALSE:
	case ATOM_TRUE:
		lua_pushboolean(L, imm == ATOM_TRUE);
		break;
	case ATOM_FLOAT: {
		uint64_t bits = read_bits64(r);
		lua_Number d;
		memcpy(&d, &bits, sizeof d);
		lua_pushnumber(L, d);
		break;
	}
	case ATOM_POINTER: {
		uint64_t bits = read_bits64(r);
#if UINTPTR_MAX < UINT64_MAX
		if (bits > UINTPTR_MAX)
			invalid(r);
#endif
		lua_pushlightuserdata(L, (void *)(uintptr_t)bits);
		break;
	}
	default:
		invalid(r);
	}
}

static void read_value(struct reader *r, int depth);

static void read_table(struct reader *r, uint64_t arraylen, int depth) {
	lua_State *L = r->L;
	if (depth > MAX_DEPTH || arraylen > remaining(r) || arraylen > INT_MAX)
		invalid(r);
	unsigned h = *take(r, 1);
	/* the hint only presizes; each pair takes 2 bytes at least, so the bytes
	 * left bound what hostile input can make us allocate */
	size_t npair = remaining(r) / 2;
	if (h == 0)
		npair = 0;
	else if (h <= 31 && ((size_t)1 << (h - 1)) < npair)
		npair = (size_t)1 << (h - 1);
	if (npair > INT_MAX)
		npair = INT_MAX;
	luaL_checkstack(L, 4, NULL);
	lua_createtable(L, (int)arraylen, (int)npair);
	for (lua_Integer i = 1; i <= (lua_Integer)arraylen; i++) {
		read_value(r, depth);
		lua_rawseti(L, -2, i);
	}
	for (;;) {
		if (*take(r, 1) == TAG_NIL)
			break;
		r->p--;
		read_value(r, depth);
		if (is_nan(L, -1))
			invalid(r);
		read_value(r, depth);
		lua_rawset(L, -3);
	}
}

/* pushes the next value; depth counts the tables around it */
static void read_value(struct reader *r, int depth) {
	lua_State *L = r->L;
	uint8_t tag = *take(r, 1);
	unsigned imm = tag & 31;
	uint64_t n;
	switch (tag >> 5) {
	case KIND_ATOM:
		read_atom(r, imm);
		break;
	case KIND_UINT:
		n = read_number(r, imm);
		if (n > LUA_MAXINTEGER)
			invalid(r);
		lua_pushinteger(L, (lua_Integer)n);
		break;
	case KIND_NINT:
		n = read_number(r, imm);
		if (n > LUA_MAXINTEGER)
			invalid(r);
		lua_pushinteger(L, -1 - (lua_Integer)n);
		break;
	case KIND_STRING:
		n = read_number(r, imm);
		lua_pushlstring(L, (const char *)take(r, n), (size_t)n);
		break;
	case KIND_TABLE:
		read_table(r, read_number(r, imm), depth + 1);
		break;
	default:
		invalid(r);
	}
}

int luaseri_unpack(lua_State *L) {
	const uint8_t *data;
	size_t size;
	if (lua_isnoneornil(L, 1))
		return 0;
	switch (lua_type(L, 1)) {
	case LUA_TSTRING:
		data = (const uint8_t *)lua_tolstring(L, 1, &size);
		break;
	case LUA_TLIGHTUSERDATA:
	case LUA_TUSERDATA: {
		/* a pointer and its size; a full userdata knows its own size */
		lua_Integer sz = luaL_checkinteger(L, 2);
		data = lua_touserdata(L, 1);
		luaL_argcheck(L, sz >= 0, 2, "negative size");
		luaL_argcheck(L, data != NULL || sz == 0, 2, "size of a NULL pointer");
		if (lua_type(L, 1) == LUA_TUSERDATA)
			luaL_argcheck(L, (lua_Unsigned)sz <= lua_rawlen(L, 1), 2, "larger than the userdata");
		size = (size_t)sz;
		break;
	}
	default:
		return luaL_typeerror(L, 1, "string or userdata");
	}
	if (size == 0)
		return 0;
	struct reader r = { L, data, data + size };
	int base = lua_gettop(L);
	while (r.p < r.end) {
		luaL_checkstack(L, 1, "too many values to unpack");
		read_value(&r, 0);
	}
	return lua_gettop(L) - base;
}
