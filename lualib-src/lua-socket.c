/*
 * skynet.socketdriver: the socket API under skynet.socket.
 *
 * Received data arrives as malloc'ed blocks (PTYPE_SOCKET messages).  A
 * socket buffer (userdata) strings them together without copying, in
 * nodes taken from a pool: a Lua table whose [1] is the head of a free
 * list (lightuserdata) and whose [2], [3], ... are node arrays (userdata,
 * 16, 32, ... up to 4096 nodes each).  Nodes are never released before the
 * pool is collected; the arrays' __gc frees any data still in them.
 */
#define LUA_LIB

#include "skynet.h"
#include "skynet_socket.h"

#include <lua.h>
#include <lauxlib.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define POOL_FIRST 16
#define POOL_LARGEST 4096

struct buffer_node {
	char *msg;
	int sz;
	struct buffer_node *next;
};

struct socket_buffer {
	int size;   /* bytes buffered */
	int offset; /* bytes of head->msg already read */
	struct buffer_node *head;
	struct buffer_node *tail;
};

/* node pool */

static int
lfreepool(lua_State *L) {
	struct buffer_node *pool = lua_touserdata(L, 1);
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
	if (luaL_newmetatable(L, "socket_buffer_pool")) {
		lua_pushcfunction(L, lfreepool);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return pool;
}

static struct buffer_node *
take_node(lua_State *L, int pool) {
	lua_rawgeti(L, pool, 1);
	struct buffer_node *node = lua_touserdata(L, -1);
	lua_pop(L, 1);
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

/* frees the head node's data and returns the node to the pool */
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
	lua_rawgeti(L, pool, 1);
	node->next = lua_touserdata(L, -1);
	lua_pop(L, 1);
	lua_pushlightuserdata(L, node);
	lua_rawseti(L, pool, 1);
}

static struct socket_buffer *
checkbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_touserdata(L, 1);
	if (sb == NULL)
		luaL_error(L, "need buffer object at param 1");
	return sb;
}

static int
lnewbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_newuserdatauv(L, sizeof(*sb), 0);
	sb->size = 0;
	sb->offset = 0;
	sb->head = sb->tail = NULL;
	return 1;
}

/* buffer, pool, msg (lightuserdata), size -> bytes buffered */
static int
lpushbuffer(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	char *msg = lua_touserdata(L, 3);
	if (msg == NULL)
		return luaL_error(L, "need message block at param 3");
	int sz = (int)luaL_checkinteger(L, 4);
	struct buffer_node *node = take_node(L, 2);
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
	luaL_checktype(L, 2, LUA_TTABLE);
	int sz = (int)luaL_checkinteger(L, 3);
	if (sz <= 0 || sb->size < sz)
		lua_pushnil(L);
	else
		pop_string(L, sb, sz, 0);
	lua_pushinteger(L, sb->size);
	return 2;
}

/* buffer, pool */
static int
lclearbuffer(lua_State *L) {
	struct socket_buffer *sb = lua_touserdata(L, 1);
	if (sb == NULL) {
		if (lua_isnil(L, 1))
			return 0;
		return luaL_error(L, "need buffer object at param 1");
	}
	luaL_checktype(L, 2, LUA_TTABLE);
	while (sb->head)
		return_head(L, 2, sb);
	sb->size = 0;
	return 0;
}

/* buffer, pool -> every buffered byte as one string */
static int
lreadall(lua_State *L) {
	struct socket_buffer *sb = checkbuffer(L);
	luaL_checktype(L, 2, LUA_TTABLE);
	if (sb->head == NULL) {
		lua_pushliteral(L, ""); /* a reader looking before it waits */
		return 1;
	}
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

/* msg, sz: frees a message block nobody will read */
static int
ldrop(lua_State *L) {
	void *msg = lua_touserdata(L, 1);
	luaL_checkinteger(L, 2);
	skynet_free(msg);
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
	bool check = !lua_istable(L, 2);
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
	struct skynet_socket_message *message = lua_touserdata(L, 1);
	int size = (int)luaL_checkinteger(L, 2);
	if (message == NULL || size < (int)sizeof(*message))
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

/*
 * host and port from (addr, port) or from "host:port" / "[ipv6]:port"
 * alone; host is copied into tmp (at least as long as addr).
 */
static const char *
address_port(lua_State *L, char *tmp, const char *addr, int port_index, int *port) {
	if (!lua_isnoneornil(L, port_index)) {
		*port = (int)luaL_checkinteger(L, port_index);
		return addr;
	}
	const char *host = addr;
	const char *colon;
	size_t hostlen;
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			luaL_error(L, "Invalid address %s.", addr);
		host = addr + 1;
		hostlen = close - host;
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL)
			luaL_error(L, "Invalid address %s.", addr);
		hostlen = colon - addr;
	}
	memcpy(tmp, host, hostlen);
	tmp[hostlen] = '\0';
	*port = (int)strtol(colon + 1, NULL, 10);
	return tmp;
}

