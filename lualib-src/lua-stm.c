/*
 * skynet.stm: one writer publishes a message that readers in other services
 * read without a copy.
 *   stm.new(msg, sz | string) -> writer   writer(msg, sz | string) publishes a new value
 *   stm.copy(writer) -> ref               a ticket for one reader (send it to the reader)
 *   stm.newcopy(ref) -> reader            reader(f [, ud]) -> true, f(msg, sz, ud)... when
 *                                         the value changed since the last read, else false
 * A message given as msg, sz is taken over (it must come from skynet.pack or
 * skynet_malloc).  Each published value is reference counted: a reader keeps
 * the one it last read until it reads again.  Once the writer is collected,
 * readers read nothing new.  Objects and tickets are shareref ids, so a
 * forged or used-up ticket is an error, not a crash.
 */
#include "shareref.h"
#include "skynet_malloc.h"
#include "spinlock.h"

#include <lauxlib.h>
#include <lua.h>

#include <stdatomic.h>
#include <string.h>

struct stm_value {
	atomic_int ref;
	size_t sz;
	void *msg;
};

struct stm_object {
	struct spinlock lock;
	struct stm_value *value; /* NULL once the writer is gone */
};

static struct stm_value *value_new(void *msg, size_t sz) {
	struct stm_value *v = skynet_malloc(sizeof(*v));
	atomic_init(&v->ref, 1);
	v->sz = sz;
	v->msg = msg;
	return v;
}

static void value_release(struct stm_value *v) {
	if (v && atomic_fetch_sub(&v->ref, 1) == 1) {
		skynet_free(v->msg);
		skynet_free(v);
	}
}

/* the object's current value with a reference for the caller, or NULL */
static struct stm_value *object_read(struct stm_object *o) {
	spinlock_lock(&o->lock);
	struct stm_value *v = o->value;
	if (v)
		atomic_fetch_add(&v->ref, 1);
	spinlock_unlock(&o->lock);
	return v;
}

static void object_publish(struct stm_object *o, struct stm_value *v) {
	spinlock_lock(&o->lock);
	struct stm_value *old = o->value;
	o->value = v;
	spinlock_unlock(&o->lock);
	value_release(old);
}

static void object_free(void *p) {
	struct stm_object *o = p;
	value_release(o->value);
	skynet_free(o);
}

/* the message at idx: (lightuserdata msg, sz) taken over, or a string copied */
static struct stm_value *check_message(lua_State *L, int idx) {
	size_t sz;
	void *msg;
	if (lua_type(L, idx) == LUA_TLIGHTUSERDATA) {
		msg = lua_touserdata(L, idx);
		lua_Integer n = luaL_checkinteger(L, idx + 1);
		luaL_argcheck(L, n >= 0, idx + 1, "size must not be negative");
		sz = (size_t)n;
	} else {
		const char *s = luaL_checklstring(L, idx, &sz);
		msg = skynet_malloc(sz ? sz : 1);
		memcpy(msg, s, sz);
	}
	return value_new(msg, sz);
}

/* writers: a userdata holding the object's id */
struct writer {
	uint64_t id;
	struct stm_object *obj;
};

static int writer_gc(lua_State *L) {
	struct writer *w = lua_touserdata(L, 1);
	if (w->obj) {
		object_publish(w->obj, NULL);
		shareref_release(w->id);
		w->obj = NULL;
	}
	return 0;
}

static int writer_call(lua_State *L) {
	struct writer *w = luaL_checkudata(L, 1, "skynet.stm.writer");
	struct stm_value *v = check_message(L, 2);
	object_publish(w->obj, v);
	return 0;
}

static int lnew(lua_State *L) {
	struct stm_value *v = check_message(L, 1);
	struct writer *w = lua_newuserdatauv(L, sizeof(*w), 0);
	w->obj = NULL;
	luaL_setmetatable(L, "skynet.stm.writer");
	struct stm_object *o = skynet_malloc(sizeof(*o));
	spinlock_init(&o->lock);
	o->value = v;
	w->id = shareref_new(o, object_free);
	if (w->id == 0) {
		object_free(o);
		return luaL_error(L, "stm: not enough memory");
	}
	w->obj = o;
	return 1;
}

/* what stm.copy gives: a one-use ticket holding a reference to the object,
 * so a ref used twice is refused instead of dropping a reference twice */
struct ticket {
	uint64_t object;
};

static void ticket_free(void *p) {
	struct ticket *t = p;
	shareref_release(t->object);
	skynet_free(t);
}

static int lcopy(lua_State *L) {
	struct writer *w = luaL_checkudata(L, 1, "skynet.stm.writer");
	struct ticket *t = skynet_malloc(sizeof(*t));
	t->object = w->id;
	shareref_grab(w->id);
	uint64_t id = shareref_new(t, ticket_free);
	if (id == 0) {
		ticket_free(t);
		return luaL_error(L, "stm: not enough memory");
	}
	lua_pushinteger(L, (lua_Integer)id);
	return 1;
}

/* readers: the object's id (one reference) and the value last read */
struct reader {
	uint64_t id;
	struct stm_object *obj;
	struct stm_value *last;
};

static int reader_gc(lua_State *L) {
	struct reader *r = lua_touserdata(L, 1);
	value_release(r->last);
	r->last = NULL;
	if (r->obj)
		shareref_release(r->id);
	r->obj = NULL;
	return 0;
}

static int lnewcopy(lua_State *L) {
	uint64_t id = (uint64_t)luaL_checkinteger(L, 1);
	struct reader *r = lua_newuserdatauv(L, sizeof(*r), 0);
	*r = (struct reader){ 0 };
	luaL_setmetatable(L, "skynet.stm.reader");
	struct ticket *t = shareref_grab(id);
	if (t == NULL)
		return luaL_error(L, "stm: no copy %I (each copy makes one reader)", (lua_Integer)id);
	uint64_t object = t->object;
	r->obj = shareref_grab(object); /* alive: the ticket holds it */
	r->id = object;
	shareref_release(id); /* the grab above */
	shareref_release(id); /* the ticket is used up */
	return 1;
}

static int reader_call(lua_State *L) {
	struct reader *r = luaL_checkudata(L, 1, "skynet.stm.reader");
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_settop(L, 3);
	struct stm_value *v = r->obj ? object_read(r->obj) : NULL;
	if (v == NULL || v == r->last) {
		value_release(v);
		lua_pushboolean(L, 0);
		return 1;
	}
	value_release(r->last);
	r->last = v;
	lua_pushboolean(L, 1);
	lua_pushvalue(L, 2);
	lua_pushlightuserdata(L, v->msg);
	lua_pushinteger(L, (lua_Integer)v->sz);
	lua_pushvalue(L, 3);
	lua_call(L, 3, LUA_MULTRET);
	return lua_gettop(L) - 3;
}

static void new_meta(lua_State *L, const char *name, lua_CFunction gc, lua_CFunction call) {
	luaL_newmetatable(L, name);
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, call);
	lua_setfield(L, -2, "__call");
	lua_pop(L, 1);
}

LUAMOD_API int luaopen_skynet_stm(lua_State *L) {
	luaL_checkversion(L);
	new_meta(L, "skynet.stm.writer", writer_gc, writer_call);
	new_meta(L, "skynet.stm.reader", reader_gc, reader_call);
	luaL_Reg l[] = {
		{ "new", lnew }, { "copy", lcopy }, { "newcopy", lnewcopy },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	return 1;
}
