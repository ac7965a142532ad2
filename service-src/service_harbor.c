/*
 * The harbor service: in harbor mode, this node's links to the other
 * harbors (nodes) and its view of the global names.  cslave (or cdummy on a
 * lone node) launches it with "ID SLAVE" and feeds it what it learns.
 *
 * In, from the core (PTYPE_SYSTEM): a struct remote_message for a handle of
 * another harbor, or for a global name.
 * In, from cslave (PTYPE_HARBOR, text):
 *   "N name"   name is the global name of the message's source handle
 *   "S fd id"  fd is a connection this node opened to harbor id
 *   "A fd id"  fd is a connection harbor id opened (its id byte was read)
 * Out, to cslave (PTYPE_TEXT): "Q name" (who is name?), "D id" (harbor id
 * is gone).
 *
 * On a link (skynet's bytes): each side first sends its harbor id as one
 * byte; then every message is a 4-byte big-endian length n (below 2^24), n-12
 * bytes of payload and 12 bytes: source, destination, session, big-endian.
 * The destination's high 8 bits carry the message type, not a harbor id.
 *
 * A request sent on a link is remembered until its answer comes back, so
 * when the link dies its callers get an error instead of waiting forever.
 */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_socket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_SIZE 12          /* source, destination, session */
#define MAX_FRAME 0xffffff      /* the length's first byte is 0 */
#define NAME_BUCKETS 256

/* a message waiting for a link to open or a name to be known */
struct waiting {
	uint32_t source;
	uint32_t destination; /* 0 while it waits for a name */
	int session;
	int type;
	void *data;
	size_t sz;
};

struct waitlist {
	struct waiting *item;
	int n, cap;
};

/* the requests in flight on a link: (source << 32 | session), linear
 * probing, a power of two slots, never more than half full */
struct callset {
	uint64_t *slot;
	uint32_t cap, n;
};

enum link_state { LINK_NONE, LINK_HANDSHAKE, LINK_OPEN, LINK_DOWN };

struct link {
	int fd;                /* 0: no connection */
	enum link_state state;
	struct waitlist waiting;
	struct callset calls;
	uint8_t head[4];       /* the length being read */
	int headlen;
	uint8_t *body;         /* the message being read */
	size_t bodylen, got;
};

struct name {
	struct name *next;
	char key[GLOBALNAME_LENGTH];
	uint32_t handle;       /* 0 until known */
	struct waitlist waiting;
};

struct harbor {
	struct skynet_context *ctx;
	int id;
	uint32_t slave;
	struct name *names[NAME_BUCKETS];
	struct link link[REMOTE_MAX];
};

/* ---- waiting messages ---- */

static void waitlist_push(struct waitlist *w, const struct waiting *m) {
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->item = skynet_realloc(w->item, (size_t)w->cap * sizeof(*w->item));
	}
	w->item[w->n++] = *m;
}

/* the list's messages, leaving it empty; free the result */
static struct waiting *waitlist_take(struct waitlist *w, int *n) {
	struct waiting *item = w->item;
	*n = w->n;
	w->item = NULL;
	w->n = w->cap = 0;
	return item;
}

/* ---- requests in flight ---- */

static uint64_t call_key(uint32_t source, int session) {
	return (uint64_t)source << 32 | (uint32_t)session;
}

static uint32_t call_slot(const struct callset *c, uint64_t key) {
	uint64_t h = key * 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32) & (c->cap - 1);
}

static void callset_insert(struct callset *c, uint64_t key) {
	uint32_t i = call_slot(c, key);
	while (c->slot[i] != 0 && c->slot[i] != key)
		i = (i + 1) & (c->cap - 1);
	if (c->slot[i] == 0)
		c->n++;
	c->slot[i] = key;
}

static void callset_add(struct callset *c, uint64_t key) {
	if ((c->n + 1) * 2 > c->cap) {
		struct callset old = *c;
		c->cap = old.cap ? old.cap * 2 : 64;
		c->n = 0;
		c->slot = skynet_calloc(c->cap, sizeof(uint64_t));
		for (uint32_t i = 0; i < old.cap; i++)
			if (old.slot[i])
				callset_insert(c, old.slot[i]);
		skynet_free(old.slot);
	}
	callset_insert(c, key);
}

