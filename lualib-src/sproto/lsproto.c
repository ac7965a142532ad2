/*
** sproto.core: schemas as light userdata (a struct sproto, and struct
** sproto_type for its types), encode/decode, 0-packing, protocol queries,
** default tables, and global slots that share one schema between the
** services of a process (sprotoloader).
*/
#include <stdatomic.h>
#include <stdio.h>

#include <lauxlib.h>

#include "lsproto.h"

#define MAX_GLOBAL_SPROTO 16

/* written once by the service that loads a schema, read by every other one */
static _Atomic(struct sproto *) global_sproto[MAX_GLOBAL_SPROTO];

static struct sproto *check_sproto(lua_State *L, int arg) {
	luaL_checktype(L, arg, LUA_TLIGHTUSERDATA);
	struct sproto *sp = lua_touserdata(L, arg);
	luaL_argcheck(L, sp != NULL, arg, "Need a sproto object");
	return sp;
}

static const struct sproto_type *check_type(lua_State *L, int arg) {
	luaL_checktype(L, arg, LUA_TLIGHTUSERDATA);
	const struct sproto_type *t = lua_touserdata(L, arg);
	luaL_argcheck(L, t != NULL, arg, "Need a sproto_type object");
	return t;
}

const uint8_t *lsproto_checkbuffer(lua_State *L, int arg, size_t *sz) {
	int t = lua_type(L, arg);
	if (t == LUA_TSTRING)
		return (const uint8_t *)lua_tolstring(L, arg, sz);
	if (t != LUA_TUSERDATA && t != LUA_TLIGHTUSERDATA)
		luaL_argerror(L, arg, "Need a string or userdata");
	lua_Integer n = luaL_checkinteger(L, arg + 1);
	luaL_argcheck(L, n >= 0, arg + 1, "negative size");
	if (t == LUA_TUSERDATA)
		luaL_argcheck(L, (size_t)n <= lua_rawlen(L, arg), arg + 1, "size beyond the userdata");
	*sz = (size_t)n;
	return lua_touserdata(L, arg);
}

static int lnewproto(lua_State *L) {
	size_t sz;
	const char *bin = luaL_checklstring(L, 1, &sz);
	struct sproto *sp = sproto_create(bin, sz);
	if (sp == NULL)
		return 0;
	lua_pushlightuserdata(L, sp);
	return 1;
}

static int ldeleteproto(lua_State *L) {
	sproto_release(check_sproto(L, 1));
	return 0;
}

static int lquerytype(lua_State *L) {
	struct sproto *sp = check_sproto(L, 1);
	struct sproto_type *t = sproto_type(sp, luaL_checkstring(L, 2));
	if (t == NULL)
		return 0;
	lua_pushlightuserdata(L, t);
	return 1;
}

/* protocol(sp, name | tag) -> tag | name, request type, response type */
static int lprotocol(lua_State *L) {
	struct sproto *sp = check_sproto(L, 1);
	const struct sproto_protocol *p;
	if (lua_type(L, 2) == LUA_TNUMBER) {
		p = sproto_protocol_bytag(sp, (int)luaL_checkinteger(L, 2));
		if (p == NULL)
			return 0;
		lua_pushstring(L, p->name);
	} else {
		if (lua_type(L, 2) != LUA_TSTRING)
			return luaL_argerror(L, 2, "Should be number or string");
		p = sproto_protocol_byname(sp, lua_tostring(L, 2));
		if (p == NULL)
			return 0;
		lua_pushinteger(L, p->tag);
	}
	for (int what = SPROTO_REQUEST; what <= SPROTO_RESPONSE; what++) {
		if (p->type[what])
			lua_pushlightuserdata(L, p->type[what]);
		else if (what == SPROTO_RESPONSE && p->confirm)
			lua_pushlightuserdata(L, NULL); /* answered without content */
		else
			lua_pushnil(L);
	}
	return 3;
}

static int lpack(lua_State *L) {
	size_t sz;
	const uint8_t *src = lsproto_checkbuffer(L, 1, &sz);
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, sproto_pack_bound(sz));
	luaL_pushresultsize(&b, sproto_pack(src, sz, out));
	return 1;
}

