/*
 * The bson module's shared pieces (luaclib/bson.so, `require "bson"`).
 *
 * BSON (bsonspec.org) is a little-endian binary document format: a
 * document is an int32 total length, a list of elements (a type byte, a
 * NUL-terminated key, the value) and a 0 byte.
 *
 * Lua sees plain numbers, booleans, strings and tables; every other BSON
 * value is a "special" string: a 0 byte, the BSON type byte and a payload.
 * For most types the payload is exactly the value's bytes on the wire
 * (objectid, date, timestamp, int64, decimal128, regex, JavaScript code,
 * symbol, DBPointer, code with scope); a binary's payload is its subtype
 * byte and the data; null, minkey and maxkey have none. These strings
 * compare equal when the values are equal and are written back unchanged.
 */
#ifndef BSON_H
#define BSON_H

#include <lua.h>

#include <stddef.h>
#include <stdint.h>

enum bson_type {
	BSON_DOUBLE = 0x01,
	BSON_STRING = 0x02,
	BSON_DOCUMENT = 0x03,
	BSON_ARRAY = 0x04,
	BSON_BINARY = 0x05,
	BSON_UNDEFINED = 0x06, /* deprecated: refused */
	BSON_OBJECTID = 0x07,
	BSON_BOOLEAN = 0x08,
	BSON_DATE = 0x09, /* int64 milliseconds since the Unix epoch */
	BSON_NULL = 0x0A,
	BSON_REGEX = 0x0B,
	BSON_DBPOINTER = 0x0C,
	BSON_JSCODE = 0x0D,
	BSON_SYMBOL = 0x0E,
	BSON_CODEWS = 0x0F,
	BSON_INT32 = 0x10,
	BSON_TIMESTAMP = 0x11, /* uint32 increment, then uint32 seconds */
	BSON_INT64 = 0x12,
	BSON_DECIMAL128 = 0x13,
	BSON_MAXKEY = 0x7F,
	BSON_MINKEY = 0xFF,
};

/* nesting limit for encoding and decoding: cycles and hostile input
 * end in an error instead of a C stack overflow */
#define BSON_MAX_DEPTH 128
#define BSON_OBJECTID_SIZE 12
#define BSON_METATABLE "bson"

static inline uint32_t bson_get_u32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t bson_get_u64(const uint8_t *p) {
	return (uint64_t)bson_get_u32(p) | (uint64_t)bson_get_u32(p + 4) << 32;
}

static inline void bson_put_u32(uint8_t *p, uint32_t v) {
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void bson_put_u64(uint8_t *p, uint64_t v) {
	bson_put_u32(p, (uint32_t)v);
	bson_put_u32(p + 4, (uint32_t)(v >> 32));
}

/* bson_wire.c: reading bytes, every read bounds-checked (a short or
 * inconsistent input raises a Lua error) */
struct bson_reader {
	const uint8_t *p;
	size_t left;
};

const uint8_t *bson_take(lua_State *L, struct bson_reader *r, size_t n);
const char *bson_read_cstring(lua_State *L, struct bson_reader *r, size_t *len);
size_t bson_document_length(lua_State *L, const uint8_t *p, size_t avail);
size_t bson_value_size(lua_State *L, int type, const uint8_t *p, size_t avail, int depth);
size_t bson_document_size(lua_State *L, const uint8_t *p, size_t avail, int depth);

/* bson_encode.c */
int bson_lencode(lua_State *L);
int bson_lencode_order(lua_State *L);

/* bson_decode.c */
int bson_ldecode(lua_State *L);

/* bson_object.c: the encoded document, a userdata holding the bytes */
void bson_object_push(lua_State *L, const uint8_t *bytes, size_t size);
const uint8_t *bson_object_bytes(lua_State *L, int idx, size_t *size);
void bson_object_register(lua_State *L);

/* bson_values.c: the special values */
void bson_push_special(lua_State *L, int type, const void *payload, size_t n);
void bson_values_register(lua_State *L);

#endif
