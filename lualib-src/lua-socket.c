/*
 * skynet.socketdriver: the socket API under skynet.socket.
 *
 * Received data arrives as malloc'ed blocks (PTYPE_SOCKET messages).  A
 * socket buffer (userdata) strings them together without copying, in
 * nodes taken from a pool: a Lua table whose [1] is the head of a free
 * list (lightuserdata) and whose [2], [3], ... are node arrays (userdata,
 * 16, 32, ... up to 4096 nodes each).  Nodes are never released before the
 * pool is collected; the arrays' __gc frees any data still in them.  A
 * buffer also holds one node of its own, used whenever it is free: a
 * reader that keeps up (one block buffered at a time) never touches the
 * pool, and the buffer's __gc frees what that node still holds.
 *
 * Arguments are checked: a buffer must be one made by buffer(), a pool a
 * table that was empty when first used (it is then marked with a
 * metatable Lua code cannot read or change), a message block a
 * lightuserdata.  Anything else is a Lua error, never a wild pointer.
 */
#define LUA_LIB

#include "skynet.h"
#include "skynet_socket.h"

#include <lua.h>
#include <lauxlib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define POOL_FIRST 16
#define POOL_LARGEST 4096
#define BUFFER_TYPE "socket_buffer"
#define POOL_ARRAY_TYPE "socket_buffer_pool"
#define POOL_TYPE "socket_buffer_pool_table"
#define HOST_MAX 1025 /* NI_MAXHOST */

struct buffer_node {
	char *msg;
	int sz;
	struct buffer_node *next;
};

struct socket_buffer {
	const struct socket_buffer *self; /* its own address: see checkbuffer */
	const void *pool; /* the pool table it is bound to (its user value), or NULL */
	int size;   /* bytes buffered */
	int offset; /* bytes of head->msg already read */
	struct buffer_node *head;
	struct buffer_node *tail;
	struct buffer_node own; /* free when own.msg is NULL */
};

/* node pool */

static int
lfreepool(lua_State *L) {
	struct buffer_node *pool = luaL_checkudata(L, 1, POOL_ARRAY_TYPE);
	int n = (int)(lua_rawlen(L, 1) / sizeof(*pool));
	for (int i = 0; i < n; i++) {
		skynet_free(pool[i].msg);
		pool[i].msg = NULL;
	}
	return 0;
}

/* a new array of n free nodes at the top of the stack; returns its first */
static struct buffer_node *
newpool(lua_State *L, int n) {
	struct buffer_node *pool = lua_newuserdatauv(L, sizeof(struct buffer_node) * n, 0);
	for (int i = 0; i < n; i++) {
		pool[i].msg = NULL;
		pool[i].sz = 0;
		pool[i].next = i + 1 < n ? &pool[i + 1] : NULL;
	}
	if (luaL_newmetatable(L, POOL_ARRAY_TYPE)) {
		lua_pushcfunction(L, lfreepool);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return pool;
}

/* the head of the pool's free list: a lightuserdata, or nil in a new pool */
static struct buffer_node *
free_head(lua_State *L, int pool) {
	int type = lua_rawgeti(L, pool, 1);
	if (type != LUA_TLIGHTUSERDATA && type != LUA_TNIL)
		luaL_error(L, "corrupt buffer pool");
	struct buffer_node *node = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return node;
}

static struct buffer_node *
take_node(lua_State *L, int pool) {
	struct buffer_node *node = free_head(L, pool);
	if (node == NULL) {
		int arrays = (int)lua_rawlen(L, pool); /* [1] plus the arrays so far */
		int n = POOL_FIRST;
		for (int i = 1; i < arrays && n < POOL_LARGEST; i++)
			n *= 2;
		node = newpool(L, n);
		lua_rawseti(L, pool, arrays < 1 ? 2 : arrays + 1);
	}
	lua_pushlightuserdata(L, node->next);
	lua_rawseti(L, pool, 1);
	node->next = NULL;
	return node;
}

/* frees the head node's data and returns the node to the pool (or to
 * the buffer, its own node) */
static void
return_head(lua_State *L, int pool, struct socket_buffer *sb) {
	struct buffer_node *node = sb->head;
	sb->head = node->next;
	if (sb->head == NULL)
		sb->tail = NULL;
	sb->offset = 0;
	skynet_free(node->msg);
	node->msg = NULL;
	node->sz = 0;
	node->next = NULL;
	if (node == &sb->own)
		return;
	node->next = free_head(L, pool);
	lua_pushlightuserdata(L, node);
	lua_rawseti(L, pool, 1);
}

/*
 * The buffer functions run for every message a socket brings, so they find
 * the metatables of buffers and pools in their upvalues, not in the
 * registry by name (a string lookup each).
 */
#define BUFFER_METATABLE lua_upvalueindex(1)
#define POOL_METATABLE lua_upvalueindex(2)

/* the value at index has the metatable at mt */
static bool
has_metatable(lua_State *L, int index, int mt) {
	if (!lua_getmetatable(L, index))
		return false;
	bool same = lua_rawequal(L, -1, mt);
	lua_pop(L, 1);
	return same;
}

/* A buffer is a full userdata of its size that holds its own address,
 * which Lua code cannot forge: two reads instead of a metatable
 * comparison for every message. */
static struct socket_buffer *
checkbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_touserdata(L, 1);
	if (lua_type(L, 1) != LUA_TUSERDATA || lua_rawlen(L, 1) != sizeof(*sb) || sb->self != sb)
		luaL_typeerror(L, 1, BUFFER_TYPE);
	return sb;
}

