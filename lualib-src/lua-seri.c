/*
 * Serialisation of Lua values for skynet.pack / skynet.unpack, in skynet's
 * byte format, so packed messages cross cluster and harbor links unchanged.
 *
 * Each value starts with a byte: type | cookie << 3 (type 0..6, cookie 0..31).
 * Numbers that follow are little-endian.
 *
 *   type 0  nil
 *   type 1  boolean     cookie 0 false, 1 true
 *   type 2  number      cookie 0: the integer 0; 1: a uint8, 2: a uint16,
 *                       4: an int32, 6: an int64 follows; 8: a double follows
 *   type 3  pointer     a lightuserdata: the pointer's bytes follow
 *   type 4  string      cookie = length (0..31); the bytes follow
 *   type 5  string      cookie 2: a uint16 length, 4: a uint32 length; bytes
 *   type 6  table       cookie = length of the array part (0..30), or 31 and
 *                       the length follows as a number value; then the array
 *                       values 1..length, key/value pairs, nil
 *
 * An integer takes the shortest of: 0, a uint8, a uint16, an int32 (any
 * negative that fits, or a positive up to 2^31-1), an int64.
 *
 * Packing writes into a block on the C stack first, so a small message costs
 * one allocation: the final buffer. Further blocks are Lua userdata, so an
 * error in the middle (an unsupported value, a failing __pairs) leaves only
 * garbage for the collector, never a leak.  A long string is not copied
 * into a block: the chain of blocks keeps a reference to it, and its bytes
 * are copied once, into the final buffer.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>

#include "skynet_malloc.h"
#include "lua-seri.h"

/* A value inside more tables than this is refused: 33 nested tables pack,
 * anything inside the 33rd does not (skynet's limit, checked on both sides) */
#define MAX_DEPTH 32
#define FIRST_BLOCK 128  /* bytes packed without any Lua allocation */
#define MIN_BLOCK 256
#define OWN_BLOCKS 64    /* sizes double, so 64 blocks exceed any address space */
#define BORROW_MIN 4096  /* strings this long are referenced, not copied to a block */
#define MAX_BORROWED 32  /* later long strings are copied */
#define MAX_BLOCKS (OWN_BLOCKS + 2 * MAX_BORROWED) /* a string, then the rest of a block */

enum { T_NIL, T_BOOLEAN, T_NUMBER, T_POINTER, T_SHORT_STRING, T_LONG_STRING, T_TABLE };
/* number cookies: how the number follows */
enum { N_ZERO = 0, N_UINT8 = 1, N_UINT16 = 2, N_INT32 = 4, N_INT64 = 6, N_DOUBLE = 8 };

#define TAG(type, cookie) ((uint8_t)((type) | (cookie) << 3))
#define SHORT_STRING_MAX 31
#define ARRAY_COOKIE_MAX 31 /* this cookie says the array length follows */

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
	size_t owned;     /* the size of the newest block of our own */
	int nblock;       /* the last one is current */
	int borrowed;     /* blocks that are strings' bytes */
	struct block block[MAX_BLOCKS];
	uint8_t first[FIRST_BLOCK];
};

static void writer_init(struct writer *w, lua_State *L, int anchor) {
	w->L = L;
	w->anchor = anchor;
	w->p = w->first;
	w->end = w->first + FIRST_BLOCK;
	w->owned = FIRST_BLOCK;
	w->nblock = 1;
	w->borrowed = 0;
	w->block[0].data = w->first;
}

/* notes how much of the current block is used, before another starts */
static void close_block(struct writer *w) {
	struct block *cur = &w->block[w->nblock - 1];
	cur->len = (size_t)(w->p - cur->data);
}

/* Links the value on the stack top (a new block, or a string referenced)
 * to the chain: each link's first user value is the link before, so the
 * anchor slot keeps them all alive.  Pops it. */
