/*
 * Our skynet.pack bytes (see lua-seri.c) <-> skynet's, converted value by
 * value without building Lua values, so cluster payloads are what a skynet
 * node sends and expects.
 *
 * skynet's format: each value starts with a byte type | cookie << 3.
 *   type 0 nil; 1 boolean (cookie: the value); 3 pointer (8 bytes)
 *   type 2 number: cookie 0 zero, 1 uint8, 2 uint16, 4 int32, 6 int64,
 *          8 double (little-endian)
 *   type 4 string of cookie bytes (< 32); type 5 string with a uint16
 *          (cookie 2) or uint32 (cookie 4) length
 *   type 6 table: cookie is the array length, or 31 followed by the length
 *          as a number; then the array values, key/value pairs, nil
 * skynet writes an integer in the smallest of those forms, negative ones as
 * int32 or int64; tables nest at most 32 deep.
 */
#include "seri-skynet.h"
#include "skynet_malloc.h"

#include <string.h>

#define MAX_DEPTH 32

/* ours: tag = kind << 5 | imm, imm >= 28: the number follows in 1 << (imm - 28) bytes */
enum { KIND_ATOM, KIND_UINT, KIND_NINT, KIND_STRING, KIND_TABLE };
enum { ATOM_NIL, ATOM_FALSE, ATOM_TRUE, ATOM_FLOAT, ATOM_POINTER };
#define IMM_INLINE 28
#define TAG(kind, imm) ((uint8_t)((kind) << 5 | (imm)))

/* skynet's */
enum { SK_NIL, SK_BOOLEAN, SK_NUMBER, SK_POINTER, SK_SHORT_STRING, SK_LONG_STRING, SK_TABLE };
enum { SK_ZERO = 0, SK_BYTE = 1, SK_WORD = 2, SK_DWORD = 4, SK_QWORD = 6, SK_REAL = 8 };
#define SK_TYPE(t, cookie) ((uint8_t)((t) | (cookie) << 3))
#define SK_SHORT_MAX 32 /* strings shorter than this and arrays shorter than 31 fit the cookie */

struct conv {
	const uint8_t *p, *end;
	struct seri_out *out;
	const char *err;
};

static int fail(struct conv *c, const char *why) {
	if (c->err == NULL)
		c->err = why;
	return -1;
}

/* room for n more bytes */
static uint8_t *room(struct conv *c, size_t n) {
	struct seri_out *o = c->out;
	if (o->cap - o->len < n) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		while (cap - o->len < n)
			cap *= 2;
		uint8_t *data = skynet_realloc(o->data, cap);
		if (data == NULL) {
			fail(c, "out of memory");
			return NULL;
		}
		o->data = data;
		o->cap = cap;
	}
	return o->data + o->len;
}

static int put(struct conv *c, const void *src, size_t n) {
	uint8_t *p = room(c, n);
	if (p == NULL)
		return -1;
	if (n > 0)
		memcpy(p, src, n);
	c->out->len += n;
	return 0;
}

static int put_byte(struct conv *c, uint8_t b) {
	return put(c, &b, 1);
}

/* a little-endian number of the given width */
static int put_le(struct conv *c, uint8_t head, uint64_t v, int bytes) {
	uint8_t buf[9];
	buf[0] = head;
	for (int i = 0; i < bytes; i++)
		buf[1 + i] = (uint8_t)(v >> (8 * i));
	return put(c, buf, (size_t)bytes + 1);
}