/* the pool at index: a table marked as a pool, or an empty one, marked now */
static void
mark_pool(lua_State *L, int index) {
	luaL_checktype(L, index, LUA_TTABLE);
	if (has_metatable(L, index, POOL_METATABLE))
		return;
	if (lua_getmetatable(L, index))
		luaL_argerror(L, index, "not a buffer pool");
	lua_pushnil(L);
	if (lua_next(L, index)) {
		luaL_argerror(L, index, "not a buffer pool (a pool starts as an empty table)");
	}
	lua_pushvalue(L, POOL_METATABLE);
	lua_setmetatable(L, index);
}

/* the pool at index for the buffer sb (at 1): a buffer's nodes come from
 * and go back to one pool, which it keeps alive (its user value), so no
 * other table can take that pool's address while sb remembers it.  The
 * pool was checked when it was bound: the usual call, with that pool
 * again, costs a type test and one comparison. */
static void
checkpool(lua_State *L, struct socket_buffer *sb, int index) {
	if (lua_type(L, index) == LUA_TTABLE && lua_topointer(L, index) == sb->pool)
		return;
	if (sb->pool) {
		luaL_checktype(L, index, LUA_TTABLE);
		luaL_argerror(L, index, "the buffer belongs to another pool");
	}
	mark_pool(L, index);
	lua_pushvalue(L, index);
	lua_setiuservalue(L, 1, 1);
	sb->pool = lua_topointer(L, index);
}

static int
lnewbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_newuserdatauv(L, sizeof(*sb), 1);
	sb->self = sb;
	sb->pool = NULL;
	sb->size = 0;
	sb->offset = 0;
	sb->head = sb->tail = NULL;
	sb->own.msg = NULL;
	sb->own.sz = 0;
	sb->own.next = NULL;
	lua_pushvalue(L, BUFFER_METATABLE);
	lua_setmetatable(L, -2);
	return 1;
}

/* the buffer's __gc: frees the data it holds and leaves it empty (its
 * pool's nodes stay out of the free list: the pool may be going too) */
static int
lfreebuffer(lua_State *L) {
	struct socket_buffer *sb = luaL_checkudata(L, 1, BUFFER_TYPE);
	for (struct buffer_node *node = sb->head; node; node = node->next) {
		skynet_free(node->msg);
		node->msg = NULL;
		node->sz = 0;
	}
	sb->head = sb->tail = NULL;
	sb->size = 0;
	sb->offset = 0;
	return 0;
}

/* buffer, pool, msg (lightuserdata), size -> bytes buffered */
static int
lpushbuffer(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	checkpool(L, sb, 2);
	luaL_checktype(L, 3, LUA_TLIGHTUSERDATA);
	char *msg = lua_touserdata(L, 3);
	lua_Integer size = luaL_checkinteger(L, 4);
	if (msg == NULL || size < 0 || size > INT_MAX - sb->size)
		return luaL_error(L, "invalid message block (%p, %I bytes)", msg, size);
	int sz = (int)size;
	struct buffer_node *node = sb->own.msg == NULL ? &sb->own : take_node(L, 2);
	node->msg = msg;
	node->sz = sz;
	if (sb->head == NULL)
		sb->head = sb->tail = node;
	else {
		sb->tail->next = node;
		sb->tail = node;
	}
	sb->size += sz;
	lua_pushinteger(L, sb->size);
	return 1;
}

