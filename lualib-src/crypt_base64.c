/*
 * crypt.base64encode(s) / crypt.base64decode(s): RFC 4648 base64, standard
 * alphabet, with '=' padding on output.
 *
 * Decoding is lenient the way skynet's is, so the same texts are accepted:
 * bytes outside the alphabet (spaces, newlines, ...) are skipped, and a last
 * group cut short is completed with '='. Groups are read four symbols at a
 * time; a group with padding may be followed by more groups. Errors
 * ("Invalid base64 text"): more than two '=' in a group, '=' before a data
 * symbol, leftover bits that are not zero, or stray bytes after the last
 * complete group that form no symbol at all.
 */
#define LUA_LIB

#include "crypt.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdbool.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum { SKIP = -1, PAD = -2 };

int crypt_base64encode(lua_State *L) {
	size_t n;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &n);
	size_t outlen = (n + 2) / 3 * 4;
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, outlen);
	size_t i = 0, o = 0;
	for (; i + 3 <= n; i += 3, o += 4) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o] = alphabet[v >> 18];
		out[o + 1] = alphabet[(v >> 12) & 63];
		out[o + 2] = alphabet[(v >> 6) & 63];
		out[o + 3] = alphabet[v & 63];
	}
	if (i < n) {
		bool two = i + 2 == n;
		uint32_t v = (uint32_t)s[i] << 16 | (two ? (uint32_t)s[i + 1] << 8 : 0);
		out[o] = alphabet[v >> 18];
		out[o + 1] = alphabet[(v >> 12) & 63];
		out[o + 2] = two ? alphabet[(v >> 6) & 63] : '=';
		out[o + 3] = '=';
	}
	luaL_pushresultsize(&b, outlen);
	return 1;
}

static int symbol_value(uint8_t c) {
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+': return 62;
	case '/': return 63;
	case '=': return PAD;
	default: return SKIP;
	}
}

/* writes the 0 to 3 bytes of one group of four symbols; -1 if malformed */
static int decode_group(const int q[4], char *out) {
	if (q[0] < 0 || q[1] < 0)
		return -1;
	if (q[2] == PAD) {
		if (q[3] != PAD || (q[1] & 15) != 0)
			return -1;
		out[0] = (char)(q[0] << 2 | q[1] >> 4);
		return 1;
	}
	if (q[3] == PAD) {
		if (q[2] < 0 || (q[2] & 3) != 0)
			return -1;
		uint32_t v = (uint32_t)q[0] << 10 | (uint32_t)q[1] << 4 | (uint32_t)q[2] >> 2;
		out[0] = (char)(v >> 8);
		out[1] = (char)v;
		return 2;
	}
	if (q[2] < 0 || q[3] < 0)
		return -1;
	uint32_t v = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 | (uint32_t)q[3];
	out[0] = (char)(v >> 16);
	out[1] = (char)(v >> 8);
	out[2] = (char)v;
	return 3;
}

int crypt_base64decode(lua_State *L) {
	size_t n;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &n);
	luaL_Buffer b;
	/* every group of 4 symbols comes from at least 4 bytes; a short last one from 2 or 3 */
	char *out = luaL_buffinitsize(L, &b, (n + 3) / 4 * 3);
	size_t o = 0;
	int q[4], have = 0;
	bool open = false; /* bytes read since the last complete group */
	for (size_t i = 0; i < n; i++) {
		int v = symbol_value(s[i]);
		open = true;
		if (v == SKIP)
			continue;
		q[have++] = v;
		if (have == 4) {
			int got = decode_group(q, out + o);
			if (got < 0)
				return luaL_error(L, "Invalid base64 text");
			o += (size_t)got;
			have = 0;
			open = false;
		}
	}
	if (open) {
		while (have < 4)
			q[have++] = PAD;
		int got = decode_group(q, out + o);
		if (got < 0)
			return luaL_error(L, "Invalid base64 text");
		o += (size_t)got;
	}
	luaL_pushresultsize(&b, o);
	return 1;
}