static const uint8_t *take(struct conv *c, size_t n) {
	if ((size_t)(c->end - c->p) < n) {
		fail(c, "truncated");
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

static int take_le(struct conv *c, int bytes, uint64_t *v) {
	const uint8_t *p = take(c, (size_t)bytes);
	if (p == NULL)
		return -1;
	*v = 0;
	for (int i = 0; i < bytes; i++)
		*v |= (uint64_t)p[i] << (8 * i);
	return 0;
}

/* ---- ours -> skynet ---- */

static int sk_integer(struct conv *c, int64_t v) {
	if (v == 0)
		return put_byte(c, SK_TYPE(SK_NUMBER, SK_ZERO));
	if (v != (int32_t)v)
		return put_le(c, SK_TYPE(SK_NUMBER, SK_QWORD), (uint64_t)v, 8);
	if (v < 0)
		return put_le(c, SK_TYPE(SK_NUMBER, SK_DWORD), (uint32_t)(int32_t)v, 4);
	if (v < 0x100)
		return put_le(c, SK_TYPE(SK_NUMBER, SK_BYTE), (uint64_t)v, 1);
	if (v < 0x10000)
		return put_le(c, SK_TYPE(SK_NUMBER, SK_WORD), (uint64_t)v, 2);
	return put_le(c, SK_TYPE(SK_NUMBER, SK_DWORD), (uint64_t)v, 4);
}

static int sk_string(struct conv *c, uint64_t len) {
	const uint8_t *s = take(c, len);
	if (s == NULL)
		return -1;
	int r;
	if (len < SK_SHORT_MAX)
		r = put_byte(c, SK_TYPE(SK_SHORT_STRING, len));
	else if (len < 0x10000)
		r = put_le(c, SK_TYPE(SK_LONG_STRING, 2), len, 2);
	else if (len <= UINT32_MAX)
		r = put_le(c, SK_TYPE(SK_LONG_STRING, 4), len, 4);
	else
		r = fail(c, "string too long");
	return r ? r : put(c, s, len);
}

/* the number carried by one of our tags */
static int our_number(struct conv *c, unsigned imm, uint64_t *n) {
	if (imm < IMM_INLINE) {
		*n = imm;
		return 0;
	}
	return take_le(c, 1 << (imm - IMM_INLINE), n);
}

static int to_skynet_value(struct conv *c, int depth);

static int sk_table(struct conv *c, uint64_t arraylen, int depth) {
	if (depth > MAX_DEPTH)
		return fail(c, "too deep");
	if (arraylen > (uint64_t)(c->end - c->p) || take(c, 1) == NULL) /* the hash size hint */
		return fail(c, "truncated");
	int r = arraylen < SK_SHORT_MAX - 1
		? put_byte(c, SK_TYPE(SK_TABLE, arraylen))
		: put_byte(c, SK_TYPE(SK_TABLE, SK_SHORT_MAX - 1)) || sk_integer(c, (int64_t)arraylen);
	for (uint64_t i = 0; r == 0 && i < arraylen; i++)
		r = to_skynet_value(c, depth);
	while (r == 0) {
		if (c->p < c->end && *c->p == TAG(KIND_ATOM, ATOM_NIL)) {
			c->p++;
			return put_byte(c, SK_TYPE(SK_NIL, 0));
		}
		r = to_skynet_value(c, depth) || to_skynet_value(c, depth);
	}
	return -1;
}

static int to_skynet_atom(struct conv *c, unsigned imm) {
	uint64_t bits;
	switch (imm) {
	case ATOM_NIL:
		return put_byte(c, SK_TYPE(SK_NIL, 0));
	case ATOM_FALSE:
	case ATOM_TRUE:
		return put_byte(c, SK_TYPE(SK_BOOLEAN, imm == ATOM_TRUE));
	case ATOM_FLOAT:
		return take_le(c, 8, &bits) || put_le(c, SK_TYPE(SK_NUMBER, SK_REAL), bits, 8);
	case ATOM_POINTER:
		return take_le(c, 8, &bits) || put_le(c, SK_TYPE(SK_POINTER, 0), bits, 8);
	default:
		return fail(c, "unknown value");
	}
}

static int to_skynet_value(struct conv *c, int depth) {
	const uint8_t *t = take(c, 1);
	if (t == NULL)
		return -1;
	unsigned imm = *t & 31;
	uint64_t n;
	if ((*t >> 5) == KIND_ATOM)
		return to_skynet_atom(c, imm);
	if (our_number(c, imm, &n))
		return -1;
	switch (*t >> 5) {
	case KIND_UINT:
		return n > INT64_MAX ? fail(c, "integer out of range") : sk_integer(c, (int64_t)n);
	case KIND_NINT:
		return n > INT64_MAX ? fail(c, "integer out of range") : sk_integer(c, -1 - (int64_t)n);
	case KIND_STRING:
		return sk_string(c, n);
	case KIND_TABLE:
		return sk_table(c, n, depth + 1);
	default:
		return fail(c, "unknown value");
	}
}

/* ---- skynet -> ours ---- */

static int our_tagged(struct conv *c, int kind, uint64_t n) {
	if (n < IMM_INLINE)
		return put_byte(c, TAG(kind, n));
	if (n <= UINT8_MAX)
		return put_le(c, TAG(kind, IMM_INLINE), n, 1);
	if (n <= UINT16_MAX)
		return put_le(c, TAG(kind, IMM_INLINE + 1), n, 2);
	if (n <= UINT32_MAX)
		return put_le(c, TAG(kind, IMM_INLINE + 2), n, 4);
	return put_le(c, TAG(kind, IMM_INLINE + 3), n, 8);
}

static int our_integer(struct conv *c, int64_t v) {
	if (v >= 0)
		return our_tagged(c, KIND_UINT, (uint64_t)v);
	return our_tagged(c, KIND_NINT, ~(uint64_t)v); /* -1 - v */
}

/* a skynet integer with the given cookie */
static int sk_read_integer(struct conv *c, unsigned cookie, int64_t *v) {
	uint64_t n;
	switch (cookie) {
	case SK_ZERO:
		*v = 0;
		return 0;
	case SK_BYTE:
	case SK_WORD:
		if (take_le(c, (int)cookie, &n))
			return -1;
		*v = (int64_t)n;
		return 0;
	case SK_DWORD:
		if (take_le(c, 4, &n))
			return -1;
		*v = (int32_t)(uint32_t)n;
		return 0;
	case SK_QWORD:
		if (take_le(c, 8, &n))
			return -1;
		*v = (int64_t)n;
		return 0;
	default:
		return fail(c, "bad number");
	}
}

static int from_skynet_value(struct conv *c, int depth);

/* our hint of the hash part's size: 0 for none, else h with n <= 2^(h-1) */
static uint8_t hash_hint(size_t n) {
	uint8_t h = 0;
	if (n > 0)
		for (h = 1; ((size_t)1 << (h - 1)) < n; h++)
			;
	return h;
}

static int our_table(struct conv *c, unsigned cookie, int depth) {
	if (depth > MAX_DEPTH)
		return fail(c, "too deep");
	int64_t arraylen = cookie;
	if (cookie == SK_SHORT_MAX - 1) {
		const uint8_t *t = take(c, 1);
		if (t == NULL || (*t & 7) != SK_NUMBER || sk_read_integer(c, *t >> 3, &arraylen))
			return fail(c, "bad array length");
	}
	if (arraylen < 0 || (uint64_t)arraylen > (uint64_t)(c->end - c->p))
		return fail(c, "bad array length");
	if (our_tagged(c, KIND_TABLE, (uint64_t)arraylen) || put_byte(c, 0))
		return -1;
	size_t hint_at = c->out->len - 1;
	for (int64_t i = 0; i < arraylen; i++) {
		if (from_skynet_value(c, depth))
			return -1;
	}
	size_t npair = 0;
	for (;;) {
		if (c->p < c->end && (*c->p & 7) == SK_NIL) {
			c->p++;
			c->out->data[hint_at] = hash_hint(npair);
			return put_byte(c, TAG(KIND_ATOM, ATOM_NIL));
		}
		if (from_skynet_value(c, depth) || from_skynet_value(c, depth))
			return -1;
		npair++;
	}
}

static int from_skynet_value(struct conv *c, int depth) {
	const uint8_t *t = take(c, 1);
	if (t == NULL)
		return -1;
	unsigned cookie = *t >> 3;
	uint64_t n;
	int64_t v;
	switch (*t & 7) {
	case SK_NIL:
		return put_byte(c, TAG(KIND_ATOM, ATOM_NIL));
	case SK_BOOLEAN:
		return put_byte(c, TAG(KIND_ATOM, cookie ? ATOM_TRUE : ATOM_FALSE));
	case SK_NUMBER:
		if (cookie == SK_REAL)
			return take_le(c, 8, &n) || put_le(c, TAG(KIND_ATOM, ATOM_FLOAT), n, 8);
		return sk_read_integer(c, cookie, &v) || our_integer(c, v);
	case SK_POINTER:
		return take_le(c, 8, &n) || put_le(c, TAG(KIND_ATOM, ATOM_POINTER), n, 8);
	case SK_SHORT_STRING:
		n = cookie;
		break;
	case SK_LONG_STRING:
		if (cookie != 2 && cookie != 4)
			return fail(c, "bad string length");
		if (take_le(c, (int)cookie, &n))
			return -1;
		break;
	case SK_TABLE:
		return our_table(c, cookie, depth + 1);
	default:
		return fail(c, "unknown value");
	}
	const uint8_t *s = take(c, n);
	if (s == NULL)
		return -1;
	return our_tagged(c, KIND_STRING, n) || put(c, s, n);
}

/* ---- both ---- */

static const char *convert(const uint8_t *in, size_t sz, struct seri_out *out, int (*value)(struct conv *, int)) {
	struct conv c = { in, in + sz, out, NULL };
	out->data = NULL;
	out->len = out->cap = 0;
	while (c.p < c.end) {
		if (value(&c, 0)) {
			skynet_free(out->data);
			out->data = NULL;
			out->len = out->cap = 0;
			return c.err ? c.err : "invalid";
		}
	}
	return NULL;
}

const char *seri_to_skynet(const uint8_t *in, size_t sz, struct seri_out *out) {
	return convert(in, sz, out, to_skynet_value);
}

const char *seri_from_skynet(const uint8_t *in, size_t sz, struct seri_out *out) {
	return convert(in, sz, out, from_skynet_value);
}
