/*
 * Reading BSON bytes safely: every read checks what is left, and
 * bson_value_size knows the wire size of each type, validating on the way
 * (lengths that run past their container, missing terminators, booleans
 * other than 0 and 1, nesting past BSON_MAX_DEPTH). Malformed input is a
 * Lua error, never a read outside the buffer.
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

#include <string.h>

static int invalid_block(lua_State *L, const char *what) {
	return luaL_error(L, "Invalid bson block : %s", what);
}

const uint8_t *bson_take(lua_State *L, struct bson_reader *r, size_t n) {
	if (r->left < n)
		invalid_block(L, "truncated");
	const uint8_t *p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

const char *bson_read_cstring(lua_State *L, struct bson_reader *r, size_t *len) {
	const uint8_t *end = memchr(r->p, 0, r->left);
	if (end == NULL)
		invalid_block(L, "cstring");
	*len = (size_t)(end - r->p);
	return (const char *)bson_take(L, r, *len + 1);
}

/* the length in a document's header, checked against what is available
 * and against the trailing 0 byte */
size_t bson_document_length(lua_State *L, const uint8_t *p, size_t avail) {
	if (avail < 5)
		invalid_block(L, "document too short");
	int32_t len = (int32_t)bson_get_u32(p);
	if (len < 5 || (size_t)len > avail)
		luaL_error(L, "Invalid bson block (%d:%d)", (int)len, (int)(avail > INT32_MAX ? INT32_MAX : avail));
	if (p[len - 1] != 0)
		invalid_block(L, "document end");
	return (size_t)len;
}

/* int32 length, bytes, 0: strings, JavaScript code, symbols */
static size_t string_size(lua_State *L, const uint8_t *p, size_t avail) {
	if (avail < 4)
		invalid_block(L, "truncated");
	int32_t n = (int32_t)bson_get_u32(p);
	if (n < 1 || (size_t)n > avail - 4)
		luaL_error(L, "Invalid bson string , length = %d", (int)n);
	if (p[4 + n - 1] != 0)
		invalid_block(L, "string end");
	return 4 + (size_t)n;
}

static size_t fixed_size(lua_State *L, size_t n, size_t avail) {
	if (avail < n)
		invalid_block(L, "truncated");
	return n;
}

/* int32 total, string, document: the total must match its parts */
static size_t code_with_scope_size(lua_State *L, const uint8_t *p, size_t avail, int depth) {
	if (avail < 4)
		invalid_block(L, "truncated");
	int32_t total = (int32_t)bson_get_u32(p);
	if (total < 4 + 5 + 5 || (size_t)total > avail)
		invalid_block(L, "code with scope length");
	size_t code = string_size(L, p + 4, (size_t)total - 4);
	size_t rest = (size_t)total - 4 - code;
	if (bson_document_size(L, p + 4 + code, rest, depth + 1) != rest)
		invalid_block(L, "code with scope length");
	return (size_t)total;
}

static size_t regex_size(lua_State *L, const uint8_t *p, size_t avail) {
	struct bson_reader r = { p, avail };
	size_t len;
	bson_read_cstring(L, &r, &len);
	bson_read_cstring(L, &r, &len);
	return avail - r.left;
}

/* the size of a value of `type` at p, inside a document nested `depth` deep */
size_t bson_value_size(lua_State *L, int type, const uint8_t *p, size_t avail, int depth) {
	switch (type) {
	case BSON_DOUBLE:
	case BSON_DATE:
	case BSON_TIMESTAMP:
	case BSON_INT64:
		return fixed_size(L, 8, avail);
	case BSON_INT32:
		return fixed_size(L, 4, avail);
	case BSON_OBJECTID:
		return fixed_size(L, BSON_OBJECTID_SIZE, avail);
	case BSON_DECIMAL128:
		return fixed_size(L, 16, avail);
	case BSON_BOOLEAN:
		fixed_size(L, 1, avail);
		if (p[0] > 1)
			luaL_error(L, "Invalid bson boolean : %d", p[0]);
		return 1;
	case BSON_NULL:
	case BSON_MINKEY:
	case BSON_MAXKEY:
		return 0;
	case BSON_STRING:
	case BSON_JSCODE:
	case BSON_SYMBOL:
		return string_size(L, p, avail);
	case BSON_DBPOINTER: {
		size_t name = string_size(L, p, avail);
		return name + fixed_size(L, BSON_OBJECTID_SIZE, avail - name);
	}
	case BSON_DOCUMENT:
	case BSON_ARRAY:
		return bson_document_size(L, p, avail, depth + 1);
	case BSON_BINARY: {
		fixed_size(L, 5, avail);
		int32_t n = (int32_t)bson_get_u32(p);
		if (n < 0 || (size_t)n > avail - 5)
			luaL_error(L, "Invalid bson binary , length = %d", (int)n);
		return 5 + (size_t)n;
	}
	case BSON_REGEX:
		return regex_size(L, p, avail);
	case BSON_CODEWS:
		return code_with_scope_size(L, p, avail, depth);
	default:
		return (size_t)luaL_error(L, "Invalid bson type : %d", type);
	}
}

/* validates a whole document (nested `depth` deep) and returns its length */
size_t bson_document_size(lua_State *L, const uint8_t *p, size_t avail, int depth) {
	if (depth > BSON_MAX_DEPTH)
		luaL_error(L, "Too depth while decoding bson");
	size_t len = bson_document_length(L, p, avail);
	struct bson_reader r = { p + 4, len - 5 };
	while (r.left > 0) {
		int type = *bson_take(L, &r, 1);
		size_t klen;
		bson_read_cstring(L, &r, &klen);
		bson_take(L, &r, bson_value_size(L, type, r.p, r.left, depth));
	}
	return len;
}
