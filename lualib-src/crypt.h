/*
 * The pieces of skynet.crypt (lua-crypt.c registers them; client.crypt is
 * the same library built into luaclib/client.so for client programs).
 */
#ifndef SKYNET_CRYPT_H
#define SKYNET_CRYPT_H

#include <lua.h>
#include <stdint.h>
#include <stddef.h>

/* crypt_des.c: DES-ECB with a padding mode (crypt.padding) */
int crypt_desencode(lua_State *L);
int crypt_desdecode(lua_State *L);
void crypt_padding_table(lua_State *L);

/* crypt_base64.c */
int crypt_base64encode(lua_State *L);
int crypt_base64decode(lua_State *L);

/* crypt_hmac64.c: 64-bit MACs built on the MD5 block function */
int crypt_hmac64(lua_State *L);
int crypt_hmac64_md5(lua_State *L);
int crypt_hmac_hash(lua_State *L);

/* lua-crypt.c: the 8-byte hash behind hashkey (two 32-bit string hashes) */
void crypt_hashkey(const uint8_t *s, size_t n, uint8_t key[8]);

/* 8-byte strings are two little-endian 32-bit words (low word first) */
static inline uint32_t crypt_le32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void crypt_put_le32(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

#endif
