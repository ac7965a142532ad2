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
#define TRACE_HEAD 3 /* length prefix, kind */

static void put_frame_size(uint8_t *p, size_t body) {
	p[0] = (uint8_t)(body >> 8);
	p[1] = (uint8_t)(body & 0xff);
}

/* the 5 bytes after a part's length: kind and session (a request's) or
 * session and kind (a response's) */
static void put_part_head(uint8_t *p, int response, int last, uint32_t session) {
	if (response) {
		put_u32(p, session);
		p[4] = last ? RESP_PART_LAST : RESP_PART;
	} else {
		p[0] = last ? REQ_PART_LAST : REQ_PART;
		put_u32(p + 1, session);
	}
}

/* writes the frame of each part of payload at p */
static void write_parts(uint8_t *p, int response, uint32_t session, const uint8_t *payload, size_t sz) {
	while (sz > 0) {
		size_t s = sz > PART_SIZE ? PART_SIZE : sz;
		put_frame_size(p, s + 5);
		put_part_head(p + 2, response, sz <= PART_SIZE, session);
		memcpy(p + PART_HEAD, payload, s);
		p += PART_HEAD + s;
		payload += s;
		sz -= s;
	}
}

/* the bytes of a trace frame for tag (at most PART_SIZE bytes) */
static uint8_t *write_trace(uint8_t *p, const char *tag, size_t sz) {
	put_frame_size(p, sz + 1);
	p[2] = REQ_TRACE;
	memcpy(p + TRACE_HEAD, tag, sz);
	return p + TRACE_HEAD + sz;
}

/*
 * A request in parts goes out as one skynet_malloc'ed buffer holding every
 * frame (the trace frame if any, the head, each part): the payload is
 * copied once, the socket takes the buffer as it is, and memory freed
 * after the write is reused by the next large request.  Pushes the buffer;
 * returns its size.
 */
static size_t push_request_parts(lua_State *L, const uint8_t *head, size_t headsz, const char *tag, size_t tagsz, uint32_t session, const uint8_t *msg, size_t sz) {
	size_t wiresz = (tag ? TRACE_HEAD + tagsz : 0) + 2 + headsz + (size_t)part_count(sz) * PART_HEAD + sz;
	uint8_t *wire = skynet_malloc(wiresz);
	if (wire == NULL) {
		skynet_free((void *)msg); /* ours to free, as whatever happens */
		luaL_error(L, "cluster request: not enough memory for %I bytes", (lua_Integer)wiresz);
	}
	uint8_t *p = wire;
	if (tag)
		p = write_trace(p, tag, tagsz);
	put_frame_size(p, headsz);
	memcpy(p + 2, head, headsz);
	write_parts(p + 2 + headsz, 0, session, msg, sz);
	lua_pushlightuserdata(L, wire);
	return wiresz;
}

static lua_Integer next_session(uint32_t session) {
	return session == INT32_MAX ? 1 : (lua_Integer)session + 1;
}