/* pushes the next sz bytes as a string, without the last `skip` of them */
static void
pop_string(lua_State *L, struct socket_buffer *sb, int sz, int skip) {
	struct buffer_node *node = sb->head;
	int avail = node->sz - sb->offset;
	if (sz <= avail) {
		/* the common case: one node, no concatenation */
		lua_pushlstring(L, node->msg + sb->offset, sz - skip);
		if (sz == avail)
			return_head(L, 2, sb);
		else
			sb->offset += sz;
		sb->size -= sz;
		return;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	int want = sz - skip; /* bytes that go into the string */
	sb->size -= sz;
	while (sz > 0) {
		node = sb->head;
		avail = node->sz - sb->offset;
		int take = avail < sz ? avail : sz;
		int keep = take < want ? take : want;
		if (keep > 0)
			luaL_addlstring(&b, node->msg + sb->offset, keep);
		want -= keep;
		sz -= take;
		if (take == avail)
			return_head(L, 2, sb);
		else
			sb->offset += take;
	}
	luaL_pushresult(&b);
}

/* buffer, pool, sz -> string or nil, bytes left */
static int
lpopbuffer(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	checkpool(L, sb, 2);
	lua_Integer sz = luaL_checkinteger(L, 3);
	if (sz <= 0 || sb->size < sz)
		lua_pushnil(L);
	else
		pop_string(L, sb, (int)sz, 0);
	lua_pushinteger(L, sb->size);
	return 2;
}

/* buffer or nil, pool */
static int
lclearbuffer(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return 0;
	struct socket_buffer *sb = checkbuffer(L);
	checkpool(L, sb, 2);
	while (sb->head)
		return_head(L, 2, sb);
	sb->size = 0;
	return 0;
}

/* buffer, pool -> every buffered byte as one string */
static int
lreadall(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	if (sb->head == NULL) {
		/* a reader looking before it waits: no node moves, so the pool
		 * only needs to be a table */
		luaL_checktype(L, 2, LUA_TTABLE);
		lua_pushliteral(L, "");
		return 1;
	}
	checkpool(L, sb, 2);
	if (sb->head == sb->tail) {
		pop_string(L, sb, sb->size, 0); /* one block: no concatenation buffer */
		return 1;
	}
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	while (sb->head) {
		struct buffer_node *node = sb->head;
		luaL_addlstring(&b, node->msg + sb->offset, node->sz - sb->offset);
		return_head(L, 2, sb);
	}
	sb->size = 0;
	luaL_pushresult(&b);
	return 1;
}

/* msg, sz: frees a message block nobody will read; nil does nothing */
static int
ldrop(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return 0;
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	luaL_checkinteger(L, 2);
	skynet_free(lua_touserdata(L, 1));
	return 0;
}

/* does sep start at byte `from` of node (continuing into later nodes)? */
static bool
match_sep(struct buffer_node *node, int from, const char *sep, int seplen) {
	while (seplen > 0) {
		if (node == NULL)
			return false;
		int n = node->sz - from;
		if (n > seplen)
			n = seplen;
		if (memcmp(node->msg + from, sep, n) != 0)
			return false;
		sep += n;
		seplen -= n;
		node = node->next;
		from = 0;
	}
	return true;
}

/* bytes before the first sep, or -1 */
static int
find_sep(struct socket_buffer *sb, const char *sep, int seplen) {
	int before = 0;
	int from = sb->offset;
	for (struct buffer_node *node = sb->head; node; node = node->next, from = 0) {
		const char *p = node->msg + from;
		const char *end = node->msg + node->sz;
		while (p < end) {
			const char *hit = memchr(p, sep[0], end - p);
			if (hit == NULL)
				break;
			if (match_sep(node, (int)(hit - node->msg), sep, seplen))
				return before + (int)(hit - (node->msg + from));
			p = hit + 1;
		}
		before += node->sz - from;
	}
	return -1;
}

/* buffer, pool or nil (only check), sep -> line without sep | true | nothing */
static int
lreadline(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	bool check = lua_isnoneornil(L, 2);
	if (!check)
		checkpool(L, sb, 2);
	size_t seplen = 0;
	const char *sep = luaL_checklstring(L, 3, &seplen);
	if (seplen == 0)
		return luaL_error(L, "empty separator");
	int n = find_sep(sb, sep, (int)seplen);
	if (n < 0)
		return 0;
	if (check)
		lua_pushboolean(L, 1);
	else
		pop_string(L, sb, n + (int)seplen, (int)seplen);
	return 1;
}

/* string -> lightuserdata (skynet_malloc'ed copy), size */
static int
lstr2p(lua_State *L) {
	size_t sz = 0;
	const char *str = luaL_checklstring(L, 1, &sz);
	void *ptr = skynet_malloc(sz ? sz : 1);
	memcpy(ptr, str, sz);
	lua_pushlightuserdata(L, ptr);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

/* a 1 to 4 byte big-endian length header -> integer */
static int
lheader(lua_State *L) {
	size_t len;
	const uint8_t *s = (const uint8_t *)luaL_checklstring(L, 1, &len);
	if (len < 1 || len > 4)
		return luaL_error(L, "Invalid read %s", s);
	size_t sz = 0;
	for (size_t i = 0; i < len; i++)
		sz = sz << 8 | s[i];
	lua_pushinteger(L, (lua_Integer)sz);
	return 1;
}

/* msg, size -> type, id, ud, data (lightuserdata or string)[, udp address] */
static int
lunpack(lua_State *L) {
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	struct skynet_socket_message *message = lua_touserdata(L, 1);
	lua_Integer size = luaL_checkinteger(L, 2);
	if (message == NULL || size < (lua_Integer)sizeof(*message) || size > INT_MAX)
		return luaL_error(L, "invalid socket message");
	lua_pushinteger(L, message->type);
	lua_pushinteger(L, message->id);
	lua_pushinteger(L, message->ud);
	if (message->buffer == NULL)
		lua_pushlstring(L, (const char *)(message + 1), size - sizeof(*message));
	else
		lua_pushlightuserdata(L, message->buffer);
	if (message->type == SKYNET_SOCKET_TYPE_UDP) {
		int addrsz = 0;
		const char *addr = skynet_socket_udp_address(message, &addrsz);
		if (addr) {
			lua_pushlstring(L, addr, addrsz);
			return 5;
		}
	}
	return 4;
}

/* the calling service */

static struct skynet_context *
context(lua_State *L) {
	return lua_touserdata(L, lua_upvalueindex(1));
}

static int
check_port(lua_State *L, int index) {
	lua_Integer port = luaL_checkinteger(L, index);
	luaL_argcheck(L, port >= 0 && port <= 65535, index, "port out of range");
	return (int)port;
}

/* a socket id or fd at index: an int, not negative */
static int
check_id(lua_State *L, int index) {
	lua_Integer id = luaL_checkinteger(L, index);
	luaL_argcheck(L, id >= 0 && id <= INT_MAX, index, "invalid socket id");
	return (int)id;
}

/*
 * The host and port of (addr at index, port at index + 1), or of
 * "host:port" / "[ipv6]:port" alone at index.  A host cut out of addr is
 * copied into host[HOST_MAX].
 */
static const char *
address_port(lua_State *L, int index, char host[HOST_MAX], int *port) {
	size_t len;
	const char *addr = luaL_checklstring(L, index, &len);
	if (!lua_isnoneornil(L, index + 1)) {
		*port = check_port(L, index + 1);
		return addr;
	}
	const char *name = addr;
	const char *colon;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			luaL_error(L, "Invalid address %s.", addr);
		name = addr + 1;
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			luaL_error(L, "Invalid address %s.", addr);
	}
	size_t namelen = (size_t)(colon - name) - (addr[0] == '[');
	if (namelen >= HOST_MAX)
		luaL_error(L, "Invalid address: host name of %d bytes", (int)namelen);
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
		luaL_error(L, "Invalid port in %s.", addr);
	memcpy(host, name, namelen);
	host[namelen] = '\0';
	*port = (int)p;
	return host;
}

static int
lconnect(lua_State *L) {
	char buf[HOST_MAX];
	int port = 0;
	const char *host = address_port(L, 1, buf, &port);
	if (port == 0)
		return luaL_error(L, "Invalid port");
	int id = skynet_socket_connect(context(L), host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
lclose(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_close(context(L), id);
	return 0;
}

static int
lshutdown(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_shutdown(context(L), id);
	return 0;
}

static int
llisten(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	int port = check_port(L, 2);
	/* by default as deep as the system allows: a reconnect storm must not
	 * overflow the accept queue */
	lua_Integer backlog = luaL_optinteger(L, 3, socket_server_max_backlog());
	luaL_argcheck(L, backlog >= 0 && backlog <= INT_MAX, 3, "backlog out of range");
	int id = skynet_socket_listen(context(L), host, port, (int)backlog);
	if (id < 0) {
		int err = errno; /* the listen ran on this thread */
		char reason[128];
		const char *shown = host[0] ? host : "0.0.0.0";
		const char *fmt = strchr(shown, ':') ? "Listen error: [%s]:%d: %s" : "Listen error: %s:%d: %s";
		return luaL_error(L, fmt, shown, port, strerror_r(err, reason, sizeof(reason)));
	}
	lua_pushinteger(L, id);
	return 1;
}

/* a table of strings becomes one skynet_malloc'ed block; raw access, so
 * that no metamethod can change an item between the two passes */
static void
concat_table(lua_State *L, int index, struct socket_sendbuffer *buf) {
	size_t total = 0;
	lua_Integer n = (lua_Integer)lua_rawlen(L, index);
	for (lua_Integer i = 1; i <= n; i++) {
		size_t len;
		lua_rawgeti(L, index, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "Invalid strings table: item %d is %s", (int)i, luaL_typename(L, -1));
		lua_tolstring(L, -1, &len);
		total += len;
		lua_pop(L, 1);
	}
	char *p = skynet_malloc(total ? total : 1);
	buf->type = SOCKET_BUFFER_MEMORY;
	buf->buffer = p;
	buf->sz = total;
	for (lua_Integer i = 1; i <= n; i++) {
		size_t len;
		lua_rawgeti(L, index, i);
		const char *s = lua_tolstring(L, -1, &len);
		memcpy(p, s, len);
		p += len;
		lua_pop(L, 1);
	}
}

/*
 * What send accepts at index: a string or full userdata (borrowed; a size
 * after the userdata may not pass its end), a lightuserdata + size
 * (skynet_malloc'ed; the socket takes it), or a table of strings
 * (concatenated).
 */
static void
get_buffer(lua_State *L, int index, struct socket_sendbuffer *buf) {
	switch (lua_type(L, index)) {
	case LUA_TUSERDATA: {
		size_t len = lua_rawlen(L, index);
		buf->type = SOCKET_BUFFER_RAWPOINTER;
		buf->buffer = lua_touserdata(L, index);
		buf->sz = len;
		if (!lua_isnoneornil(L, index + 1)) {
			lua_Integer sz = luaL_checkinteger(L, index + 1);
			luaL_argcheck(L, sz >= 0 && (size_t)sz <= len, index + 1, "size out of the userdata");
			buf->sz = (size_t)sz;
		}
		break;
	}
	case LUA_TLIGHTUSERDATA: {
		lua_Integer sz = lua_isinteger(L, index + 1) ? lua_tointeger(L, index + 1) : -1;
		buf->type = sz < 0 ? SOCKET_BUFFER_OBJECT : SOCKET_BUFFER_MEMORY;
		buf->buffer = lua_touserdata(L, index);
		buf->sz = (size_t)sz;
		break;
	}
	case LUA_TTABLE:
		concat_table(L, index, buf);
		break;
	default:
		buf->type = SOCKET_BUFFER_RAWPOINTER;
		buf->buffer = luaL_checklstring(L, index, &buf->sz);
		break;
	}
}

static int
lsend(lua_State *L) {
	struct socket_sendbuffer buf;
	buf.id = check_id(L, 1);
	get_buffer(L, 2, &buf);
	lua_pushboolean(L, skynet_socket_sendbuffer(context(L), &buf) == 0);
	return 1;
}

static int
lsendlow(lua_State *L) {
	struct socket_sendbuffer buf;
	buf.id = check_id(L, 1);
	get_buffer(L, 2, &buf);
	lua_pushboolean(L, skynet_socket_sendbuffer_lowpriority(context(L), &buf) == 0);
	return 1;
}

static int
lbind(lua_State *L) {
	int fd = check_id(L, 1);
	lua_pushinteger(L, skynet_socket_bind(context(L), fd));
	return 1;
}

static int
lstart(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_start(context(L), id);
	return 0;
}

static int
lpause(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_pause(context(L), id);
	return 0;
}

static int
labandon(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_abandon(context(L), id);
	return 0;
}

/* holdreads(id [, limit]): id, when it streams in large chunks, is not
 * read while this service has more than limit (default 2) messages waiting */
static int
lholdreads(lua_State *L) {
	int id = check_id(L, 1);
	lua_Integer limit = luaL_optinteger(L, 2, SKYNET_SOCKET_BUSY_QUEUE);
	luaL_argcheck(L, limit >= SKYNET_SOCKET_BUSY_QUEUE && limit <= INT_MAX, 2, "limit out of range");
	skynet_socket_holdreads(context(L), id, (int)limit);
	return 0;
}

static int
lnodelay(lua_State *L) {
	int id = check_id(L, 1);
	skynet_socket_nodelay(context(L), id);
	return 0;
}

/* [addr [, port]] -> id */
static int
ludp(lua_State *L) {
	char buf[HOST_MAX];
	int port = 0;
	const char *host = lua_isnoneornil(L, 1) ? NULL : address_port(L, 1, buf, &port);
	int id = skynet_socket_udp(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp init failed");
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_connect(lua_State *L) {
	int id = check_id(L, 1);
	char buf[HOST_MAX];
	int port = 0;
	const char *host = address_port(L, 2, buf, &port);
	if (skynet_socket_udp_connect(context(L), id, host, port))
		return luaL_error(L, "udp connect failed");
	return 0;
}

static int
ludp_dial(lua_State *L) {
	char buf[HOST_MAX];
	int port = 0;
	const char *host = address_port(L, 1, buf, &port);
	int id = skynet_socket_udp_dial(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp dial host failed");
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_listen(lua_State *L) {
	char buf[HOST_MAX];
	int port = 0;
	const char *host = address_port(L, 1, buf, &port);
	/* a bound udp socket is what udp(addr, port) makes */
	int id = skynet_socket_udp(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp listen host failed");
	lua_pushinteger(L, id);
	return 1;
}

/* an address from a udp message or udp_address: protocol 1 with an IPv4
 * address (7 bytes) or protocol 2 with an IPv6 one (19 bytes) */
static const char *
check_udp_address(lua_State *L, int index) {
	size_t len;
	const char *address = luaL_checklstring(L, index, &len);
	bool v4 = len == 1 + 2 + 4 && address[0] == 1;
	bool v6 = len == 1 + 2 + 16 && address[0] == 2;
	if (!v4 && !v6)
		luaL_argerror(L, index, "Invalid udp address");
	return address;
}

/* id, address, data -> ok */
static int
ludp_send(lua_State *L) {
	struct socket_sendbuffer buf;
	buf.id = check_id(L, 1);
	const char *address = check_udp_address(L, 2);
	get_buffer(L, 3, &buf);
	lua_pushboolean(L, skynet_socket_udp_sendbuffer(context(L), address, &buf) == 0);
	return 1;
}

/* address string -> ip, port */
static int
ludp_address(lua_State *L) {
	size_t sz = 0;
	const uint8_t *addr = (const uint8_t *)luaL_checklstring(L, 1, &sz);
	int family;
	if (sz == 1 + 2 + 4)
		family = AF_INET;
	else if (sz == 1 + 2 + 16)
		family = AF_INET6;
	else
		return luaL_error(L, "Invalid udp address");
	uint16_t port;
	memcpy(&port, addr + 1, sizeof(port));
	char tmp[INET6_ADDRSTRLEN];
	if (inet_ntop(family, addr + 3, tmp, sizeof(tmp)) == NULL)
		return luaL_error(L, "Invalid udp address");
	lua_pushstring(L, tmp);
	lua_pushinteger(L, ntohs(port));
	return 2;
}

static void
setinteger(lua_State *L, const char *key, lua_Integer v) {
	lua_pushinteger(L, v);
	lua_setfield(L, -2, key);
}

static const char *
info_type_name(int type) {
	switch (type) {
	case SOCKET_INFO_LISTEN: return "LISTEN";
	case SOCKET_INFO_TCP: return "TCP";
	case SOCKET_INFO_UDP: return "UDP";
	case SOCKET_INFO_BIND: return "BIND";
	case SOCKET_INFO_CLOSING: return "CLOSING";
	default: return "UNKNOWN";
	}
}

static void
push_info(lua_State *L, struct socket_info *si) {
	lua_newtable(L);
	setinteger(L, "id", si->id);
	setinteger(L, "address", (lua_Integer)si->opaque);
	lua_pushstring(L, info_type_name(si->type));
	lua_setfield(L, -2, "type");
	if (si->type == SOCKET_INFO_LISTEN) {
		setinteger(L, "accept", (lua_Integer)si->read);
		setinteger(L, "rtime", (lua_Integer)si->rtime);
		if (si->name[0]) {
			lua_pushstring(L, si->name);
			lua_setfield(L, -2, "sock");
		}
		return;
	}
	setinteger(L, "read", (lua_Integer)si->read);
	setinteger(L, "write", (lua_Integer)si->write);
	setinteger(L, "wbuffer", (lua_Integer)si->wbuffer);
	setinteger(L, "rtime", (lua_Integer)si->rtime);
	setinteger(L, "wtime", (lua_Integer)si->wtime);
	lua_pushboolean(L, si->reading);
	lua_setfield(L, -2, "reading");
	lua_pushboolean(L, si->writing);
	lua_setfield(L, -2, "writing");
	if (si->name[0]) {
		lua_pushstring(L, si->name);
		lua_setfield(L, -2, "peer");
	}
}

/* -> { {id=, type=, address=, read=, write=, ...}, ... } */
static int
linfo(lua_State *L) {
	lua_newtable(L);
	struct socket_info *list = skynet_socket_info();
	int n = 0;
	for (struct socket_info *si = list; si; si = si->next) {
		push_info(L, si);
		lua_rawseti(L, -2, ++n);
	}
	socket_info_release(list);
	return 1;
}

/* host -> { ip, ... } */
static int
lresolve(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	struct addrinfo hints;
	struct addrinfo *list = NULL;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM; /* one entry per address, not per socket type */
	int status = getaddrinfo(host, NULL, &hints, &list);
	if (status != 0)
		return luaL_error(L, "%s", gai_strerror(status));
	lua_newtable(L);
	int n = 0;
	char tmp[INET6_ADDRSTRLEN];
	for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		if (inet_ntop(ai->ai_family, a, tmp, sizeof(tmp))) {
			lua_pushstring(L, tmp);
			lua_rawseti(L, -2, ++n);
		}
	}
	freeaddrinfo(list);
	return 1;
}

LUAMOD_API int
luaopen_skynet_socketdriver(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg pure[] = {
		{ "buffer", lnewbuffer },
		{ "push", lpushbuffer },
		{ "pop", lpopbuffer },
		{ "drop", ldrop },
		{ "readall", lreadall },
		{ "clear", lclearbuffer },
		{ "readline", lreadline },
		{ "str2p", lstr2p },
		{ "header", lheader },
		{ "info", linfo },
		{ "unpack", lunpack },
		{ "resolve", lresolve },
		{ "udp_address", ludp_address },
		{ NULL, NULL },
	};
	luaL_newlibtable(L, pure);
	luaL_newmetatable(L, BUFFER_TYPE);
	lua_pushcfunction(L, lfreebuffer);
	lua_setfield(L, -2, "__gc");
	if (luaL_newmetatable(L, POOL_TYPE)) {
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
	}
	luaL_setfuncs(L, pure, 2);
	luaL_Reg with_context[] = {
		{ "connect", lconnect },
		{ "close", lclose },
		{ "shutdown", lshutdown },
		{ "listen", llisten },
		{ "send", lsend },
		{ "lsend", lsendlow },
		{ "bind", lbind },
		{ "start", lstart },
		{ "pause", lpause },
		{ "abandon", labandon },
		{ "nodelay", lnodelay },
		{ "holdreads", lholdreads },
		{ "udp", ludp },
		{ "udp_connect", ludp_connect },
		{ "udp_dial", ludp_dial },
		{ "udp_listen", ludp_listen },
		{ "udp_send", ludp_send },
		{ NULL, NULL },
	};
	lua_getfield(L, LUA_REGISTRYINDEX, "skynet_context");
	if (lua_touserdata(L, -1) == NULL)
		return luaL_error(L, "Init skynet context first");
	luaL_setfuncs(L, with_context, 1);
	return 1;
}
