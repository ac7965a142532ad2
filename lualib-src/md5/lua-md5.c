/*
 * md5 (luaclib/md5.so): the library skynet applications know as
 * `require "md5"` (also reachable as "md5.core"), with the Kepler project
 * md5 API skynet ships:
 *
 *   sum(s)                  16-byte MD5 digest (RFC 1321)
 *   sumhexa(s)              the same as 32 lower-case hex digits
 *   hmacmd5(data, key)      HMAC-MD5 (RFC 2104) of data under key, in hex
 *   exor(a, b)              a xor b, for strings of equal length
 *   crypt(msg, key [, seed]) / decrypt(data, key)
 *       MD5 in cipher-feedback mode: the key stream block i is
 *       md5(prev .. key), where prev is the seed (zero-padded to 16 bytes)
 *       with its head overwritten by the previous cipher block. The result
 *       is char(#seed) .. seed .. cipher; the seed (at most 16 bytes)
 *       defaults to the bytes of the current time_t, the key is at most 256 bytes.
 * Digests are OpenSSL's.
 */
#define LUA_LIB

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits.h>
#include <string.h>
#include <time.h>

#define DIGEST 16
#define MAX_SEED 16
#define MAX_KEY 256

static void md5(lua_State *L, const void *s, size_t n, unsigned char out[DIGEST]) {
	if (!EVP_Digest(s, n, out, NULL, EVP_md5(), NULL))
		luaL_error(L, "md5 failed");
}

static void push_hex(lua_State *L, const unsigned char *s, size_t n) {
	static const char digits[] = "0123456789abcdef";
	char out[2 * EVP_MAX_MD_SIZE];
	for (size_t i = 0; i < n; i++) {
		out[i * 2] = digits[s[i] >> 4];
		out[i * 2 + 1] = digits[s[i] & 15];
	}
	lua_pushlstring(L, out, n * 2);
}

static int lsum(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	unsigned char d[DIGEST];
	md5(L, s, n, d);
	lua_pushlstring(L, (const char *)d, DIGEST);
	return 1;
}

static int lsumhexa(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	unsigned char d[DIGEST];
	md5(L, s, n, d);
	push_hex(L, d, DIGEST);
	return 1;
}

static int lhmacmd5(lua_State *L) {
	size_t n, keylen;
	const char *data = luaL_checklstring(L, 1, &n);
	const char *key = luaL_checklstring(L, 2, &keylen);
	if (keylen > INT_MAX)
		return luaL_error(L, "hmacmd5: key too long");
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int len;
	if (!HMAC(EVP_md5(), key, (int)keylen, (const unsigned char *)data, n, d, &len))
		return luaL_error(L, "hmacmd5 failed");
	push_hex(L, d, len);
	return 1;
}

static int lexor(lua_State *L) {
	size_t n1, n2;
	const char *a = luaL_checklstring(L, 1, &n1);
	const char *b = luaL_checklstring(L, 2, &n2);
	luaL_argcheck(L, n1 == n2, 2, "lengths must be equal");
	luaL_Buffer buf;
	char *out = luaL_buffinitsize(L, &buf, n1);
	for (size_t i = 0; i < n1; i++)
		out[i] = a[i] ^ b[i];
	luaL_pushresultsize(&buf, n1);
	return 1;
}

/* the feedback block: 16 bytes of seed (then of cipher text), then the key */
struct stream {
	unsigned char block[MAX_SEED + MAX_KEY];
	size_t len;
};

static void stream_init(lua_State *L, struct stream *st, const char *seed, size_t seedlen) {
	size_t keylen;
	const char *key = luaL_checklstring(L, 2, &keylen);
	if (keylen > MAX_KEY)
		luaL_error(L, "key too long (> %d)", MAX_KEY);
	memset(st->block, 0, MAX_SEED);
	memcpy(st->block, seed, seedlen);
	memcpy(st->block + MAX_SEED, key, keylen);
	st->len = MAX_SEED + keylen;
}

/* xors n bytes of in with the key stream into the buffer; encrypting feeds
 * back the output, decrypting the input */
static void stream_run(lua_State *L, struct stream *st, const char *in, size_t n, int encrypt, luaL_Buffer *b) {
	while (n > 0) {
		unsigned char code[DIGEST];
		md5(L, st->block, st->len, code);
		size_t chunk = n < DIGEST ? n : DIGEST;
		for (size_t i = 0; i < chunk; i++)
			code[i] ^= (unsigned char)in[i];
		luaL_addlstring(b, (const char *)code, chunk);
		memcpy(st->block, encrypt ? code : (const unsigned char *)in, chunk);
		in += chunk;
		n -= chunk;
	}
}

static int lcrypt(lua_State *L) {
	size_t n, seedlen;
	const char *msg = luaL_checklstring(L, 1, &n);
	if (lua_isnone(L, 3)) {
		time_t now = time(NULL);
		lua_pushlstring(L, (const char *)&now, sizeof(now));
	}
	const char *seed = luaL_checklstring(L, 3, &seedlen);
	if (seedlen > MAX_SEED)
		return luaL_error(L, "seed too long (> %d)", MAX_SEED);
	struct stream st;
	stream_init(L, &st, seed, seedlen);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, (char)seedlen);
	luaL_addlstring(&b, seed, seedlen);
	stream_run(L, &st, msg, n, 1, &b);
	luaL_pushresult(&b);
	return 1;
}

static int ldecrypt(lua_State *L) {
	size_t n;
	const char *data = luaL_checklstring(L, 1, &n);
	size_t seedlen = n > 0 ? (unsigned char)data[0] : 0;
	luaL_argcheck(L, n >= 1 && seedlen <= MAX_SEED && n >= seedlen + 1, 1, "invalid cyphered string");
	struct stream st;
	stream_init(L, &st, data + 1, seedlen);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	stream_run(L, &st, data + 1 + seedlen, n - 1 - seedlen, 0, &b);
	luaL_pushresult(&b);
	return 1;
}

static void new_library(lua_State *L) {
	luaL_checkversion(L);
	static const luaL_Reg l[] = {
		{ "sum", lsum },
		{ "sumhexa", lsumhexa },
		{ "hmacmd5", lhmacmd5 },
		{ "exor", lexor },
		{ "crypt", lcrypt },
		{ "decrypt", ldecrypt },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	lua_pushliteral(L, "MD5 1.2");
	lua_setfield(L, -2, "_VERSION");
}

LUAMOD_API int luaopen_md5(lua_State *L) {
	new_library(L);
	return 1;
}

LUAMOD_API int luaopen_md5_core(lua_State *L) {
	new_library(L);
	return 1;
}