static void chain(struct writer *w) {
	lua_State *L = w->L;
	lua_pushvalue(L, w->anchor);
	lua_setiuservalue(L, -2, 1);
	lua_replace(L, w->anchor);
}

/* Starts a block of at least need bytes. */
static void new_block(struct writer *w, size_t need) {
	lua_State *L = w->L;
	size_t size = w->owned * 2;
	if (size < MIN_BLOCK)
		size = MIN_BLOCK;
	if (size < need)
		size = need;
	if (w->nblock == MAX_BLOCKS)
		luaL_error(L, "serialize: message too large");
	close_block(w);
	uint8_t *data = lua_newuserdatauv(L, size, 1);
	chain(w);
	w->block[w->nblock++].data = data;
	w->p = data;
	w->end = data + size;
	w->owned = size;
}

/* Makes the string at idx (len bytes at s) a block of its own, referenced
 * from the chain (a __pairs iterator's string may live nowhere else);
 * writing goes on in the rest of the current block.  False when the
 * string must be copied instead. */
static int borrow_string(struct writer *w, int idx, const char *s, size_t len) {
	if (len < BORROW_MIN || w->borrowed == MAX_BORROWED)
		return 0;
	lua_State *L = w->L;
	close_block(w);
	lua_newuserdatauv(L, 0, 2);
	lua_pushvalue(L, idx);
	lua_setiuservalue(L, -2, 2);
	chain(w);
	struct block *b = &w->block[w->nblock++];
	b->data = (uint8_t *)s; /* only read, when gathered */
	b->len = len;
	w->borrowed++;
	w->block[w->nblock++].data = w->p;
	return 1;
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

/* a tag byte and the low bytes of v after it */
static inline void write_tagged(struct writer *w, uint8_t tag, uint64_t v, int bytes) {
	uint8_t *p = reserve(w, 9);
	*p = tag;
	w->p = put_le(p + 1, v, bytes);
}

static void write_integer(struct writer *w, lua_Integer v) {
	if (v == 0)
		write_byte(w, TAG(T_NUMBER, N_ZERO));
	else if (v < INT32_MIN || v > INT32_MAX)
		write_tagged(w, TAG(T_NUMBER, N_INT64), (uint64_t)v, 8);
	else if (v < 0 || v > UINT16_MAX)
		write_tagged(w, TAG(T_NUMBER, N_INT32), (uint64_t)v, 4);
	else if (v > UINT8_MAX)
		write_tagged(w, TAG(T_NUMBER, N_UINT16), (uint64_t)v, 2);
	else
		write_tagged(w, TAG(T_NUMBER, N_UINT8), (uint64_t)v, 1);
}

static void write_float(struct writer *w, lua_Number d) {
	uint64_t bits;
	memcpy(&bits, &d, sizeof bits);
	write_tagged(w, TAG(T_NUMBER, N_DOUBLE), bits, 8);
}

/* idx: the string's stack slot */
static void write_string(struct writer *w, int idx, const char *s, size_t len) {
	if (len <= SHORT_STRING_MAX)
		write_byte(w, TAG(T_SHORT_STRING, len));
	else if (len <= UINT16_MAX)
		write_tagged(w, TAG(T_LONG_STRING, 2), len, 2);
	else if (len <= UINT32_MAX)
		write_tagged(w, TAG(T_LONG_STRING, 4), len, 4);
	else
		luaL_error(w->L, "serialize: string of %I bytes is too long", (lua_Integer)len);
	if (!borrow_string(w, idx, s, len))
		write_bytes(w, s, len);
}

static void pack_value(struct writer *w, int idx, int depth);

/* a table with a __pairs metamethod (on the stack top): everything is hash */
static void pack_metapairs(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	write_byte(w, TAG(T_TABLE, 0));
	lua_pushvalue(L, idx);
	lua_call(L, 1, 3); /* iterator, state, control */
	int iter = lua_gettop(L) - 2;
	for (;;) {
		lua_pushvalue(L, iter);
		lua_pushvalue(L, iter + 1);
		lua_pushvalue(L, iter + 2);
		lua_call(L, 2, 2);
		if (lua_isnil(L, -2))
			break;
		if (is_nan(L, -2))
			luaL_error(L, "serialize: table index is NaN");
		pack_value(w, iter + 3, depth);
		pack_value(w, iter + 4, depth);
		lua_pop(L, 1);
		lua_replace(L, iter + 2); /* the key is the next control value */
	}
	lua_settop(L, iter - 1);
	write_byte(w, TAG(T_NIL, 0));
}

/* depth: that of the table's values */
static void pack_table(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	if (luaL_getmetafield(L, idx, "__pairs") != LUA_TNIL) {
		pack_metapairs(w, idx, depth);
		return;
	}
	lua_Unsigned arraylen = lua_rawlen(L, idx);
	if (arraylen < ARRAY_COOKIE_MAX) {
		write_byte(w, TAG(T_TABLE, arraylen));
	} else {
		write_byte(w, TAG(T_TABLE, ARRAY_COOKIE_MAX));
		write_integer(w, (lua_Integer)arraylen);
	}
	int top = lua_gettop(L);
	for (lua_Unsigned i = 1; i <= arraylen; i++) {
		lua_rawgeti(L, idx, (lua_Integer)i);
		pack_value(w, top + 1, depth);
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		/* keys 1..arraylen went with the array part */
		if (!lua_isinteger(L, top + 1) ||
		    (lua_Unsigned)lua_tointeger(L, top + 1) - 1 >= arraylen) {
			pack_value(w, top + 1, depth);
			pack_value(w, top + 2, depth);
		}
		lua_pop(L, 1);
	}
	write_byte(w, TAG(T_NIL, 0));
}

/* idx is absolute; depth counts the tables around the value */
static void pack_value(struct writer *w, int idx, int depth) {
	lua_State *L = w->L;
	if (depth > MAX_DEPTH)
		luaL_error(L, "serialize can't pack too depth table");
	switch (lua_type(L, idx)) {
	case LUA_TNIL:
		write_byte(w, TAG(T_NIL, 0));
		break;
	case LUA_TBOOLEAN:
		write_byte(w, TAG(T_BOOLEAN, lua_toboolean(L, idx)));
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
		write_string(w, idx, s, len);
		break;
	}
	case LUA_TLIGHTUSERDATA:
		write_tagged(w, TAG(T_POINTER, 0), (uintptr_t)lua_touserdata(L, idx), sizeof(void *));
		break;
	case LUA_TTABLE:
		pack_table(w, idx, depth + 1);
		break;
	default:
		luaL_error(L, "Unsupport type %s to serialize", luaL_typename(L, idx));
	}
}

