/*
 * The special values (see bson.h) and bson.type:
 *
 *   bson.null, bson.minkey, bson.maxkey
 *   bson.date(seconds)             a UTC datetime; a float keeps milliseconds
 *   bson.timestamp(seconds [, inc]) inc defaults to a process-wide counter
 *   bson.regex(pattern [, options])
 *   bson.binary(data [, subtype])   subtype 0 (generic) by default
 *   bson.objectid([hex])           from 24 hex digits, or a new unique id
 *   bson.int64(n)                  n written as int64 even when it is small
 *   bson.type(v) -> name, ...       what v is, and its parts:
 *       "number"|"boolean"|"table"|"string", v    "nil" (nil and bson.null)
 *       "binary", data, subtype      "objectid", hex    "date", seconds, milliseconds
 *       "timestamp", seconds, inc    "regex", pattern, options
 *       "minkey"   "maxkey"   "int64", n
 *       "unsupported", wire bytes    (JavaScript code, symbol, DBPointer, decimal128)
 */
#define LUA_LIB

#include "bson.h"

#include <lauxlib.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void bson_push_special(lua_State *L, int type, const void *payload, size_t n) {
	luaL_Buffer b;
	char *p = luaL_buffinitsize(L, &b, n + 2);
	p[0] = 0;
	p[1] = (char)type;
	if (n > 0)
		memcpy(p + 2, payload, n);
	luaL_pushresultsize(&b, n + 2);
}

static uint32_t check_u32(lua_State *L, int arg) {
	lua_Integer v = luaL_checkinteger(L, arg);
	luaL_argcheck(L, v >= 0 && v <= UINT32_MAX, arg, "out of range (0 to 2^32-1)");
	return (uint32_t)v;
}

static int ldate(lua_State *L) {
	int64_t ms;
	if (lua_isinteger(L, 1)) {
		lua_Integer s = lua_tointeger(L, 1);
		luaL_argcheck(L, s >= INT64_MIN / 1000 && s <= INT64_MAX / 1000, 1, "out of range");
		ms = (int64_t)s * 1000;
	} else {
		lua_Number s = luaL_checknumber(L, 1);
		lua_Number v = floor(s * 1000);
		luaL_argcheck(L, v >= -9.2e18 && v <= 9.2e18, 1, "out of range");
		ms = (int64_t)v;
	}
	uint8_t payload[8];
	bson_put_u64(payload, (uint64_t)ms);
	bson_push_special(L, BSON_DATE, payload, sizeof payload);
	return 1;
}

static atomic_uint timestamp_counter;

static int ltimestamp(lua_State *L) {
	uint32_t seconds = check_u32(L, 1);
	uint32_t inc = lua_isnoneornil(L, 2) ? atomic_fetch_add(&timestamp_counter, 1) : check_u32(L, 2);
	uint8_t payload[8];
	bson_put_u32(payload, inc);
	bson_put_u32(payload + 4, seconds);
	bson_push_special(L, BSON_TIMESTAMP, payload, sizeof payload);
	return 1;
}

static int lregex(lua_State *L) {
	size_t plen, olen;
	const char *pattern = luaL_checklstring(L, 1, &plen);
	const char *options = luaL_optlstring(L, 2, "", &olen);
	luaL_argcheck(L, memchr(pattern, 0, plen) == NULL, 1, "holds a 0 byte");
	luaL_argcheck(L, memchr(options, 0, olen) == NULL, 2, "holds a 0 byte");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, 0);
	luaL_addchar(&b, BSON_REGEX);
	luaL_addlstring(&b, pattern, plen + 1); /* with its 0 */
	luaL_addlstring(&b, options, olen + 1);
	luaL_pushresult(&b);
	return 1;
}

static int lbinary(lua_State *L) {
	size_t n;
	const char *data = luaL_checklstring(L, 1, &n);
	lua_Integer subtype = luaL_optinteger(L, 2, 0);
	luaL_argcheck(L, subtype >= 0 && subtype <= 255, 2, "subtype out of range (0 to 255)");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	luaL_addchar(&b, 0);
	luaL_addchar(&b, BSON_BINARY);
	luaL_addchar(&b, (char)subtype);
	luaL_addlstring(&b, data, n);
	luaL_pushresult(&b);
	return 1;
}

static int lint64(lua_State *L) {
	uint8_t payload[8];
	bson_put_u64(payload, (uint64_t)luaL_checkinteger(L, 1));
	bson_push_special(L, BSON_INT64, payload, sizeof payload);
	return 1;
}

/* ObjectId: 4-byte big-endian seconds, 5 random bytes chosen once per
 * process, a 3-byte big-endian counter starting at a random value */
static uint8_t oid_process[5];
static atomic_uint oid_counter;
static pthread_once_t oid_once = PTHREAD_ONCE_INIT;

static void oid_init(void) {
	uint8_t seed[8];
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
		uint64_t fallback = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32 ^ (uintptr_t)seed;
		bson_put_u64(seed, fallback);
	}
	memcpy(oid_process, seed, sizeof oid_process);
	atomic_store(&oid_counter, bson_get_u32(seed + 4));
}

