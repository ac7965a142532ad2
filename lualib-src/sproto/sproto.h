/*
** sproto: a schema (types and protocols) loaded from the binary form that
** sprotoparser produces, and the pieces of the wire format shared by the
** schema loader and the Lua binding.
**
** Wire format of a struct (little-endian):
**   u16 n                 number of field records
**   u16 record[n]         0: the value is the next blob of the data part
**                         even v: an inline value v/2-1 for the next tag
**                         odd v:  skip (v+1)/2 tags
**   data part             one blob (u32 length + bytes) per 0 record
*/
#ifndef SPROTO_H
#define SPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* builtin kinds, as numbered in the binary schema */
enum sproto_kind {
	SPROTO_INTEGER = 0,
	SPROTO_BOOLEAN = 1,
	SPROTO_STRING = 2,
	SPROTO_DOUBLE = 3,
	SPROTO_STRUCT = 4,
};

#define SPROTO_REQUEST 0
#define SPROTO_RESPONSE 1

struct sproto_type;

struct sproto_field {
	const char *name;
	int tag;
	enum sproto_kind kind;
	bool array;
	bool binary;                /* a string declared as binary */
	int64_t decimal;            /* integer(n): 10^n, 0 for a plain integer */
	struct sproto_type *sub;    /* kind SPROTO_STRUCT */
	int key;                    /* *Type(key): tag of the main index in sub, or -1 */
	bool map;                   /* *Type(): sub's first two fields are key and value */
};

struct sproto_type {
	const char *name;
	int nfield;
	int maxrecords;             /* records needed when every field is set (gaps included) */
	int base;                   /* tag of field[0] when tags are contiguous, else -1 */
	struct sproto_field *field; /* ascending tags */
};

struct sproto_protocol {
	const char *name;
	int tag;
	bool confirm;               /* "response nil": answered without content */
	struct sproto_type *type[2]; /* SPROTO_REQUEST, SPROTO_RESPONSE */
};

struct sproto {
	int ntype;
	int nprotocol;
	struct sproto_type *type;
	struct sproto_protocol *protocol; /* ascending tags */
	struct sproto_arena *arena;
};

struct sproto *sproto_create(const void *bin, size_t sz);
void sproto_release(struct sproto *sp);
struct sproto_type *sproto_type(const struct sproto *sp, const char *name);
const struct sproto_protocol *sproto_protocol_bytag(const struct sproto *sp, int tag);
const struct sproto_protocol *sproto_protocol_byname(const struct sproto *sp, const char *name);
const struct sproto_field *sproto_field(const struct sproto_type *t, int tag);

/* Reading the records of one encoded struct. */
struct sproto_reader {
	const uint8_t *record;
	int nrecord;
	int next;                   /* index of the next record */
	int tag;                    /* tag of the last field returned */
	const uint8_t *data;        /* unread part of the data section */
	size_t left;                /* its size */
};

struct sproto_value {
	int tag;
	bool is_inline;
	uint32_t number;            /* inline value */
	const uint8_t *blob;        /* otherwise: the blob's bytes */
	uint32_t len;
};

/* 0 on success, -1 when the buffer cannot hold the header */
int sproto_reader_init(struct sproto_reader *r, const uint8_t *buf, size_t sz);
/* 1: *v holds the next field; 0: no more fields; -1: malformed */
int sproto_reader_next(struct sproto_reader *r, struct sproto_value *v);

static inline uint32_t sproto_u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t sproto_u32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* 0-packing (see sproto_pack.c): sizes of the outputs, then the transforms */
size_t sproto_pack_bound(size_t sz);
size_t sproto_pack(const uint8_t *src, size_t sz, uint8_t *out);
/* size of the unpacked form, or -1 when src is truncated */
long long sproto_unpacked_size(const uint8_t *src, size_t sz);
void sproto_unpack(const uint8_t *src, size_t sz, uint8_t *out);

#endif
