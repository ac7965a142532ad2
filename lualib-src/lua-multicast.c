/* skynet.multicast.core: the shared message of a multicast.
 *
 * A publisher packs its message once (mc.pack takes the buffer of
 * skynet.pack); multicastd binds it to the number of subscribers and sends
 * each of them a small header (mc.header) naming the package.  Every
 * subscriber reads the one buffer and releases its reference; the last one
 * frees it.  multicastd releases the references of copies that could not
 * be delivered (dead subscribers, dropped queues).
 *
 *   mc.pack(msg, sz) -> pkg          owns msg from now on
 *   mc.bind(pkg, n)                  n references, one per copy sent
 *   mc.release(pkg) -> last          drops one reference; true: freed now
 *   mc.free(pkg)                     frees a package never bound
 *   mc.header(pkg, channel, publisher) -> string
 *   mc.content(pkg) -> string        the message's bytes, to send to a node
 *   mc.copy(string) -> pkg           a package of bytes from another node
 *   mc.unpack(header, sz) -> pkg, channel, publisher, msg, sz
 *   mc.nextid(id) -> the next channel id of this node
 *   mc.live() -> packages not yet freed (in this process)
 */
#include "skynet.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

struct mc_package {
	atomic_int refs;
	uint32_t size;
	void *data;
};

/* what each subscriber receives; pointers travel inside the process only */
struct mc_header {
	struct mc_package *pkg;
	void *data;
	uint32_t size;
	uint32_t channel;
	uint32_t publisher;
};

static atomic_long live_packages;

static struct mc_package *check_package(lua_State *L, int idx) {
	luaL_checktype(L, idx, LUA_TLIGHTUSERDATA);
	struct mc_package *pkg = lua_touserdata(L, idx);
	luaL_argcheck(L, pkg != NULL, idx, "null multicast package");
	return pkg;
}

static void free_package(struct mc_package *pkg) {
	skynet_free(pkg->data);
	skynet_free(pkg);
	atomic_fetch_sub(&live_packages, 1);
}

static int mc_pack(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	lua_Integer size = luaL_checkinteger(L, 2);
	luaL_argcheck(L, size >= 0 && size <= (lua_Integer)UINT32_MAX, 2, "size should be a 32-bit integer");
	struct mc_package *pkg = skynet_malloc(sizeof(*pkg));
	atomic_init(&pkg->refs, 0);
	pkg->size = (uint32_t)size;
	pkg->data = lua_touserdata(L, 1);
	atomic_fetch_add(&live_packages, 1);
	lua_pushlightuserdata(L, pkg);
	return 1;
}

static int mc_bind(lua_State *L) {
	struct mc_package *pkg = check_package(L, 1);
	lua_Integer n = luaL_checkinteger(L, 2);
	luaL_argcheck(L, n > 0 && n <= INT32_MAX, 2, "reference count out of range");
	int unbound = 0;
	if (!atomic_compare_exchange_strong(&pkg->refs, &unbound, (int)n))
		return luaL_error(L, "Can't bind a multicast package more than once");
	return 0;
}

static int mc_release(lua_State *L) {
	struct mc_package *pkg = check_package(L, 1);
	int left = atomic_fetch_sub(&pkg->refs, 1) - 1;
	if (left < 0)
		return luaL_error(L, "Invalid multicast package reference %d", left);
	if (left == 0)
		free_package(pkg);
	lua_pushboolean(L, left == 0);
	return 1;
}

static int mc_free(lua_State *L) {
	struct mc_package *pkg = check_package(L, 1);
	if (atomic_load(&pkg->refs) != 0)
		return luaL_error(L, "Can't free a bound multicast package");
	free_package(pkg);
	return 0;
}

static int mc_content(lua_State *L) {
	struct mc_package *pkg = check_package(L, 1);
	lua_pushlstring(L, (const char *)pkg->data, pkg->size);
	return 1;
}

static int mc_copy(lua_State *L) {
	size_t size;
	const char *bytes = luaL_checklstring(L, 1, &size);
	luaL_argcheck(L, size <= UINT32_MAX, 1, "message too large");
	/* at least one byte: the package's data is never a null pointer */
	void *data = skynet_malloc(size > 0 ? size : 1);
	memcpy(data, bytes, size);
	lua_settop(L, 0);
	lua_pushlightuserdata(L, data);
	lua_pushinteger(L, (lua_Integer)size);
	return mc_pack(L);
}

static uint32_t check_u32(lua_State *L, int idx) {
	lua_Integer v = luaL_checkinteger(L, idx);
	luaL_argcheck(L, v >= 0 && v <= (lua_Integer)UINT32_MAX, idx, "out of range");
	return (uint32_t)v;
}

static int mc_header(lua_State *L) {
	struct mc_package *pkg = check_package(L, 1);
	struct mc_header h = { pkg, pkg->data, pkg->size, check_u32(L, 2), check_u32(L, 3) };
	lua_pushlstring(L, (const char *)&h, sizeof(h));
	return 1;
}

static int mc_unpack(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	lua_Integer sz = luaL_checkinteger(L, 2);
	if (sz != (lua_Integer)sizeof(struct mc_header))
		return luaL_error(L, "Invalid multicast package size %d", (int)sz);
	struct mc_header h;
	memcpy(&h, lua_touserdata(L, 1), sizeof(h));
	lua_pushlightuserdata(L, h.pkg);
	lua_pushinteger(L, h.channel);
	lua_pushinteger(L, h.publisher);
	lua_pushlightuserdata(L, h.data);
	lua_pushinteger(L, h.size);
	return 5;
}

/* channel ids keep the node (harbor) id in their low byte */
static int mc_nextid(lua_State *L) {
	uint32_t id = check_u32(L, 1);
	lua_pushinteger(L, (id + 256) & 0x7fffffffu);
	return 1;
}

static int mc_live(lua_State *L) {
	lua_pushinteger(L, (lua_Integer)atomic_load(&live_packages));
	return 1;
}

LUAMOD_API int luaopen_skynet_multicast_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "pack", mc_pack },
		{ "bind", mc_bind },
		{ "release", mc_release },
		{ "free", mc_free },
		{ "header", mc_header },
		{ "content", mc_content },
		{ "copy", mc_copy },
		{ "unpack", mc_unpack },
		{ "nextid", mc_nextid },
		{ "live", mc_live },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
