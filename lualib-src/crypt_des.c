/*
 * crypt.desencode(key, text [, padding]) / crypt.desdecode(key, data [, padding])
 *
 * Single DES in ECB mode with an 8-byte key (parity bits ignored). The
 * plain text is always padded, so the cipher text is 1 to 8 bytes longer:
 *   crypt.padding.iso7816_4 (0, default)  0x80 then zero bytes
 *   crypt.padding.pkcs7     (1)           n bytes of value n
 * Decoding checks the length (a non-zero multiple of 8) and the padding;
 * anything else is "Invalid des crypt text".
 *
 * The block cipher is OpenSSL's. Its DES_* calls are deprecated since 3.0
 * in favour of EVP, but EVP serves single DES only from the "legacy"
 * provider, which a system need not enable; the low-level calls need no
 * provider, so ask for the 1.1 API where they are not marked deprecated.
 */
#define OPENSSL_API_COMPAT 0x10100000L
#define LUA_LIB

#include "crypt.h"

#include <lauxlib.h>
#include <lua.h>
#include <openssl/des.h>

#include <string.h>

#define BLOCK 8

enum padding_mode { PADDING_ISO7816_4, PADDING_PKCS7, PADDING_MODES };

static const char *const padding_names[PADDING_MODES] = { "iso7816_4", "pkcs7" };

void crypt_padding_table(lua_State *L) {
	lua_createtable(L, 0, PADDING_MODES);
	for (int i = 0; i < PADDING_MODES; i++) {
		lua_pushinteger(L, i);
		lua_setfield(L, -2, padding_names[i]);
	}
}

static void check_key(lua_State *L, DES_key_schedule *ks) {
	size_t n;
	const char *key = luaL_checklstring(L, 1, &n);
	if (n != BLOCK)
		luaL_error(L, "Invalid key size %d, need 8 bytes", (int)n);
	DES_cblock k;
	memcpy(k, key, BLOCK);
	DES_set_key_unchecked(&k, ks);
}

static int check_padding_mode(lua_State *L) {
	lua_Integer mode = luaL_optinteger(L, 3, PADDING_ISO7816_4);
	if (mode < 0 || mode >= PADDING_MODES)
		luaL_error(L, "Invalid padding mode %d", (int)mode);
	return (int)mode;
}

static void des_block(DES_key_schedule *ks, const uint8_t *in, uint8_t *out, int enc) {
	DES_cblock i, o;
	memcpy(i, in, BLOCK);
	DES_ecb_encrypt(&i, &o, ks, enc);
	memcpy(out, o, BLOCK);
}

/* the last block: the n < 8 bytes left of the text, then the padding */
static void pad_block(uint8_t block[BLOCK], const uint8_t *rest, size_t n, int mode) {
	memcpy(block, rest, n);
	if (mode == PADDING_PKCS7) {
		memset(block + n, (int)(BLOCK - n), BLOCK - n);
	} else {
		block[n] = 0x80;
		memset(block + n + 1, 0, BLOCK - n - 1);
	}
}

/* how many bytes of padding end the decrypted last block, 0 when malformed */
static size_t padding_length(const uint8_t block[BLOCK], int mode) {
	if (mode == PADDING_PKCS7) {
		uint8_t n = block[BLOCK - 1];
		if (n == 0 || n > BLOCK)
			return 0;
		for (int i = BLOCK - n; i < BLOCK; i++)
			if (block[i] != n)
				return 0;
		return n;
	}
	for (int i = BLOCK - 1; i >= 0; i--) {
		if (block[i] == 0x80)
			return (size_t)(BLOCK - i);
		if (block[i] != 0)
			return 0;
	}
	return 0;
}

int crypt_desencode(lua_State *L) {
	DES_key_schedule ks;
	check_key(L, &ks);
	size_t n;
	const uint8_t *text = (const uint8_t *)luaL_checklstring(L, 2, &n);
	int mode = check_padding_mode(L);
	size_t whole = n & ~(size_t)(BLOCK - 1);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, whole + BLOCK);
	for (size_t i = 0; i < whole; i += BLOCK)
		des_block(&ks, text + i, out + i, DES_ENCRYPT);
	uint8_t last[BLOCK];
	pad_block(last, text + whole, n - whole, mode);
	des_block(&ks, last, out + whole, DES_ENCRYPT);
	luaL_pushresultsize(&b, whole + BLOCK);
	return 1;
}

int crypt_desdecode(lua_State *L) {
	DES_key_schedule ks;
	check_key(L, &ks);
	size_t n;
	const uint8_t *data = (const uint8_t *)luaL_checklstring(L, 2, &n);
	if (n == 0 || n % BLOCK != 0)
		return luaL_error(L, "Invalid des crypt text length %d", (int)n);
	int mode = check_padding_mode(L);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, n);
	for (size_t i = 0; i < n; i += BLOCK)
		des_block(&ks, data + i, out + i, DES_DECRYPT);
	size_t pad = padding_length(out + n - BLOCK, mode);
	if (pad == 0)
		return luaL_error(L, "Invalid des crypt text");
	luaL_pushresultsize(&b, n - pad);
	return 1;
}
