/*
 * bson (luaclib/bson.so): skynet's `require "bson"`, the BSON codec its
 * MongoDB driver builds on.
 *
 *   bson.encode(t) -> b               a bson object (bson_object.c)
 *   bson.encode_order(k1, v1, ...) -> b   fields in argument order
 *   bson.decode(b | bytes | lightuserdata) -> t
 *   constructors, bson.type and the constants: bson_values.c
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

LUAMOD_API int luaopen_bson(lua_State *L) {
	luaL_checkversion(L);
	bson_object_register(L);
	luaL_Reg l[] = {
		{ "encode", bson_lencode },
		{ "encode_order", bson_lencode_order },
		{ "decode", bson_ldecode },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	bson_values_register(L);
	return 1;
}
