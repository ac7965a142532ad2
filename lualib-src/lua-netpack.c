/*
 * skynet.netpack: packets framed by a 2-byte big-endian length, cut out
 * of the socket stream for gateserver.
 *
 * filter(queue, msg, sz) turns one PTYPE_SOCKET message into an event:
 *   queue                         nothing to do (partial packet, connect)
 *   queue, "data", fd, msg, sz    exactly one whole packet
 *   queue, "more"                 several packets: take them with pop(queue)
 *   queue, "open", fd, addr       a client was accepted
 *   queue, "close", fd
 *   queue, "error", fd, text
 *   queue, "warning", fd, kb
 * The queue userdata is created on first need and keeps, per socket, the
 * packet being assembled; every packet handed out (msg) is skynet_malloc'ed
 * and belongs to the caller.  A queue argument must be nil or such a queue,
 * a message a lightuserdata: anything else is a Lua error.
 */
#define LUA_LIB

#include "skynet.h"
#include "skynet_socket.h"

#include <lua.h>
#include <lauxlib.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define QUEUE_TYPE "netpack_queue"
#define HASHSIZE 256
#define QUEUE_FIRST 64
#define MAX_PACKET 0xffff

#define TYPE_DATA 1
#define TYPE_MORE 2
#define TYPE_ERROR 3
#define TYPE_OPEN 4
#define TYPE_CLOSE 5
#define TYPE_WARNING 6

struct netpack {
	int id;
	int size;
	void *buffer;
};

/* a packet still arriving */
struct partial {
	struct partial *next;
	int id;
	int size;   /* -1: only the first byte of the header has come */
	int read;   /* bytes of the body so far, or the first header byte */
	uint8_t *buffer;
};

struct queue {
	int cap;
	int head;
	int n;
	struct netpack *ring;
	struct partial *hash[HASHSIZE];
};

static void
free_partial(struct partial *p) {
	skynet_free(p->buffer);
	skynet_free(p);
}

static void
clear_queue(struct queue *q) {
	for (int i = 0; i < HASHSIZE; i++) {
		struct partial *p = q->hash[i];
		while (p) {
			struct partial *next = p->next;
			free_partial(p);
			p = next;
		}
		q->hash[i] = NULL;
	}
	for (int i = 0; i < q->n; i++)
		skynet_free(q->ring[(q->head + i) % q->cap].buffer);
	q->head = q->n = 0;
}

/* the queue at index 1: NULL for nil, an error for anything but a queue */
static struct queue *
check_queue(lua_State *L) {
	if (lua_isnoneornil(L, 1))
		return NULL;
	return luaL_checkudata(L, 1, QUEUE_TYPE);
}

static int
lclear(lua_State *L) {
	struct queue *q = check_queue(L);
	if (q)
		clear_queue(q);
	return 0;
}

static int
lgc(lua_State *L) {
	struct queue *q = luaL_checkudata(L, 1, QUEUE_TYPE);
	clear_queue(q);
	skynet_free(q->ring);
	q->ring = NULL;
	q->cap = 0;
	return 0;
}

