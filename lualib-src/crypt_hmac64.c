/*
 * skynet's 64-bit MACs. Every argument and result is an 8-byte string.
 *
 *   hmac64(x, y)       one MD5 block function (RFC 1321) run from the standard
 *                      initial state, *without* the final addition of that state:
 *                      the 64-byte block is, four times over, the two halves of
 *                      x swapped then the two halves of y swapped; the result is
 *                      (c ^ d) .. (a ^ b) of the final state words.
 *   hmac64_md5(x, y)   m = md5((x .. y):rep(3)); m:sub(1,8) xor m:sub(9,16)
 *   hmac_hash(key, s)  hmac64(hashkey(s), key)
 */
#define LUA_LIB

#include "crypt.h"

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>

#include <string.h>

/* RFC 1321: T[i] = floor(2^32 * |sin(i + 1)|) */
static const uint32_t md5_t[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* rotation amounts: four per round */
static const uint8_t md5_shift[4][4] = {
	{ 7, 12, 17, 22 }, { 5, 9, 14, 20 }, { 4, 11, 16, 23 }, { 6, 10, 15, 21 },
};

static uint32_t rotl(uint32_t v, int n) {
	return v << n | v >> (32 - n);
}

/* the 64 steps of MD5 on one block of 16 words; s holds a, b, c, d */
static void md5_steps(uint32_t s[4], const uint32_t m[16]) {
	uint32_t a = s[0], b = s[1], c = s[2], d = s[3];
	for (int i = 0; i < 64; i++) {
		int round = i / 16;
		uint32_t f;
		int word;
		switch (round) {
		case 0: f = (b & c) | (~b & d); word = i; break;
		case 1: f = (d & b) | (~d & c); word = (5 * i + 1) % 16; break;
		case 2: f = b ^ c ^ d; word = (3 * i + 5) % 16; break;
		default: f = c ^ (b | ~d); word = (7 * i) % 16; break;
		}
		uint32_t next = b + rotl(a + f + md5_t[i] + m[word], md5_shift[round][i % 4]);
		a = d;
		d = c;
		c = b;
		b = next;
	}
	s[0] = a;
	s[1] = b;
	s[2] = c;
	s[3] = d;
}

static void push_words(lua_State *L, uint32_t lo, uint32_t hi) {
	uint8_t out[8];
	crypt_put_le32(out, lo);
	crypt_put_le32(out + 4, hi);
	lua_pushlstring(L, (const char *)out, 8);
}

static void hmac64(lua_State *L, const uint8_t x[8], const uint8_t y[8]) {
	uint32_t m[16];
	for (int i = 0; i < 16; i += 4) {
		m[i] = crypt_le32(x + 4);
		m[i + 1] = crypt_le32(x);
		m[i + 2] = crypt_le32(y + 4);
		m[i + 3] = crypt_le32(y);
	}
	uint32_t s[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
	md5_steps(s, m);
	push_words(L, s[2] ^ s[3], s[0] ^ s[1]);
}

static const uint8_t *check8(lua_State *L, int arg, const char *error) {
	size_t n;
	const char *s = luaL_checklstring(L, arg, &n);
	if (n != 8)
		luaL_error(L, "%s", error);
	return (const uint8_t *)s;
}

int crypt_hmac64(lua_State *L) {
	const uint8_t *x = check8(L, 1, "Invalid uint64 x");
	const uint8_t *y = check8(L, 2, "Invalid uint64 y");
	hmac64(L, x, y);
	return 1;
}

int crypt_hmac64_md5(lua_State *L) {
	const uint8_t *x = check8(L, 1, "Invalid uint64 x");
	const uint8_t *y = check8(L, 2, "Invalid uint64 y");
	uint8_t text[48], m[EVP_MAX_MD_SIZE];
	for (int i = 0; i < 48; i += 16) {
		memcpy(text + i, x, 8);
		memcpy(text + i + 8, y, 8);
	}
	if (!EVP_Digest(text, sizeof(text), m, NULL, EVP_md5(), NULL))
		return luaL_error(L, "md5 failed");
	uint8_t out[8];
	for (int i = 0; i < 8; i++)
		out[i] = m[i] ^ m[i + 8];
	lua_pushlstring(L, (const char *)out, 8);
	return 1;
}

int crypt_hmac_hash(lua_State *L) {
	const uint8_t *key = check8(L, 1, "Invalid uint64 key");
	size_t n;
	const uint8_t *text = (const uint8_t *)luaL_checklstring(L, 2, &n);
	uint8_t h[8];
	crypt_hashkey(text, n, h);
	hmac64(L, h, key);
	return 1;
}
