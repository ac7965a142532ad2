/*
 * skynet.cluster.core: the frames of skynet's cluster protocol, byte for
 * byte, so our nodes and skynet's call each other.
 *
 * Every frame is a 2-byte big-endian body length followed by the body.
 * Integers inside bodies are 4-byte little-endian.  Request bodies start
 * with a kind byte:
 *   0x00 addr session payload          one-part request (session 0: push)
 *   0x80 namelen name session payload  the same to a registered "@name"
 *   0x01 addr session size             a request sent in parts (0x41 push)
 *   0x81 namelen name session size     the same to "@name" (0xc1 push)
 *   0x02 session part                  a part, more follow
 *   0x03 session part                  the last part
 *   0x04 tag                           trace tag of the next request
 * Response bodies: session kind payload, kind 0 error (text), 1 ok,
 * 2 parts follow (payload: size), 3 a part, 4 the last part.
 * Payloads of PART_SIZE bytes or more (requests) or over PART_SIZE
 * (responses) travel in parts of at most PART_SIZE bytes.
 */
#define LUA_LIB

#include "skynet.h"

#include <lua.h>
#include <lauxlib.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define PART_SIZE 0x8000
#define MAX_NAME 255
#define MAX_HEAD (2 + MAX_NAME + 9) /* the longest fixed part of a body */

#define REQ_ADDR 0x00
#define REQ_ADDR_MULTI 0x01
#define REQ_PART 0x02
#define REQ_PART_LAST 0x03
#define REQ_TRACE 0x04
#define REQ_PUSH_FLAG 0x40
#define REQ_NAME_FLAG 0x80

#define RESP_ERROR 0
#define RESP_OK 1
#define RESP_MULTI 2
#define RESP_PART 3
#define RESP_PART_LAST 4