/* the queue at index 1 (checked by the caller), created there if it is nil */
static struct queue *
get_queue(lua_State *L) {
	struct queue *q = lua_touserdata(L, 1);
	if (q)
		return q;
	q = lua_newuserdatauv(L, sizeof(*q), 0);
	memset(q, 0, sizeof(*q));
	if (luaL_newmetatable(L, QUEUE_TYPE)) {
		lua_pushcfunction(L, lgc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	lua_replace(L, 1);
	return q;
}

static int
hash_id(int id) {
	return (int)((uint32_t)id % HASHSIZE);
}

/* removes and returns the partial packet of id */
static struct partial *
take_partial(struct queue *q, int id) {
	if (q == NULL)
		return NULL;
	for (struct partial **p = &q->hash[hash_id(id)]; *p; p = &(*p)->next) {
		if ((*p)->id == id) {
			struct partial *found = *p;
			*p = found->next;
			return found;
		}
	}
	return NULL;
}

static void
keep_partial(struct queue *q, struct partial *p) {
	int h = hash_id(p->id);
	p->next = q->hash[h];
	q->hash[h] = p;
}

static void
push_packet(lua_State *L, int id, void *buffer, int size) {
	struct queue *q = get_queue(L);
	if (q->n == q->cap) {
		int cap = q->cap ? q->cap * 2 : QUEUE_FIRST;
		struct netpack *ring = skynet_malloc(cap * sizeof(*ring));
		for (int i = 0; i < q->n; i++)
			ring[i] = q->ring[(q->head + i) % q->cap];
		skynet_free(q->ring);
		q->ring = ring;
		q->cap = cap;
		q->head = 0;
	}
	struct netpack *np = &q->ring[(q->head + q->n) % q->cap];
	np->id = id;
	np->buffer = buffer;
	np->size = size;
	q->n++;
}

static void *
copy_bytes(const uint8_t *data, int size) {
	void *p = skynet_malloc(size ? size : 1);
	memcpy(p, data, size);
	return p;
}

/*
 * Cuts data into packets: whole ones are queued, a trailing partial one is
 * kept for the next message of id.
 */
static void
split_packets(lua_State *L, int id, const uint8_t *data, int size) {
	while (size > 0) {
		if (size == 1) {
			struct partial *p = skynet_malloc(sizeof(*p));
			p->id = id;
			p->size = -1;
			p->read = data[0];
			p->buffer = NULL;
			keep_partial(get_queue(L), p);
			return;
		}
		int len = data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (size < len) {
			struct partial *p = skynet_malloc(sizeof(*p));
			p->id = id;
			p->size = len;
			p->read = size;
			p->buffer = skynet_malloc(len);
			memcpy(p->buffer, data, size);
			keep_partial(get_queue(L), p);
			return;
		}
		push_packet(L, id, copy_bytes(data, len), len);
		data += len;
		size -= len;
	}
}

/* continues the partial packet p with data; returns bytes used */
static int
fill_partial(struct partial *p, const uint8_t *data, int size) {
	int used = 0;
	if (p->size < 0) {
		p->size = p->read << 8 | data[0];
		p->read = 0;
		p->buffer = skynet_malloc(p->size ? p->size : 1);
		used = 1;
	}
	int need = p->size - p->read;
	int take = size - used < need ? size - used : need;
	memcpy(p->buffer + p->read, data + used, take);
	p->read += take;
	return used + take;
}

static int
push_data_event(lua_State *L, int id, void *buffer, int size) {
	lua_pushvalue(L, lua_upvalueindex(TYPE_DATA));
	lua_pushinteger(L, id);
	lua_pushlightuserdata(L, buffer);
	lua_pushinteger(L, size);
	return 5;
}

static int
filter_data_(lua_State *L, int id, uint8_t *data, int size) {
	struct queue *q = lua_touserdata(L, 1);
	struct partial *p = take_partial(q, id);
	if (p) {
		int used = fill_partial(p, data, size);
		if (p->read < p->size) {
			keep_partial(q, p);
			return 1;
		}
		data += used;
		size -= used;
		if (size == 0) {
			int r = push_data_event(L, id, p->buffer, p->size);
			skynet_free(p);
			return r;
		}
		push_packet(L, id, p->buffer, p->size);
		skynet_free(p);
		split_packets(L, id, data, size);
		lua_pushvalue(L, lua_upvalueindex(TYPE_MORE));
		return 2;
	}
	if (size >= 2) {
		int len = data[0] << 8 | data[1];
		if (len == size - 2) {
			/* one whole packet: hand out the received block itself */
			memmove(data, data + 2, len);
			return -1;
		}
	}
	int before = q ? q->n : 0;
	split_packets(L, id, data, size);
	q = lua_touserdata(L, 1);
	if (q == NULL || q->n == before)
		return 1;
	if (q->n == before + 1 && before == 0) {
		/* a whole packet then a partial one: still a single "data" */
		struct netpack *np = &q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		return push_data_event(L, id, np->buffer, np->size);
	}
	lua_pushvalue(L, lua_upvalueindex(TYPE_MORE));
	return 2;
}

static int
filter_data(lua_State *L, int id, uint8_t *data, int size) {
	int r = filter_data_(L, id, data, size);
	if (r == -1)
		return push_data_event(L, id, data, size - 2);
	/* the socket message's block is ours to free once copied from */
	skynet_free(data);
	return r;
}

static void
push_text(lua_State *L, const char *text, int size) {
	if (text)
		lua_pushlstring(L, text, size);
	else
		lua_pushliteral(L, "");
}

/* queue, msg, sz -> queue [, type, ...] */
static int
lfilter(lua_State *L) {
	check_queue(L);
	luaL_checktype(L, 2, LUA_TLIGHTUSERDATA);
	struct skynet_socket_message *message = lua_touserdata(L, 2);
	lua_Integer sz = luaL_checkinteger(L, 3);
	if (message == NULL || sz < (lua_Integer)sizeof(*message) || sz > INT_MAX)
		return luaL_error(L, "invalid socket message");
	int size = (int)sz;
	const char *text = NULL;
	int textsize = 0;
	if (message->buffer == NULL) {
		text = (const char *)(message + 1);
		textsize = size - (int)sizeof(*message);
	}
	lua_settop(L, 1);
	switch (message->type) {
	case SKYNET_SOCKET_TYPE_DATA:
		return filter_data(L, message->id, (uint8_t *)message->buffer, message->ud);
	case SKYNET_SOCKET_TYPE_CLOSE: {
		struct partial *p = take_partial(lua_touserdata(L, 1), message->id);
		if (p)
			free_partial(p);
		lua_pushvalue(L, lua_upvalueindex(TYPE_CLOSE));
		lua_pushinteger(L, message->id);
		return 3;
	}
	case SKYNET_SOCKET_TYPE_ACCEPT:
		lua_pushvalue(L, lua_upvalueindex(TYPE_OPEN));
		lua_pushinteger(L, message->ud); /* the new connection, not the listener */
		push_text(L, text, textsize);
		return 4;
	case SKYNET_SOCKET_TYPE_ERROR: {
		struct partial *p = take_partial(lua_touserdata(L, 1), message->id);
		if (p)
			free_partial(p);
		lua_pushvalue(L, lua_upvalueindex(TYPE_ERROR));
		lua_pushinteger(L, message->id);
		push_text(L, text, textsize);
		return 4;
	}
	case SKYNET_SOCKET_TYPE_WARNING:
		lua_pushvalue(L, lua_upvalueindex(TYPE_WARNING));
		lua_pushinteger(L, message->id);
		lua_pushinteger(L, message->ud);
		return 4;
	case SKYNET_SOCKET_TYPE_UDP:
		skynet_free(message->buffer); /* a gate speaks TCP only */
		return 1;
	default: /* CONNECT: the listener started */
		return 1;
	}
}

/* queue -> fd, msg, sz | nothing */
static int
lpop(lua_State *L) {
	struct queue *q = check_queue(L);
	if (q == NULL || q->n == 0)
		return 0;
	struct netpack *np = &q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->n--;
	lua_pushinteger(L, np->id);
	lua_pushlightuserdata(L, np->buffer);
	lua_pushinteger(L, np->size);
	return 3;
}

/* the size argument at index for data at most `max` bytes long */
static size_t
check_size(lua_State *L, int index, lua_Integer max) {
	lua_Integer sz = luaL_checkinteger(L, index);
	luaL_argcheck(L, sz >= 0 && sz <= max, index, "size out of range");
	return (size_t)sz;
}

/* string | lightuserdata, sz | userdata [, sz] -> lightuserdata (length + data), sz + 2 */
static int
lpack(lua_State *L) {
	size_t len;
	const char *ptr;
	switch (lua_type(L, 1)) {
	case LUA_TLIGHTUSERDATA:
		ptr = lua_touserdata(L, 1);
		len = check_size(L, 2, MAX_PACKET + 1); /* over MAX_PACKET: the error below */
		break;
	case LUA_TUSERDATA:
		ptr = lua_touserdata(L, 1);
		len = lua_isnoneornil(L, 2) ? lua_rawlen(L, 1) : check_size(L, 2, (lua_Integer)lua_rawlen(L, 1));
		break;
	default:
		ptr = luaL_checklstring(L, 1, &len);
		break;
	}
	if (len > MAX_PACKET)
		return luaL_error(L, "Invalid size (too long) of data : %d", (int)len);
	uint8_t *buffer = skynet_malloc(len + 2);
	buffer[0] = (len >> 8) & 0xff;
	buffer[1] = len & 0xff;
	memcpy(buffer + 2, ptr, len);
	lua_pushlightuserdata(L, buffer);
	lua_pushinteger(L, (lua_Integer)len + 2);
	return 2;
}

/* msg, sz -> string (msg is freed); nil -> "" */
static int
ltostring(lua_State *L) {
	if (lua_isnoneornil(L, 1)) {
		lua_pushliteral(L, "");
		return 1;
	}
	luaL_checktype(L, 1, LUA_TLIGHTUSERDATA);
	void *ptr = lua_touserdata(L, 1);
	size_t size = check_size(L, 2, INT_MAX);
	if (ptr == NULL) {
		lua_pushliteral(L, "");
	} else {
		lua_pushlstring(L, ptr, size);
		skynet_free(ptr);
	}
	return 1;
}

LUAMOD_API int
luaopen_skynet_netpack(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "pop", lpop },
		{ "pack", lpack },
		{ "clear", lclear },
		{ "tostring", ltostring },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	/* the event names, upvalues of filter in TYPE_* order */
	lua_pushliteral(L, "data");
	lua_pushliteral(L, "more");
	lua_pushliteral(L, "error");
	lua_pushliteral(L, "open");
	lua_pushliteral(L, "close");
	lua_pushliteral(L, "warning");
	lua_pushcclosure(L, lfilter, 6);
	lua_setfield(L, -2, "filter");
	return 1;
}