/* pushes frame, next session (one part) or wire, next session, wiresz */
static int push_request(lua_State *L, const struct target *t, uint32_t session, const uint8_t *msg, size_t sz, int push, const char *tag, size_t tagsz) {
	uint8_t head[MAX_HEAD];
	if (sz < PART_SIZE) {
		size_t n = request_head(head, t, REQ_ADDR, push ? 0 : session);
		size_t body = n + sz;
		size_t total = (tag ? TRACE_HEAD + tagsz : 0) + 2 + body;
		luaL_Buffer b;
		uint8_t *p = (uint8_t *)luaL_buffinitsize(L, &b, total);
		if (tag)
			p = write_trace(p, tag, tagsz);
		put_frame_size(p, body);
		memcpy(p + 2, head, n);
		if (sz > 0)
			memcpy(p + 2 + n, msg, sz);
		luaL_pushresultsize(&b, total);
		lua_pushinteger(L, next_session(session));
		return 2;
	}
	/* a push in parts still needs a session to tie its parts together */
	size_t n = request_head(head, t, REQ_ADDR_MULTI | (push ? REQ_PUSH_FLAG : 0), session);
	put_u32(head + n, (uint32_t)sz);
	size_t wiresz = push_request_parts(L, head, n + 4, tag, tagsz, session, msg, sz);
	lua_pushinteger(L, next_session(session));
	lua_pushinteger(L, (lua_Integer)wiresz);
	return 3;
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
 * packrequest(addr, session, msg, sz [, tag]) / packpush(...): msg is a
 * skynet_malloc'ed message (skynet.pack), freed here whatever happens; tag
 * a trace tag whose frame goes first.  Returns the frame (a string) and
 * the next session; for a message sent in parts, a skynet_malloc'ed buffer
 * of all the frames (lightuserdata), the next session and its size.
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
	size_t tagsz = 0;
	const char *tag = NULL;
	if (err == NULL && !lua_isnoneornil(L, 5)) {
		tag = lua_tolstring(L, 5, &tagsz);
		if (tag == NULL || lua_type(L, 5) != LUA_TSTRING)
			err = "trace tag must be a string";
		else if (tagsz > PART_SIZE)
			err = "trace tag is too long";
	}
	if (err) {
		skynet_free(msg);
		return luaL_error(L, "cluster request: %s", err);
	}
	lua_settop(L, 5);
	int n = push_request(L, &t, (uint32_t)session, msg, (size_t)sz, push, tag, tagsz);
	skynet_free(msg);
	return n;
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

/* false session bytes size more: one part; bytes points into body (no
 * copy: the caller appends them to its assembly while body lives) */
static int unpack_part(lua_State *L, const uint8_t *body, size_t sz) {
	if (sz < 5)
		return luaL_error(L, "Invalid cluster multi part message");
	lua_pushboolean(L, 0);
	lua_pushinteger(L, get_u32(body + 1));
	lua_pushlightuserdata(L, (void *)(body + 5));
	lua_pushinteger(L, (lua_Integer)(sz - 5));
	lua_pushboolean(L, body[0] == REQ_PART);
	return 5;
}

/*
 * unpackrequest(msg, sz) or unpackrequest(string): a request body (no
 * length prefix).  Returns what the kind byte announces (see above);
 * a trace frame returns just its tag.  A one-part payload comes back as a
 * fresh skynet_malloc'ed copy, a part as a pointer into the body.
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
 * frame, or, when an ok payload is over PART_SIZE, all its frames in one
 * skynet_malloc'ed buffer (lightuserdata) and its size; an error text is
 * cut to PART_SIZE.
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
	size_t wiresz = 2 + 9 + (size_t)part_count(sz) * PART_HEAD + sz;
	uint8_t *wire = skynet_malloc(wiresz);
	if (wire == NULL)
		return luaL_error(L, "cluster response: not enough memory for %I bytes", (lua_Integer)wiresz);
	put_frame_size(wire, 9);
	put_u32(wire + 2, (uint32_t)session);
	wire[6] = RESP_MULTI;
	put_u32(wire + 7, (uint32_t)sz);
	write_parts(wire + 11, 1, (uint32_t)session, msg, sz);
	lua_pushlightuserdata(L, wire);
	lua_pushinteger(L, (lua_Integer)wiresz);
	return 2;
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

/*
 * An assembly: the parts of one request in parts, copied as they come into
 * one buffer of the announced size, which becomes the message for the
 * service.  The buffer is allocated up to ASSEMBLY_FIRST bytes at once and
 * grows with what actually arrives beyond that, so a peer's announced size
 * costs nothing it does not send.
 */
#define ASSEMBLY "skynet.cluster.assembly"
#define ASSEMBLY_FIRST ((size_t)8 << 20)

struct assembly {
	uint8_t *buf;
	size_t size; /* announced */
	size_t got;
	size_t cap;
};

/* assembly(size): an empty assembly for a request of size bytes */
static int lassembly(lua_State *L) {
	lua_Integer size = luaL_checkinteger(L, 1);
	luaL_argcheck(L, size >= 0 && size <= UINT32_MAX, 1, "size out of range");
	struct assembly *a = lua_newuserdatauv(L, sizeof(*a), 0);
	memset(a, 0, sizeof(*a));
	a->size = (size_t)size;
	luaL_setmetatable(L, ASSEMBLY);
	return 1;
}

/* room for n more bytes (a->got + n <= a->size) */
static void assembly_reserve(lua_State *L, struct assembly *a, size_t n) {
	size_t need = a->got + n;
	if (need <= a->cap)
		return;
	size_t cap = a->cap ? a->cap * 2 : ASSEMBLY_FIRST;
	if (cap < need)
		cap = need;
	if (cap > a->size)
		cap = a->size;
	uint8_t *buf = skynet_realloc(a->buf, cap);
	if (buf == NULL)
		luaL_error(L, "cluster: not enough memory for a request of %I bytes", (lua_Integer)a->size);
	a->buf = buf;
	a->cap = cap;
}

/* asm:append(bytes, n) with bytes a pointer or a string: false when the
 * parts would pass the announced size (nothing is kept then) */
static int lassembly_append(lua_State *L) {
	struct assembly *a = luaL_checkudata(L, 1, ASSEMBLY);
	const void *bytes;
	size_t n;
	if (lua_type(L, 2) == LUA_TLIGHTUSERDATA) {
		bytes = lua_touserdata(L, 2);
		lua_Integer len = luaL_checkinteger(L, 3);
		luaL_argcheck(L, len >= 0 && (bytes != NULL || len == 0), 3, "invalid size");
		n = (size_t)len;
	} else {
		bytes = luaL_checklstring(L, 2, &n);
	}
	if (n > a->size - a->got) {
		lua_pushboolean(L, 0);
		return 1;
	}
	if (n > 0) {
		assembly_reserve(L, a, n);
		memcpy(a->buf + a->got, bytes, n);
		a->got += n;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* asm:take(): the whole message (msg, sz), skynet_malloc'ed, once every
 * announced byte came (the assembly is empty after); nothing before */
static int lassembly_take(lua_State *L) {
	struct assembly *a = luaL_checkudata(L, 1, ASSEMBLY);
	if (a->got != a->size)
		return 0;
	void *msg = a->buf ? a->buf : skynet_malloc(1);
	lua_pushlightuserdata(L, msg);
	lua_pushinteger(L, (lua_Integer)a->size);
	a->buf = NULL;
	a->got = a->cap = a->size = 0;
	return 2;
}

static int lassembly_gc(lua_State *L) {
	struct assembly *a = luaL_checkudata(L, 1, ASSEMBLY);
	skynet_free(a->buf);
	a->buf = NULL;
	return 0;
}

static void assembly_metatable(lua_State *L) {
	luaL_Reg methods[] = {
		{ "append", lassembly_append },
		{ "take", lassembly_take },
		{ NULL, NULL },
	};
	luaL_newmetatable(L, ASSEMBLY);
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lassembly_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
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
		{ "assembly", lassembly },
		{ "isname", lisname },
		{ "nodename", lnodename },
		{ NULL, NULL },
	};
	luaL_checkversion(L);
	assembly_metatable(L);
	luaL_newlib(L, l);
	return 1;
}