/* removes key (if there), shifting back the entries that probed past it */
static void callset_remove(struct callset *c, uint64_t key) {
	if (c->n == 0)
		return;
	uint32_t mask = c->cap - 1;
	uint32_t i = call_slot(c, key);
	while (c->slot[i] != key) {
		if (c->slot[i] == 0)
			return;
		i = (i + 1) & mask;
	}
	c->n--;
	for (uint32_t j = (i + 1) & mask; c->slot[j] != 0; j = (j + 1) & mask) {
		uint32_t home = call_slot(c, c->slot[j]);
		/* j's entry may fill the hole at i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			c->slot[i] = c->slot[j];
			i = j;
		}
	}
	c->slot[i] = 0;
}

/* ---- the harbor ---- */

static int is_request(int type, int session) {
	return session != 0 && type != PTYPE_RESPONSE && type != PTYPE_ERROR;
}

/* a request that cannot be delivered: its caller gets an error */
static void fail_request(struct harbor *h, uint32_t from, const struct waiting *m) {
	if (is_request(m->type, m->session))
		skynet_send(h->ctx, from, m->source, PTYPE_ERROR, m->session, NULL, 0);
}

static void tell_slave(struct harbor *h, const char *text) {
	skynet_send(h->ctx, 0, h->slave, PTYPE_TEXT, 0, (void *)text, strlen(text));
}

static void put_u32(uint8_t *p, uint32_t v) {
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* writes m on the open link id; m's data stays the caller's */
static void link_write(struct harbor *h, int id, const struct waiting *m) {
	struct link *l = &h->link[id];
	if (m->sz > MAX_FRAME - HEADER_SIZE) {
		skynet_error(h->ctx, "error: message from :%08x to :%08x is too large for a harbor link (%zu bytes)",
			m->source, m->destination, m->sz);
		fail_request(h, m->destination, m);
		return;
	}
	size_t n = m->sz + HEADER_SIZE;
	uint8_t *frame = skynet_malloc(4 + n);
	put_u32(frame, (uint32_t)n);
	if (m->sz)
		memcpy(frame + 4, m->data, m->sz);
	uint8_t *header = frame + 4 + m->sz;
	put_u32(header, m->source);
	put_u32(header + 4, (m->destination & HANDLE_MASK) | (uint32_t)m->type << HANDLE_REMOTE_SHIFT);
	put_u32(header + 8, (uint32_t)m->session);
	if (is_request(m->type, m->session))
		callset_add(&l->calls, call_key(m->source, m->session));
	/* a failed write needs nothing here: the link's close follows */
	skynet_socket_send(h->ctx, l->fd, frame, (int)(4 + n));
}

/* m (its data ours) to a handle of any harbor */
static void send_handle(struct harbor *h, const struct waiting *m) {
	int id = (int)(m->destination >> HANDLE_REMOTE_SHIFT);
	if (id == h->id) {
		if (skynet_send(h->ctx, m->source, m->destination, m->type | PTYPE_TAG_DONTCOPY,
			m->session, m->data, m->sz) < 0)
			fail_request(h, m->destination, m);
		return;
	}
	struct link *l = &h->link[id];
	switch (l->state) {
	case LINK_OPEN:
		link_write(h, id, m);
		skynet_free(m->data);
		break;
	case LINK_DOWN:
		skynet_error(h->ctx, "Drop message to harbor %d from :%08x to :%08x (session = %d, msgsz = %zu)",
			id, m->source, m->destination, m->session, m->sz);
		fail_request(h, m->destination, m);
		skynet_free(m->data);
		break;
	default: /* sent once the link opens */
		waitlist_push(&l->waiting, m);
		break;
	}
}

static struct name *name_entry(struct harbor *h, const char key[GLOBALNAME_LENGTH]) {
	uint32_t hash = 2166136261u;
	for (int i = 0; i < GLOBALNAME_LENGTH; i++)
		hash = (hash ^ (uint8_t)key[i]) * 16777619u;
	struct name **bucket = &h->names[hash % NAME_BUCKETS];
	for (struct name *n = *bucket; n; n = n->next)
		if (memcmp(n->key, key, GLOBALNAME_LENGTH) == 0)
			return n;
	struct name *n = skynet_calloc(1, sizeof(*n));
	memcpy(n->key, key, GLOBALNAME_LENGTH);
	n->next = *bucket;
	*bucket = n;
	return n;
}

/* m to a global name: at once when the name is known, else once it is */
static void send_name(struct harbor *h, const char key[GLOBALNAME_LENGTH], struct waiting *m) {
	struct name *n = name_entry(h, key);
	if (n->handle) {
		m->destination = n->handle;
		send_handle(h, m);
		return;
	}
	if (n->waiting.n == 0) {
		char query[2 + GLOBALNAME_LENGTH + 1] = "Q ";
		memcpy(query + 2, key, GLOBALNAME_LENGTH);
		tell_slave(h, query);
	}
	waitlist_push(&n->waiting, m);
}

static void update_name(struct harbor *h, const char key[GLOBALNAME_LENGTH], uint32_t handle) {
	struct name *n = name_entry(h, key);
	n->handle = handle;
	int count;
	struct waiting *item = waitlist_take(&n->waiting, &count);
	for (int i = 0; i < count; i++) {
		item[i].destination = handle;
		send_handle(h, &item[i]);
	}
	skynet_free(item);
}

/* sends what waited for link id to open */
static void link_open(struct harbor *h, int id) {
	struct link *l = &h->link[id];
	l->state = LINK_OPEN;
	int count;
	struct waiting *item = waitlist_take(&l->waiting, &count);
	for (int i = 0; i < count; i++) {
		link_write(h, id, &item[i]);
		skynet_free(item[i].data);
	}
	skynet_free(item);
}

/* link id is gone: what waited for it and the calls in flight on it fail */
static void link_down(struct harbor *h, int id, int report) {
	struct link *l = &h->link[id];
	uint32_t remote = (uint32_t)id << HANDLE_REMOTE_SHIFT;
	if (l->fd) {
		skynet_socket_close(h->ctx, l->fd);
		l->fd = 0;
	}
	l->state = LINK_DOWN;
	skynet_free(l->body);
	l->body = NULL;
	l->headlen = 0;
	int count;
	struct waiting *item = waitlist_take(&l->waiting, &count);
	for (int i = 0; i < count; i++) {
		fail_request(h, item[i].destination, &item[i]);
		skynet_free(item[i].data);
	}
	skynet_free(item);
	for (uint32_t i = 0; i < l->calls.cap; i++) {
		uint64_t key = l->calls.slot[i];
		if (key)
			skynet_send(h->ctx, remote, (uint32_t)(key >> 32), PTYPE_ERROR, (int)(uint32_t)key, NULL, 0);
	}
	skynet_free(l->calls.slot);
	memset(&l->calls, 0, sizeof(l->calls));
	if (report) {
		char down[32];
		snprintf(down, sizeof(down), "D %d", id);
		tell_slave(h, down);
	}
}

/* a whole message from link id (body: n bytes, given to the receiver) */
static void deliver(struct harbor *h, int id, uint8_t *body, size_t n) {
	const uint8_t *header = body + n - HEADER_SIZE;
	uint32_t to = get_u32(header + 4);
	struct waiting m = {
		.source = get_u32(header),
		.destination = (to & HANDLE_MASK) | (uint32_t)h->id << HANDLE_REMOTE_SHIFT,
		.session = (int)get_u32(header + 8),
		.type = (int)(to >> HANDLE_REMOTE_SHIFT),
		.data = body,
		.sz = n - HEADER_SIZE,
	};
	if (!is_request(m.type, m.session))
		callset_remove(&h->link[id].calls, call_key(m.destination, m.session));
	if (skynet_send(h->ctx, m.source, m.destination, m.type | PTYPE_TAG_DONTCOPY, m.session, body, m.sz) < 0) {
		skynet_error(h->ctx, "Unknown destination :%x from :%x type(%d)", m.destination, m.source, m.type);
		if (is_request(m.type, m.session)) {
			struct waiting error = { m.destination, m.source, m.session, PTYPE_ERROR, NULL, 0 };
			send_handle(h, &error);
		}
	}
}

/* bytes from link id; returns 0 when the link must be dropped */
static int link_read(struct harbor *h, int id, const uint8_t *p, size_t size) {
	struct link *l = &h->link[id];
	if (l->state == LINK_HANDSHAKE && size > 0) {
		if (p[0] != id) {
			skynet_error(h->ctx, "Invalid shakehand id (%d) from fd = %d , harbor = %d", p[0], l->fd, id);
			return 0;
		}
		p++;
		size--;
		link_open(h, id);
	}
	while (size > 0) {
		if (l->body == NULL) {
			size_t need = 4 - (size_t)l->headlen;
			size_t take = size < need ? size : need;
			memcpy(l->head + l->headlen, p, take);
			l->headlen += (int)take;
			p += take;
			size -= take;
			if (l->headlen < 4)
				break;
			uint32_t n = get_u32(l->head);
			if (n > MAX_FRAME || n < HEADER_SIZE) {
				skynet_error(h->ctx, "Invalid message length %u from harbor %d", n, id);
				return 0;
			}
			l->headlen = 0;
			l->body = skynet_malloc(n);
			l->bodylen = n;
			l->got = 0;
		}
		size_t take = l->bodylen - l->got;
		if (take > size)
			take = size;
		memcpy(l->body + l->got, p, take);
		l->got += take;
		p += take;
		size -= take;
		if (l->got == l->bodylen) {
			uint8_t *body = l->body;
			l->body = NULL;
			deliver(h, id, body, l->bodylen);
		}
	}
	return 1;
}

static int link_of_fd(struct harbor *h, int fd) {
	for (int id = 1; id < REMOTE_MAX; id++)
		if (h->link[id].fd == fd)
			return id;
	return 0;
}

static void on_socket(struct harbor *h, const struct skynet_socket_message *sm) {
	int id = link_of_fd(h, sm->id);
	switch (sm->type) {
	case SKYNET_SOCKET_TYPE_DATA:
		if (id == 0)
			skynet_error(h->ctx, "Invalid socket fd (%d) data", sm->id);
		else if (!link_read(h, id, (const uint8_t *)sm->buffer, (size_t)sm->ud))
			link_down(h, id, 1);
		skynet_free(sm->buffer);
		break;
	case SKYNET_SOCKET_TYPE_CLOSE:
	case SKYNET_SOCKET_TYPE_ERROR:
		if (id) {
			skynet_error(h->ctx, "Harbor %d is down", id);
			h->link[id].fd = 0; /* already closed */
			link_down(h, id, 1);
		}
		break;
	case SKYNET_SOCKET_TYPE_WARNING:
		if (id)
			skynet_error(h->ctx, "message havn't send to Harbor (%d) reach %d K", id, sm->ud);
		break;
	default:
		break;
	}
}

/* "S fd id" / "A fd id": a connection to harbor id to take over */
static void take_link(struct harbor *h, char kind, const char *args, size_t len) {
	char text[32];
	if (len >= sizeof(text)) {
		skynet_error(h->ctx, "Invalid command %c", kind);
		return;
	}
	memcpy(text, args, len);
	text[len] = '\0';
	int fd = 0, id = 0;
	if (sscanf(text, "%d %d", &fd, &id) != 2 || fd <= 0 || id <= 0 || id >= REMOTE_MAX || id == h->id) {
		skynet_error(h->ctx, "Invalid command %c %s", kind, text);
		return;
	}
	struct link *l = &h->link[id];
	if (l->fd != 0) {
		skynet_error(h->ctx, "Harbor %d already exist", id);
		return;
	}
	l->fd = fd;
	skynet_socket_start(h->ctx, fd);
	uint8_t *hello = skynet_malloc(1);
	hello[0] = (uint8_t)h->id;
	skynet_socket_send(h->ctx, fd, hello, 1);
	if (kind == 'S')
		l->state = LINK_HANDSHAKE; /* its id byte comes first */
	else
		link_open(h, id);
}

static void on_command(struct harbor *h, const char *msg, size_t sz, uint32_t source) {
	if (sz < 2 || msg[1] != ' ') {
		skynet_error(h->ctx, "Invalid harbor command of %zu bytes", sz);
		return;
	}
	const char *args = msg + 2;
	size_t len = sz - 2;
	switch (msg[0]) {
	case 'N': {
		if (len == 0 || len >= GLOBALNAME_LENGTH) {
			skynet_error(h->ctx, "Invalid global name of %zu bytes", len);
			return;
		}
		char key[GLOBALNAME_LENGTH] = { 0 };
		memcpy(key, args, len);
		update_name(h, key, source);
		break;
	}
	case 'S':
	case 'A':
		take_link(h, msg[0], args, len);
		break;
	default:
		skynet_error(h->ctx, "Unknown harbor command %c", msg[0]);
		break;
	}
}

static int mainloop(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
	const void *msg, size_t sz) {
	struct harbor *h = ud;
	switch (type) {
	case PTYPE_SYSTEM: {
		const struct remote_message *rmsg = msg;
		struct waiting m = {
			source, rmsg->destination.handle, session, rmsg->type, (void *)rmsg->message, rmsg->sz
		};
		if (m.destination)
			send_handle(h, &m);
		else
			send_name(h, rmsg->destination.name, &m);
		break;
	}
	case PTYPE_HARBOR:
		on_command(h, msg, sz, source);
		break;
	case PTYPE_SOCKET:
		on_socket(h, msg);
		break;
	default:
		skynet_error(ctx, "recv invalid message from %x, type = %d", source, type);
		if (is_request(type, session))
			skynet_send(ctx, 0, source, PTYPE_ERROR, session, NULL, 0);
		break;
	}
	return 0;
}

struct harbor *harbor_create(void) {
	return skynet_calloc(1, sizeof(struct harbor));
}

static void free_waitlist(struct waitlist *w) {
	for (int i = 0; i < w->n; i++)
		skynet_free(w->item[i].data);
	skynet_free(w->item);
}

void harbor_release(struct harbor *h) {
	for (int id = 1; id < REMOTE_MAX; id++) {
		struct link *l = &h->link[id];
		if (l->fd)
			skynet_socket_close(h->ctx, l->fd);
		free_waitlist(&l->waiting);
		skynet_free(l->calls.slot);
		skynet_free(l->body);
	}
	for (int i = 0; i < NAME_BUCKETS; i++) {
		struct name *n = h->names[i];
		while (n) {
			struct name *next = n->next;
			free_waitlist(&n->waiting);
			skynet_free(n);
			n = next;
		}
	}
	skynet_free(h);
}

/* args: "ID SLAVE", the harbor id (0 on a lone node) and cslave's handle */
int harbor_init(struct harbor *h, struct skynet_context *ctx, const char *args) {
	unsigned int slave = 0;
	h->ctx = ctx;
	if (sscanf(args, "%d %u", &h->id, &slave) != 2 || h->id < 0 || h->id >= REMOTE_MAX || slave == 0) {
		skynet_error(ctx, "harbor: launch with \"ID SLAVE\", got \"%s\"", args);
		return 1;
	}
	h->slave = slave;
	if (h->id == 0) /* a lone node reaches no other harbor */
		for (int id = 1; id < REMOTE_MAX; id++)
			h->link[id].state = LINK_DOWN;
	skynet_callback(ctx, h, mainloop);
	skynet_harbor_start(ctx);
	return 0;
}
