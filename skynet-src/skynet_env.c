/*
 * Config keys and skynet.setenv values, kept in a small Lua state behind a
 * lock.  Values are strings and are never removed, so the pointers handed
 * out stay valid (the strings are anchored in the state's table).
 */
#include "skynet_env.h"
#include "skynet.h"
#include "spinlock.h"

#include <lauxlib.h>
#include <lua.h>

struct skynet_env {
	struct spinlock lock;
	lua_State *L;
};

static struct skynet_env *E = NULL;

const char *skynet_getenv(const char *key) {
	spinlock_lock(&E->lock);
	lua_State *L = E->L;
	lua_getglobal(L, key);
	const char *result = lua_tostring(L, -1);
	lua_pop(L, 1);
	spinlock_unlock(&E->lock);
	return result;
}

void skynet_setenv(const char *key, const char *value) {
	spinlock_lock(&E->lock);
	lua_State *L = E->L;
	lua_pushstring(L, value);
	lua_setglobal(L, key);
	spinlock_unlock(&E->lock);
}

void skynet_env_init(void) {
	E = skynet_malloc(sizeof(*E));
	spinlock_init(&E->lock);
	E->L = luaL_newstate();
}

void skynet_env_exit(void) {
	lua_close(E->L);
	skynet_free(E);
	E = NULL;
}