static int
lconnect(lua_State *L) {
	size_t sz = 0;
	const char *addr = luaL_checklstring(L, 1, &sz);
	char tmp[sz + 1];
	int port = 0;
	const char *host = address_port(L, tmp, addr, 2, &port);
	if (port == 0)
		return luaL_error(L, "Invalid port");
	int id = skynet_socket_connect(context(L), host, port);
	lua_pushinteger(L, id);
	return 1;
}

static int
lclose(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_close(context(L), id);
	return 0;
}

static int
lshutdown(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_shutdown(context(L), id);
	return 0;
}

static int
llisten(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	int port = (int)luaL_checkinteger(L, 2);
	/* by default as deep as the system allows: a reconnect storm must not
	 * overflow the accept queue */
	int backlog = (int)luaL_optinteger(L, 3, socket_server_max_backlog());
	int id = skynet_socket_listen(context(L), host, port, backlog);
	if (id < 0)
		return luaL_error(L, "Listen error");
	lua_pushinteger(L, id);
	return 1;
}

/* a table of strings becomes one skynet_malloc'ed block */
static void
concat_table(lua_State *L, int index, struct socket_sendbuffer *buf) {
	size_t total = 0;
	lua_Integer n = luaL_len(L, index);
	for (lua_Integer i = 1; i <= n; i++) {
		size_t len;
		lua_geti(L, index, i);
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
		lua_geti(L, index, i);
		const char *s = lua_tolstring(L, -1, &len);
		memcpy(p, s, len);
		p += len;
		lua_pop(L, 1);
	}
}

/*
 * What send accepts at index: a string or full userdata (borrowed), a
 * lightuserdata + size (skynet_malloc'ed; the socket takes it), or a table
 * of strings (concatenated).
 */
static void
get_buffer(lua_State *L, int index, struct socket_sendbuffer *buf) {
	switch (lua_type(L, index)) {
	case LUA_TUSERDATA:
		buf->type = SOCKET_BUFFER_RAWPOINTER;
		buf->buffer = lua_touserdata(L, index);
		buf->sz = lua_isinteger(L, index + 1) ? (size_t)lua_tointeger(L, index + 1) : lua_rawlen(L, index);
		break;
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
	buf.id = (int)luaL_checkinteger(L, 1);
	get_buffer(L, 2, &buf);
	lua_pushboolean(L, skynet_socket_sendbuffer(context(L), &buf) == 0);
	return 1;
}

static int
lsendlow(lua_State *L) {
	struct socket_sendbuffer buf;
	buf.id = (int)luaL_checkinteger(L, 1);
	get_buffer(L, 2, &buf);
	lua_pushboolean(L, skynet_socket_sendbuffer_lowpriority(context(L), &buf) == 0);
	return 1;
}

static int
lbind(lua_State *L) {
	int fd = (int)luaL_checkinteger(L, 1);
	lua_pushinteger(L, skynet_socket_bind(context(L), fd));
	return 1;
}

static int
lstart(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_start(context(L), id);
	return 0;
}

static int
lpause(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_pause(context(L), id);
	return 0;
}

static int
labandon(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_abandon(context(L), id);
	return 0;
}

static int
lnodelay(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	skynet_socket_nodelay(context(L), id);
	return 0;
}

/* [addr [, port]] -> id */
static int
ludp(lua_State *L) {
	size_t sz = 0;
	const char *addr = lua_tolstring(L, 1, &sz);
	char tmp[sz + 1];
	int port = 0;
	const char *host = addr ? address_port(L, tmp, addr, 2, &port) : NULL;
	int id = skynet_socket_udp(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp init failed");
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_connect(lua_State *L) {
	int id = (int)luaL_checkinteger(L, 1);
	size_t sz = 0;
	const char *addr = luaL_checklstring(L, 2, &sz);
	char tmp[sz + 1];
	int port = 0;
	const char *host = address_port(L, tmp, addr, 3, &port);
	if (skynet_socket_udp_connect(context(L), id, host, port))
		return luaL_error(L, "udp connect failed");
	return 0;
}

static int
ludp_dial(lua_State *L) {
	size_t sz = 0;
	const char *addr = luaL_checklstring(L, 1, &sz);
	char tmp[sz + 1];
	int port = 0;
	const char *host = address_port(L, tmp, addr, 2, &port);
	int id = skynet_socket_udp_dial(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp dial host failed");
	lua_pushinteger(L, id);
	return 1;
}

static int
ludp_listen(lua_State *L) {
	size_t sz = 0;
	const char *addr = luaL_checklstring(L, 1, &sz);
	char tmp[sz + 1];
	int port = 0;
	const char *host = address_port(L, tmp, addr, 2, &port);
	int id = skynet_socket_udp_listen(context(L), host, port);
	if (id < 0)
		return luaL_error(L, "udp listen host failed");
	lua_pushinteger(L, id);
	return 1;
}

/* id, address (from a udp message or udp_address), data -> ok */
static int
ludp_send(lua_State *L) {
	struct socket_sendbuffer buf;
	buf.id = (int)luaL_checkinteger(L, 1);
	size_t len;
	const char *address = luaL_checklstring(L, 2, &len);
	if (len < 1 + 2 + 4)
		return luaL_error(L, "Invalid udp address");
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
	luaL_newlib(L, pure);
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
