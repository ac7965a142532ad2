/*
 * skynet.crypt (and client.crypt, the same library for client programs):
 * the helpers skynet's login protocol and its users rely on. Results are
 * byte for byte those of skynet's crypt, so peers of either interoperate.
 *
 *   hashkey(s)              8 bytes: djb hash (h*33+c) .. JS hash, little-endian
 *   randomkey()             8 random bytes whose xor is not zero
 *   desencode / desdecode   see crypt_des.c; padding = { iso7816_4 = 0, pkcs7 = 1 }
 *   hexencode / hexdecode   lower-case hex
 *   hmac64, hmac64_md5, hmac_hash   see crypt_hmac64.c
 *   dhexchange(x)           5^x mod p, p = 2^64 - 59, as 8 little-endian bytes
 *   dhsecret(y, x)          y^x mod p
 *   base64encode / base64decode     see crypt_base64.c
 *   sha1(s), hmac_sha1(key, s)      20-byte digests (OpenSSL)
 *   xor_str(s, key)         s xor key repeated
 */
#define LUA_LIB

#include "crypt.h"

#include <lauxlib.h>
#include <lua.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <limits.h>

void crypt_hashkey(const uint8_t *s, size_t n, uint8_t key[8]) {
	uint32_t djb = 5381;
	uint32_t js = 1315423911;
	for (size_t i = 0; i < n; i++) {
		djb = djb * 33 + s[i];
		js ^= (js << 5) + s[i] + (js >> 2);
	}
	crypt_put_le32(key, djb);
	crypt_put_le32(key + 4, js);
}

static int lhashkey(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	uint8_t key[8];
	crypt_hashkey((const uint8_t *)s, n, key);
	lua_pushlstring(L, (const char *)key, 8);
	return 1;
}

static int lrandomkey(lua_State *L) {
	uint8_t key[8];
	if (RAND_bytes(key, sizeof(key)) != 1)
		return luaL_error(L, "randomkey: no random bytes");
	uint8_t x = 0;
	for (int i = 0; i < 8; i++)
		x ^= key[i];
	if (x == 0)
		key[0] ^= 1;
	lua_pushlstring(L, (const char *)key, 8);
	return 1;
}

static int lhexencode(lua_State *L) {
	static const char digits[] = "0123456789abcdef";
	size_t n;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &n);
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, n * 2);
	for (size_t i = 0; i < n; i++) {
		out[i * 2] = digits[s[i] >> 4];
		out[i * 2 + 1] = digits[s[i] & 15];
	}
	luaL_pushresultsize(&b, n * 2);
	return 1;
}

/* skynet's hexdecode takes lower case digits only */
static int hex_value(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int lhexdecode(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	if (n % 2)
		return luaL_error(L, "Invalid hex text size %d", (int)n);
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, n / 2);
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return luaL_error(L, "Invalid hex text");
		out[i / 2] = (char)(hi << 4 | lo);
	}
	luaL_pushresultsize(&b, n / 2);
	return 1;
}

/* Diffie-Hellman over the largest 64-bit prime, generator 5 */
#define DH_P 0xffffffffffffffc5ull
#define DH_G 5

static uint64_t read_u64(lua_State *L, int arg, const char *error) {
	size_t n;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, arg, &n);
	if (n != 8)
		luaL_error(L, "%s", error);
	return (uint64_t)crypt_le32(s) | (uint64_t)crypt_le32(s + 4) << 32;
}

static void push_u64(lua_State *L, uint64_t v) {
	uint8_t out[8];
	crypt_put_le32(out, (uint32_t)v);
	crypt_put_le32(out + 4, (uint32_t)(v >> 32));
	lua_pushlstring(L, (const char *)out, 8);
}

static uint64_t mul_mod_p(uint64_t a, uint64_t b) {
	return (uint64_t)((unsigned __int128)a * b % DH_P);
}

/* base^e mod p, e > 0, by squaring from the top bit down. Like skynet's,
 * a base of exactly p is not reduced first, so p^1 gives p. */
static uint64_t pow_mod_p(uint64_t base, uint64_t e) {
	if (base > DH_P)
		base %= DH_P;
	int bit = 63;
	while (!(e >> bit & 1))
		bit--;
	uint64_t r = base;
	while (--bit >= 0) {
		r = mul_mod_p(r, r);
		if (e >> bit & 1)
			r = mul_mod_p(r, base);
	}
	return r;
}

static int ldhexchange(lua_State *L) {
	uint64_t x = read_u64(L, 1, "Invalid dh uint64 key");
	if (x == 0)
		return luaL_error(L, "Can't be 0");
	push_u64(L, pow_mod_p(DH_G, x));
	return 1;
}

static int ldhsecret(lua_State *L) {
	uint64_t y = read_u64(L, 1, "Invalid uint64 x");
	uint64_t x = read_u64(L, 2, "Invalid uint64 y");
	if (x == 0 || y == 0)
		return luaL_error(L, "Can't be 0");
	push_u64(L, pow_mod_p(y, x));
	return 1;
}

static int lsha1(lua_State *L) {
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len;
	if (!EVP_Digest(s, n, digest, &len, EVP_sha1(), NULL))
		return luaL_error(L, "sha1 failed");
	lua_pushlstring(L, (const char *)digest, len);
	return 1;
}

static int lhmac_sha1(lua_State *L) {
	size_t keylen, n;
	const char *key = luaL_checklstring(L, 1, &keylen);
	const char *s = luaL_checklstring(L, 2, &n);
	if (keylen > INT_MAX)
		return luaL_error(L, "hmac_sha1: key too long");
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int len;
	if (!HMAC(EVP_sha1(), key, (int)keylen, (const unsigned char *)s, n, digest, &len))
		return luaL_error(L, "hmac_sha1 failed");
	lua_pushlstring(L, (const char *)digest, len);
	return 1;
}

static int lxor_str(lua_State *L) {
	size_t n, keylen;
	const char *s = luaL_checklstring(L, 1, &n);
	const char *key = luaL_checklstring(L, 2, &keylen);
	if (keylen == 0)
		return luaL_error(L, "Can't xor empty string");
	luaL_Buffer b;
	char *out = luaL_buffinitsize(L, &b, n);
	for (size_t i = 0, k = 0; i < n; i++) {
		out[i] = s[i] ^ key[k];
		if (++k == keylen)
			k = 0;
	}
	luaL_pushresultsize(&b, n);
	return 1;
}

LUAMOD_API int luaopen_skynet_crypt(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "hashkey", lhashkey },
		{ "randomkey", lrandomkey },
		{ "desencode", crypt_desencode },
		{ "desdecode", crypt_desdecode },
		{ "hexencode", lhexencode },
		{ "hexdecode", lhexdecode },
		{ "hmac64", crypt_hmac64 },
		{ "hmac64_md5", crypt_hmac64_md5 },
		{ "dhexchange", ldhexchange },
		{ "dhsecret", ldhsecret },
		{ "base64encode", crypt_base64encode },
		{ "base64decode", crypt_base64decode },
		{ "sha1", lsha1 },
		{ "hmac_sha1", lhmac_sha1 },
		{ "hmac_hash", crypt_hmac_hash },
		{ "xor_str", lxor_str },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	crypt_padding_table(L);
	lua_setfield(L, -2, "padding");
	return 1;
}

LUAMOD_API int luaopen_client_crypt(lua_State *L) {
	return luaopen_skynet_crypt(L);
}