static int hex_digit(char c) {
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int lobjectid(lua_State *L) {
	uint8_t oid[BSON_OBJECTID_SIZE];
	if (lua_isnoneornil(L, 1)) {
		pthread_once(&oid_once, oid_init);
		uint32_t seconds = (uint32_t)time(NULL);
		uint32_t count = atomic_fetch_add(&oid_counter, 1);
		for (int i = 0; i < 4; i++)
			oid[i] = (uint8_t)(seconds >> (24 - 8 * i));
		memcpy(oid + 4, oid_process, sizeof oid_process);
		for (int i = 0; i < 3; i++)
			oid[9 + i] = (uint8_t)(count >> (16 - 8 * i));
	} else {
		size_t n;
		const char *hex = luaL_checklstring(L, 1, &n);
		if (n != 2 * BSON_OBJECTID_SIZE)
			return luaL_error(L, "Invalid objectid %s", hex);
		for (int i = 0; i < BSON_OBJECTID_SIZE; i++) {
			int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return luaL_error(L, "Invalid objectid %s", hex);
			oid[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	bson_push_special(L, BSON_OBJECTID, oid, sizeof oid);
	return 1;
}

static int lto_lightuserdata(lua_State *L) {
	luaL_argexpected(L, lua_isuserdata(L, 1), 1, "userdata");
	lua_pushlightuserdata(L, lua_touserdata(L, 1));
	return 1;
}

static int bad_special(lua_State *L, int type) {
	return luaL_error(L, "Invalid %s", type == BSON_OBJECTID ? "object id" : "bson value");
}

/* bson.type of a special string: p is its payload */
static int special_type(lua_State *L, int type, const uint8_t *p, size_t n) {
	static const char hex[] = "0123456789abcdef";
	switch (type) {
	case BSON_BINARY:
		if (n < 1)
			return bad_special(L, type);
		lua_pushliteral(L, "binary");
		lua_pushlstring(L, (const char *)p + 1, n - 1);
		lua_pushinteger(L, p[0]);
		return 3;
	case BSON_OBJECTID: {
		char text[2 * BSON_OBJECTID_SIZE];
		if (n != BSON_OBJECTID_SIZE)
			return bad_special(L, type);
		for (int i = 0; i < BSON_OBJECTID_SIZE; i++) {
			text[2 * i] = hex[p[i] >> 4];
			text[2 * i + 1] = hex[p[i] & 15];
		}
		lua_pushliteral(L, "objectid");
		lua_pushlstring(L, text, sizeof text);
		return 2;
	}
	case BSON_DATE: {
		if (n != 8)
			return bad_special(L, type);
		int64_t ms = (int64_t)bson_get_u64(p);
		int64_t seconds = ms / 1000 - (ms % 1000 < 0); /* rounded down */
		lua_pushliteral(L, "date");
		lua_pushinteger(L, seconds);
		lua_pushinteger(L, ms);
		return 3;
	}
	case BSON_TIMESTAMP:
		if (n != 8)
			return bad_special(L, type);
		lua_pushliteral(L, "timestamp");
		lua_pushinteger(L, bson_get_u32(p + 4));
		lua_pushinteger(L, bson_get_u32(p));
		return 3;
	case BSON_REGEX: {
		const uint8_t *end = memchr(p, 0, n);
		if (end == NULL || n < 2 || p[n - 1] != 0 || memchr(end + 1, 0, n - 1 - (size_t)(end - p) - 1) != NULL)
			return bad_special(L, type);
		lua_pushliteral(L, "regex");
		lua_pushlstring(L, (const char *)p, (size_t)(end - p));
		lua_pushlstring(L, (const char *)end + 1, n - 2 - (size_t)(end - p));
		return 3;
	}
	case BSON_INT64:
		if (n != 8)
			return bad_special(L, type);
		lua_pushliteral(L, "int64");
		lua_pushinteger(L, (lua_Integer)bson_get_u64(p));
		return 2;
	case BSON_NULL:
		lua_pushliteral(L, "nil");
		return 1;
	case BSON_MINKEY:
		lua_pushliteral(L, "minkey");
		return 1;
	case BSON_MAXKEY:
		lua_pushliteral(L, "maxkey");
		return 1;
	case BSON_JSCODE:
	case BSON_SYMBOL:
	case BSON_DBPOINTER:
	case BSON_CODEWS:
	case BSON_DECIMAL128:
		lua_pushliteral(L, "unsupported");
		lua_pushlstring(L, (const char *)p, n);
		return 2;
	default:
		return luaL_error(L, "Invalid subtype %d", type);
	}
}

static int ltype(lua_State *L) {
	int t = lua_type(L, 1);
	switch (t) {
	case LUA_TNIL:
		lua_pushliteral(L, "nil");
		return 1;
	case LUA_TSTRING: {
		size_t n;
		const char *s = lua_tolstring(L, 1, &n);
		if (n >= 2 && s[0] == 0)
			return special_type(L, (uint8_t)s[1], (const uint8_t *)s + 2, n - 2);
		break;
	}
	case LUA_TNUMBER:
	case LUA_TBOOLEAN:
	case LUA_TTABLE:
		break;
	default:
		return luaL_error(L, "Invalid type %s", luaL_typename(L, 1));
	}
	lua_pushstring(L, lua_typename(L, t));
	lua_pushvalue(L, 1);
	return 2;
}

static void set_constant(lua_State *L, const char *name, int type) {
	bson_push_special(L, type, NULL, 0);
	lua_setfield(L, -2, name);
}

/* adds the constructors, type and the constants to the table at -1 */
void bson_values_register(lua_State *L) {
	luaL_Reg l[] = {
		{ "date", ldate },
		{ "timestamp", ltimestamp },
		{ "regex", lregex },
		{ "binary", lbinary },
		{ "objectid", lobjectid },
		{ "int64", lint64 },
		{ "type", ltype },
		{ "to_lightuserdata", lto_lightuserdata },
		{ NULL, NULL },
	};
	luaL_setfuncs(L, l, 0);
	set_constant(L, "null", BSON_NULL);
	set_constant(L, "minkey", BSON_MINKEY);
	set_constant(L, "maxkey", BSON_MAXKEY);
}