static void put_u32(uint8_t *p, uint32_t v) {
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t get_u32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* pushes a frame: length prefix, head, then sz bytes of payload */
static void push_frame(lua_State *L, const uint8_t *head, size_t headsz, const void *payload, size_t sz) {
	size_t body = headsz + sz;
	luaL_Buffer b;
	char *p = luaL_buffinitsize(L, &b, body + 2);
	p[0] = (char)(body >> 8);
	p[1] = (char)(body & 0xff);
	memcpy(p + 2, head, headsz);
	if (sz > 0)
		memcpy(p + 2 + headsz, payload, sz);
	luaL_pushresultsize(&b, body + 2);
}

static int part_count(size_t sz) {
	return (int)((sz + PART_SIZE - 1) / PART_SIZE);
}

/* A request's destination: a handle or a name (1 to MAX_NAME bytes). */
struct target {
	uint32_t handle;
	const char *name;
	size_t namesz;
};

/* writes the destination and the session; returns the head's length */
static size_t request_head(uint8_t *head, const struct target *t, uint8_t kind, uint32_t session) {
	if (t->name == NULL) {
		head[0] = kind;
		put_u32(head + 1, t->handle);
		put_u32(head + 5, session);
		return 9;
	}
	head[0] = kind | REQ_NAME_FLAG;
	head[1] = (uint8_t)t->namesz;
	memcpy(head + 2, t->name, t->namesz);
	put_u32(head + 2 + t->namesz, session);
	return 6 + t->namesz;
}

#define PART_HEAD 7 /* length prefix, kind, session */

/*
 * The parts of a large payload, in a new table on the stack.  msg is ours
 * to scribble on: each part after the first gets its frame head written
 * over the last bytes of the part before (already copied out), so its frame
 * is one copy of msg, not a copy into a buffer and another into a string.
 */
static void push_request_parts(lua_State *L, uint32_t session, uint8_t *msg, size_t sz) {
	int n = part_count(sz);
	lua_createtable(L, n, 0);
	for (int i = 1; i <= n; i++) {
		size_t s = sz > PART_SIZE ? PART_SIZE : sz;
		uint8_t head[5];
		head[0] = sz > PART_SIZE ? REQ_PART : REQ_PART_LAST;
		put_u32(head + 1, session);
		if (i == 1) {
			push_frame(L, head, sizeof(head), msg, s);
		} else {
			uint8_t *frame = msg - PART_HEAD;
			frame[0] = (uint8_t)((s + 5) >> 8);
			frame[1] = (uint8_t)((s + 5) & 0xff);
			memcpy(frame + 2, head, sizeof(head));
			lua_pushlstring(L, (const char *)frame, s + PART_HEAD);
		}
		lua_rawseti(L, -2, i);
		msg += s;
		sz -= s;
	}
}

static void push_request(lua_State *L, const struct target *t, uint32_t session, uint8_t *msg, size_t sz, int push) {
	uint8_t head[MAX_HEAD];
	if (sz < PART_SIZE) {
		size_t n = request_head(head, t, REQ_ADDR, push ? 0 : session);
		push_frame(L, head, n, msg, sz);
		lua_pushinteger(L, session == INT32_MAX ? 1 : session + 1);
		return;
	}
	/* a push in parts still needs a session to tie its parts together */
	size_t n = request_head(head, t, REQ_ADDR_MULTI | (push ? REQ_PUSH_FLAG : 0), session);
	put_u32(head + n, (uint32_t)sz);
	push_frame(L, head, n + 4, NULL, 0);
	lua_pushinteger(L, session == INT32_MAX ? 1 : session + 1);
	push_request_parts(L, session, msg, sz);
}

/* reads argument 1 as a target; NULL when fine, else the complaint */
static const char *check_target(lua_State *L, struct target *t) {
	if (lua_type(L, 1) == LUA_TNUMBER) {
		lua_Integer h = lua_tointeger(L, 1);
		if (!lua_isinteger(L, 1) || h < 0 || h > UINT32_MAX)
			return "address is not a 32-bit handle";
		t->handle = (uint32_t)h;
		t->name = NULL;
		return NULL;
	}
	if (lua_type(L, 1) != LUA_TSTRING)
		return "address is neither a handle nor a name";
	t->name = lua_tolstring(L, 1, &t->namesz);
	if (t->namesz < 1 || t->namesz > MAX_NAME)
		return "name length must be 1 to 255 bytes";
	return NULL;
}

/*
 * packrequest(addr, session, msg, sz) / packpush(...): msg is a
 * skynet_malloc'ed message (skynet.pack), freed here whatever happens.
 * Returns the first frame, the next session and, for a message sent in
 * parts, a table of the part frames.
 */
static int pack_request(lua_State *L, int push) {
	void *msg = lua_touserdata(L, 3);
	if (msg == NULL || lua_type(L, 3) != LUA_TLIGHTUSERDATA)
		return luaL_error(L, "cluster request needs a message pointer, got %s", luaL_typename(L, 3));
	lua_Integer sz = lua_tointeger(L, 4);
	lua_Integer session = lua_tointeger(L, 2);
	struct target t;
	const char *err = check_target(L, &t);
	if (err == NULL && (!lua_isinteger(L, 4) || sz < 0 || sz > UINT32_MAX))
		err = "message size is not a valid size";
	if (err == NULL && (!lua_isinteger(L, 2) || session <= 0 || session > INT32_MAX))
		err = "session must be 1 to 2^31-1";
	if (err) {
		skynet_free(msg);
		return luaL_error(L, "cluster request: %s", err);
	}
	lua_settop(L, 4);
	push_request(L, &t, (uint32_t)session, msg, (size_t)sz, push);
	skynet_free(msg);
	return lua_gettop(L) - 4;
}

static int lpackrequest(lua_State *L) {
	return pack_request(L, 0);
}

static int lpackpush(lua_State *L) {
	return pack_request(L, 1);
}

/* packtrace(tag): the frame that tags the next request */
static int lpacktrace(lua_State *L) {
	size_t sz;
	const char *tag = luaL_checklstring(L, 1, &sz);
	if (sz > PART_SIZE)
		return luaL_error(L, "trace tag is too long : %d", (int)sz);
	uint8_t kind = REQ_TRACE;
	push_frame(L, &kind, 1, tag, sz);
	return 1;
}

/* a skynet_malloc'ed copy of a payload, as lightuserdata and size */
static void push_copy(lua_State *L, const uint8_t *p, size_t sz) {
	void *copy = skynet_malloc(sz > 0 ? sz : 1);
	memcpy(copy, p, sz);
	lua_pushlightuserdata(L, copy);
	lua_pushinteger(L, (lua_Integer)sz);
}

/* pushes the destination of a request body: a handle or a name; returns
 * the offset of the session, 0 when the body is too short */
static size_t unpack_target(lua_State *L, const uint8_t *body, size_t sz, size_t after) {
	if (body[0] & REQ_NAME_FLAG) {
		if (sz < 2 || sz < 2 + (size_t)body[1] + after)
			return 0;
		lua_pushlstring(L, (const char *)body + 2, body[1]);
		return 2 + body[1];
	}
	if (sz < 5 + after)
		return 0;
	lua_pushinteger(L, get_u32(body + 1));
	return 5;
}

/* addr session msg sz [nil true]: a one-part request (push if session 0) */
static int unpack_single(lua_State *L, const uint8_t *body, size_t sz) {
	size_t at = unpack_target(L, body, sz, 4);
	if (at == 0)
		return luaL_error(L, "Invalid cluster message (size=%d)", (int)sz);
	uint32_t session = get_u32(body + at);
	lua_pushinteger(L, session);
	push_copy(L, body + at + 4, sz - at - 4);
	if (session != 0)
		return 4;
	lua_pushnil(L);
	lua_pushboolean(L, 1);
	return 6;
}

/* addr session nil size true is_push: the head of a request in parts */
static int unpack_multi(lua_State *L, const uint8_t *body, size_t sz) {
	size_t at = unpack_target(L, body, sz, 8);
	if (at == 0 || sz != at + 8)
		return luaL_error(L, "Invalid cluster message (size=%d)", (int)sz);
	lua_pushinteger(L, get_u32(body + at));
	lua_pushnil(L);
	lua_pushinteger(L, get_u32(body + at + 4));
	lua_pushboolean(L, 1);
	lua_pushboolean(L, (body[0] & REQ_PUSH_FLAG) != 0);
	return 6;
}

/* false session bytes size more: one part, its bytes as a string (parts
 * are kept as strings until the last one comes: one copy, not two) */
static int unpack_part(lua_State *L, const uint8_t *body, size_t sz) {
	if (sz < 5)
		return luaL_error(L, "Invalid cluster multi part message");
	lua_pushboolean(L, 0);
	lua_pushinteger(L, get_u32(body + 1));
	lua_pushlstring(L, (const char *)body + 5, sz - 5);
	lua_pushinteger(L, (lua_Integer)(sz - 5));
	lua_pushboolean(L, body[0] == REQ_PART);
	return 5;
}

/*
 * unpackrequest(msg, sz) or unpackrequest(string): a request body (no
 * length prefix).  Returns what the kind byte announces (see above);
 * a trace frame returns just its tag.  A one-part payload comes back as a
 * fresh skynet_malloc'ed copy, a part as a string.
 */
static int lunpackrequest(lua_State *L) {
	const uint8_t *body;
	size_t sz;
	if (lua_type(L, 1) == LUA_TLIGHTUSERDATA) {
		body = lua_touserdata(L, 1);
		lua_Integer n = luaL_checkinteger(L, 2);
		if (body == NULL || n < 0)
			return luaL_error(L, "Invalid req package");
		sz = (size_t)n;
	} else {
		body = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	}
	if (sz == 0)
		return luaL_error(L, "Invalid req package. size == 0");
	switch (body[0]) {
	case REQ_ADDR:
	case REQ_ADDR | REQ_NAME_FLAG:
		return unpack_single(L, body, sz);
	case REQ_ADDR_MULTI:
	case REQ_ADDR_MULTI | REQ_PUSH_FLAG:
	case REQ_ADDR_MULTI | REQ_NAME_FLAG:
	case REQ_ADDR_MULTI | REQ_NAME_FLAG | REQ_PUSH_FLAG:
		return unpack_multi(L, body, sz);
	case REQ_PART:
	case REQ_PART_LAST:
		return unpack_part(L, body, sz);
	case REQ_TRACE:
		lua_pushlstring(L, (const char *)body + 1, sz - 1);
		return 1;
	default:
		return luaL_error(L, "Invalid req package type %d", body[0]);
	}
}

static void push_response_frame(lua_State *L, uint32_t session, uint8_t kind, const void *payload, size_t sz) {
	uint8_t head[5];
	put_u32(head, session);
	head[4] = kind;
	push_frame(L, head, sizeof(head), payload, sz);
}

/*
 * packresponse(session, ok, msg, sz) or packresponse(session, ok, string):
 * msg is not freed (it belongs to the message being handled).  Returns a
 * frame, or a table of frames when an ok payload is over PART_SIZE; an
 * error text is cut to PART_SIZE.
 */
static int lpackresponse(lua_State *L) {
	lua_Integer session = luaL_checkinteger(L, 1);
	int ok = lua_toboolean(L, 2);
	const uint8_t *msg;
	size_t sz;
	if (lua_type(L, 3) == LUA_TSTRING) {
		msg = (const uint8_t *)lua_tolstring(L, 3, &sz);
	} else {
		/* an empty answer may come as a NULL pointer (or nil) of size 0 */
		msg = lua_touserdata(L, 3);
		lua_Integer n = luaL_optinteger(L, 4, 0);
		int pointer = lua_type(L, 3) == LUA_TLIGHTUSERDATA || lua_isnil(L, 3);
		if (!pointer || (msg == NULL && n != 0) || n < 0 || n > UINT32_MAX)
			return luaL_error(L, "cluster response needs a string or a message pointer and size");
		sz = (size_t)n;
	}
	if (!ok) {
		push_response_frame(L, (uint32_t)session, RESP_ERROR, msg, sz > PART_SIZE ? PART_SIZE : sz);
		return 1;
	}
	if (sz <= PART_SIZE) {
		push_response_frame(L, (uint32_t)session, RESP_OK, msg, sz);
		return 1;
	}
	int n = part_count(sz);
	lua_createtable(L, n + 1, 0);
	uint8_t total[4];
	put_u32(total, (uint32_t)sz);
	push_response_frame(L, (uint32_t)session, RESP_MULTI, total, 4);
	lua_rawseti(L, -2, 1);
	for (int i = 2; i <= n + 1; i++) {
		size_t s = sz > PART_SIZE ? PART_SIZE : sz;
		push_response_frame(L, (uint32_t)session, sz > PART_SIZE ? RESP_PART : RESP_PART_LAST, msg, s);
		lua_rawseti(L, -2, i);
		msg += s;
		sz -= s;
	}
	return 1;
}

/*
 * unpackresponse(body): session, ok, data [, more].  The head of a
 * response in parts gives session, true, size, true; a part gives
 * session, true, bytes, true; the last part session, true, bytes.
 * Nothing when the body is malformed.
 */
static int lunpackresponse(lua_State *L) {
	size_t sz;
	const uint8_t *body = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	if (sz < 5)
		return 0;
	lua_pushinteger(L, get_u32(body));
	const char *payload = (const char *)body + 5;
	switch (body[4]) {
	case RESP_ERROR:
		lua_pushboolean(L, 0);
		lua_pushlstring(L, payload, sz - 5);
		return 3;
	case RESP_OK:
	case RESP_PART_LAST:
		lua_pushboolean(L, 1);
		lua_pushlstring(L, payload, sz - 5);
		return 3;
	case RESP_MULTI:
		if (sz != 9)
			return 0;
		lua_pushboolean(L, 1);
		lua_pushinteger(L, get_u32(body + 5));
		lua_pushboolean(L, 1);
		return 4;
	case RESP_PART:
		lua_pushboolean(L, 1);
		lua_pushlstring(L, payload, sz - 5);
		lua_pushboolean(L, 1);
		return 4;
	default:
		return 0;
	}
}

/*
 * concat(t): t = { size, part, part, ... } joined into one skynet_malloc'ed
 * message (msg, sz) for a send or a response; nothing when the parts do
 * not add up to size.
 */
static int lconcat(lua_State *L) {
	if (!lua_istable(L, 1) || lua_rawgeti(L, 1, 1) != LUA_TNUMBER || !lua_isinteger(L, -1))
		return 0;
	lua_Integer size = lua_tointeger(L, -1);
	lua_pop(L, 1);
	lua_Integer total = 0;
	lua_Integer i;
	for (i = 2; lua_rawgeti(L, 1, i) == LUA_TSTRING; i++) {
		total += (lua_Integer)lua_rawlen(L, -1);
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	if (total != size || size < 0)
		return 0;
	char *buf = skynet_malloc(size > 0 ? (size_t)size : 1);
	char *p = buf;
	for (lua_Integer j = 2; j < i; j++) {
		size_t s;
		lua_rawgeti(L, 1, j);
		const char *part = lua_tolstring(L, -1, &s);
		memcpy(p, part, s);
		p += s;
		lua_pop(L, 1);
	}
	lua_pushlightuserdata(L, buf);
	lua_pushinteger(L, size);
	return 2;
}

/* isname(addr): true for a "@name" address */
static int lisname(lua_State *L) {
	const char *s = lua_tostring(L, 1);
	if (s == NULL || s[0] != '@')
		return 0;
	lua_pushboolean(L, 1);
	return 1;
}

/* nodename(): this node's name for trace tags, host name and pid */
static int lnodename(lua_State *L) {
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "noname");
	host[sizeof(host) - 1] = '\0';
	for (char *p = host; *p; p++) {
		if ((unsigned char)*p <= ' ')
			*p = '_';
	}
	lua_pushfstring(L, "%s%d", host, (int)getpid());
	return 1;
}

LUAMOD_API int luaopen_skynet_cluster_core(lua_State *L) {
	luaL_Reg l[] = {
		{ "packrequest", lpackrequest },
		{ "packpush", lpackpush },
		{ "packtrace", lpacktrace },
		{ "unpackrequest", lunpackrequest },
		{ "packresponse", lpackresponse },
		{ "unpackresponse", lunpackresponse },
		{ "concat", lconcat },
		{ "isname", lisname },
		{ "nodename", lnodename },
		{ NULL, NULL },
	};
	luaL_checkversion(L);
	luaL_newlib(L, l);
	return 1;
}