static int lunpack(lua_State *L) {
	size_t sz;
	const uint8_t *src = lsproto_checkbuffer(L, 1, &sz);
	long long n = sproto_unpacked_size(src, sz);
	if (n < 0)
		return luaL_error(L, "Invalid unpack stream");
	luaL_Buffer b;
	uint8_t *out = (uint8_t *)luaL_buffinitsize(L, &b, (size_t)n);
	sproto_unpack(src, sz, out);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

static int check_slot(lua_State *L, int arg) {
	lua_Integer i = luaL_optinteger(L, arg, 0);
	if (i < 0 || i >= MAX_GLOBAL_SPROTO)
		luaL_error(L, "Invalid global slot index %d", (int)i);
	return (int)i;
}

/* the saved schema is never released: other services may hold it */
static int lsaveproto(lua_State *L) {
	struct sproto *sp = check_sproto(L, 1);
	atomic_store(&global_sproto[check_slot(L, 2)], sp);
	return 0;
}

static int lloadproto(lua_State *L) {
	int slot = check_slot(L, 1);
	struct sproto *sp = atomic_load(&global_sproto[slot]);
	if (sp == NULL)
		return luaL_error(L, "nil sproto at index %d", slot);
	lua_pushlightuserdata(L, sp);
	return 1;
}

/* the default value of one element of a field; a struct is named by its type */
static void push_default(lua_State *L, const struct sproto_field *f, bool element) {
	switch (f->kind) {
	case SPROTO_INTEGER:
		if (f->decimal)
			lua_pushnumber(L, 0.0);
		else
			lua_pushinteger(L, 0);
		break;
	case SPROTO_DOUBLE: lua_pushnumber(L, 0.0); break;
	case SPROTO_BOOLEAN: lua_pushboolean(L, 0); break;
	case SPROTO_STRING: lua_pushliteral(L, ""); break;
	case SPROTO_STRUCT:
		if (element) {
			lua_pushstring(L, f->sub->name);
		} else {
			lua_createtable(L, 0, 1);
			lua_pushstring(L, f->sub->name);
			lua_setfield(L, -2, "__type");
		}
		break;
	}
}

/* default(type) -> { field = default, array = { __array = default } } */
static int ldefault(lua_State *L) {
	const struct sproto_type *t = check_type(L, 1);
	lua_createtable(L, 0, t->nfield);
	for (int i = 0; i < t->nfield; i++) {
		const struct sproto_field *f = &t->field[i];
		if (f->array) {
			lua_createtable(L, 0, 1);
			push_default(L, f, true);
			lua_setfield(L, -2, "__array");
		} else {
			push_default(L, f, false);
		}
		lua_setfield(L, -2, f->name);
	}
	return 1;
}

static const char *field_typename(const struct sproto_field *f) {
	switch (f->kind) {
	case SPROTO_INTEGER: return f->decimal ? "decimal" : "integer";
	case SPROTO_BOOLEAN: return "boolean";
	case SPROTO_STRING: return f->binary ? "binary" : "string";
	case SPROTO_DOUBLE: return "double";
	default: return f->sub->name;
	}
}

static int ldumpproto(lua_State *L) {
	struct sproto *sp = check_sproto(L, 1);
	printf("=== %d types ===\n", sp->ntype);
	for (int i = 0; i < sp->ntype; i++) {
		const struct sproto_type *t = &sp->type[i];
		printf("%s\n", t->name);
		for (int j = 0; j < t->nfield; j++) {
			const struct sproto_field *f = &t->field[j];
			printf("\t%s (%d) %s%s", f->name, f->tag, f->array ? "*" : "", field_typename(f));
			if (f->decimal)
				printf("(%lld)", (long long)f->decimal);
			if (f->key >= 0)
				printf(" key[%d]", f->key);
			if (f->map)
				printf(" value[%d]", f->sub->field[1].tag);
			printf("\n");
		}
	}
	printf("=== %d protocol ===\n", sp->nprotocol);
	for (int i = 0; i < sp->nprotocol; i++) {
		const struct sproto_protocol *p = &sp->protocol[i];
		const struct sproto_type *req = p->type[SPROTO_REQUEST], *resp = p->type[SPROTO_RESPONSE];
		printf("\t%s (%d) request:%s", p->name, p->tag, req ? req->name : "(null)");
		if (resp)
			printf(" response:%s", resp->name);
		else if (p->confirm)
			printf(" response nil");
		printf("\n");
	}
	fflush(stdout);
	return 0;
}

LUAMOD_API int luaopen_sproto_core(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "newproto", lnewproto },
		{ "deleteproto", ldeleteproto },
		{ "dumpproto", ldumpproto },
		{ "querytype", lquerytype },
		{ "decode", lsproto_decode },
		{ "protocol", lprotocol },
		{ "loadproto", lloadproto },
		{ "saveproto", lsaveproto },
		{ "default", ldefault },
		{ "pack", lpack },
		{ "unpack", lunpack },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	lua_pushnil(L); /* upvalue: the output buffer, made on first use */
	lua_pushcclosure(L, lsproto_encode, 1);
	lua_setfield(L, -2, "encode");
	return 1;
}