/* copies the blocks into one skynet_malloc'd buffer */
static void *writer_gather(struct writer *w, size_t *size) {
	close_block(w);
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

/* a little-endian number of the given size */
static inline uint64_t read_le(struct reader *r, int bytes) {
	const uint8_t *p = take(r, (uint64_t)bytes);
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* the integer that follows a number tag of this cookie */
static inline lua_Integer read_integer(struct reader *r, unsigned cookie) {
	switch (cookie) {
	case N_ZERO:
		return 0;
	case N_UINT8:
		return (lua_Integer)read_le(r, 1);
	case N_UINT16:
		return (lua_Integer)read_le(r, 2);
	case N_INT32:
		return (int32_t)(uint32_t)read_le(r, 4);
	case N_INT64:
		return (lua_Integer)read_le(r, 8);
	default:
		invalid(r);
		return 0;
	}
}

static void read_string(struct reader *r, uint64_t len) {
	lua_pushlstring(r->L, (const char *)take(r, len), (size_t)len);
}

static void read_value(struct reader *r, int depth);

/* pushes the next key, or returns 0 at the nil that ends a table */
static int read_key(struct reader *r, int depth) {
	lua_State *L = r->L;
	if ((*take(r, 1) & 7) == T_NIL)
		return 0;
	r->p--;
	read_value(r, depth);
	if (is_nan(L, -1))
		invalid(r);
	return 1;
}

/* the rest of a table's pairs, into the table on the stack top */
static void read_pairs(struct reader *r, int depth) {
	while (read_key(r, depth)) {
		read_value(r, depth);
		lua_rawset(r->L, -3);
	}
}

/* The stream says nothing of the hash part's size, and a table grown one key
 * at a time is rehashed at every power of two. So a small table is gathered
 * on the stack first and made at its final size. */
#define GATHERED_SLOTS 128

static void read_gathered_table(struct reader *r, int arraylen, int depth) {
	lua_State *L = r->L;
	luaL_checkstack(L, GATHERED_SLOTS + LUA_MINSTACK, NULL);
	int base = lua_gettop(L);
	for (int i = 0; i < arraylen; i++)
		read_value(r, depth);
	int npair = 0, more = 1;
	while (arraylen + 2 * npair + 2 <= GATHERED_SLOTS && (more = read_key(r, depth))) {
		read_value(r, depth);
		npair++;
	}
	lua_createtable(L, arraylen, more ? npair * 2 : npair);
	lua_rotate(L, base + 1, 1); /* the table below its values */
	/* the last pairs are set first, so of a key sent twice the first counts */
	for (int i = 0; i < npair; i++)
		lua_rawset(L, base + 1);
	for (int i = arraylen; i > 0; i--)
		lua_rawseti(L, base + 1, i);
	if (more)
		read_pairs(r, depth);
}

/* depth: that of the table's values */
static void read_table(struct reader *r, unsigned cookie, int depth) {
	lua_State *L = r->L;
	lua_Integer arraylen = cookie;
	if (cookie == ARRAY_COOKIE_MAX) {
		uint8_t tag = *take(r, 1);
		if ((tag & 7) != T_NUMBER)
			invalid(r);
		arraylen = read_integer(r, tag >> 3);
	}
	/* each value takes a byte at least: hostile lengths allocate nothing */
	if (arraylen < 0 || (uint64_t)arraylen > remaining(r) || arraylen > INT_MAX)
		invalid(r);
	if (arraylen < GATHERED_SLOTS) {
		read_gathered_table(r, (int)arraylen, depth);
		return;
	}
	luaL_checkstack(L, LUA_MINSTACK, NULL);
	lua_createtable(L, (int)arraylen, 0);
	for (lua_Integer i = 1; i <= arraylen; i++) {
		read_value(r, depth);
		lua_rawseti(L, -2, i);
	}
	read_pairs(r, depth);
}

/* pushes the next value; depth counts the tables around it */
static void read_value(struct reader *r, int depth) {
	lua_State *L = r->L;
	uint8_t tag = *take(r, 1);
	unsigned cookie = tag >> 3;
	switch (tag & 7) {
	case T_NIL:
		lua_pushnil(L);
		break;
	case T_BOOLEAN:
		lua_pushboolean(L, cookie);
		break;
	case T_NUMBER:
		if (cookie == N_DOUBLE) {
			uint64_t bits = read_le(r, 8);
			lua_Number d;
			memcpy(&d, &bits, sizeof d);
			lua_pushnumber(L, d);
		} else {
			lua_pushinteger(L, read_integer(r, cookie));
		}
		break;
	case T_POINTER:
		lua_pushlightuserdata(L, (void *)(uintptr_t)read_le(r, sizeof(void *)));
		break;
	case T_SHORT_STRING:
		read_string(r, cookie);
		break;
	case T_LONG_STRING:
		if (cookie != 2 && cookie != 4)
			invalid(r);
		read_string(r, read_le(r, (int)cookie));
		break;
	case T_TABLE:
		/* no writer nests deeper: this bounds the C stack */
		if (depth > MAX_DEPTH)
			invalid(r);
		read_table(r, cookie, depth + 1);
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
