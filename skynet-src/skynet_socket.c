/*
 * The socket server inside a node.  Services are the owners: a socket is
 * named by the handle of the service that opened, accepted or started it,
 * every result of the socket thread becomes a PTYPE_SOCKET message to that
 * handle, and a service that ends takes its sockets with it.  The config
 * key socket_write_limit bounds what may wait to be sent on one socket.
 * A TCP socket its service asked to hold (skynet_socket_holdreads: the
 * gate's clients at 2 messages, skynet.socket's streams at 64) that streams
 * in large chunks is not read while the service has more messages than
 * that waiting: a peer that sends faster than the service works is held
 * back by TCP, not kept in memory (a 256 KB read of small packets is
 * thousands of messages once a gate cuts it up).
 */
#include "skynet.h"
#include "skynet_socket.h"
#include "skynet_env.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* an address or error text travels after the message header, cut here */
#define TEXT_MAX 128
#define DEFAULT_WRITE_LIMIT ((size_t)64 << 20)

static struct socket_server *server;

/* the owner of what ctx asks for; its sockets now close when it ends */
static uintptr_t
handle_of(struct skynet_context *ctx) {
	skynet_context_socket_owner(ctx);
	return skynet_context_handle(ctx);
}

/* bytes, 0 for no limit; a bad value stops the node like any bad config */
static size_t
write_limit_from_config(void) {
	const char *text = skynet_getenv("socket_write_limit");
	if (text == NULL) {
		char def[32];
		snprintf(def, sizeof(def), "%zu", DEFAULT_WRITE_LIMIT);
		skynet_setenv("socket_write_limit", def);
		return DEFAULT_WRITE_LIMIT;
	}
	char *end;
	errno = 0;
	long long bytes = strtoll(text, &end, 10);
	if (text[0] == '\0' || *end != '\0' || bytes < 0 || errno == ERANGE) {
		fprintf(stderr, "error: config: socket_write_limit = %s is invalid (want a number of bytes, 0 for no limit)\n", text);
		exit(1);
	}
	return (size_t)bytes;
}

static void
log_overflow(int id, uintptr_t owner, size_t queued, size_t limit) {
	skynet_error(NULL, "socket: close socket %d of :%08x: %zu bytes waiting to be sent, over socket_write_limit %zu",
		id, (unsigned)owner, queued, limit);
}

static bool
owner_busy(uintptr_t owner, int limit) {
	return skynet_context_reads_held((uint32_t)owner, limit);
}

void
skynet_socket_owner_ready(void) {
	if (server)
		socket_server_owner_ready(server);
}

void
skynet_socket_init(void) {
	size_t limit = write_limit_from_config();
	server = socket_server_create(skynet_now);
	if (server == NULL) {
		skynet_error(NULL, "socket: the socket server did not start");
		exit(1);
	}
	socket_server_limit_writes(server, limit, log_overflow);
	socket_server_throttle_reads(server, owner_busy);
}

void
skynet_socket_exit(void) {
	socket_server_exit(server);
}

void
skynet_socket_free(void) {
	socket_server_release(server);
	server = NULL;
}

void
skynet_socket_owner_exit(uint32_t handle) {
	if (server)
		socket_server_drop_owner(server, handle);
}

/*
 * Posts one result to its owner.  With `text`, the result's string is
 * copied behind the header (buffer NULL); otherwise the result's data
 * block travels as the buffer and belongs to the receiver.  A message
 * nobody can receive (the owner is gone) is freed here.
 */
static void
post(int type, const struct socket_message *r, bool text) {
	size_t textlen = text && r->data ? strnlen(r->data, TEXT_MAX) : 0;
	size_t size = sizeof(struct skynet_socket_message) + textlen;
	struct skynet_socket_message *m = skynet_malloc(size);
	m->type = type;
	m->id = r->id;
	m->ud = r->ud;
	m->buffer = text ? NULL : r->data;
	if (textlen)
		memcpy(m + 1, r->data, textlen);
	struct skynet_message msg = {
		.source = 0,
		.session = 0,
		.data = m,
		.sz = size | (size_t)PTYPE_SOCKET << MESSAGE_TYPE_SHIFT,
	};
	if (skynet_context_push((uint32_t)r->opaque, &msg) != 0) {
		skynet_free(m->buffer);
		skynet_free(m);
	}
}

int
skynet_socket_poll(void) {
	struct socket_message r;
	int code = socket_server_poll(server, &r, NULL);
	switch (code) {
	case SOCKET_EXIT:
		return 0;
	case -1:
		return -1;
	case SOCKET_DATA: post(SKYNET_SOCKET_TYPE_DATA, &r, false); break;
	case SOCKET_UDP: post(SKYNET_SOCKET_TYPE_UDP, &r, false); break;
	case SOCKET_CLOSE: post(SKYNET_SOCKET_TYPE_CLOSE, &r, false); break;
	case SOCKET_WARNING: post(SKYNET_SOCKET_TYPE_WARNING, &r, false); break;
	case SOCKET_OPEN: post(SKYNET_SOCKET_TYPE_CONNECT, &r, true); break;
	case SOCKET_ACCEPT: post(SKYNET_SOCKET_TYPE_ACCEPT, &r, true); break;
	case SOCKET_ERR: post(SKYNET_SOCKET_TYPE_ERROR, &r, true); break;
	default:
		skynet_error(NULL, "socket: the socket server returned code %d", code);
		return -1;
	}
	return 1;
}

/* requests of a service: the socket is owned by (reported to) its handle */

int
skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog) {
	return socket_server_listen(server, handle_of(ctx), host, port, backlog);
}

int
skynet_socket_connect(struct skynet_context *ctx, const char *host, int port) {
	return socket_server_connect(server, handle_of(ctx), host, port);
}

int
skynet_socket_bind(struct skynet_context *ctx, int fd) {
	return socket_server_bind(server, handle_of(ctx), fd);
}

void
skynet_socket_start(struct skynet_context *ctx, int id) {
	socket_server_start(server, handle_of(ctx), id);
}

void
skynet_socket_pause(struct skynet_context *ctx, int id) {
	socket_server_pause(server, handle_of(ctx), id);
}

void
skynet_socket_abandon(struct skynet_context *ctx, int id) {
	socket_server_abandon(server, handle_of(ctx), id);
}

void
skynet_socket_close(struct skynet_context *ctx, int id) {
	socket_server_close(server, handle_of(ctx), id);
}

void
skynet_socket_shutdown(struct skynet_context *ctx, int id) {
	socket_server_shutdown(server, handle_of(ctx), id);
}

int
skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp(server, handle_of(ctx), addr, port);
}

int
skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp_dial(server, handle_of(ctx), addr, port);
}

/* requests on a socket id alone: whoever holds the id may use it */

int
skynet_socket_sendbuffer(struct skynet_context *ctx, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_send(server, buffer);
}

int
skynet_socket_sendbuffer_lowpriority(struct skynet_context *ctx, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_send_lowpriority(server, buffer);
}

void
skynet_socket_holdreads(struct skynet_context *ctx, int id, int limit) {
	(void)ctx;
	socket_server_holdreads(server, id, limit);
}

void
skynet_socket_nodelay(struct skynet_context *ctx, int id) {
	(void)ctx;
	socket_server_nodelay(server, id);
}

int
skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port) {
	(void)ctx;
	return socket_server_udp_connect(server, id, addr, port);
}

int
skynet_socket_udp_sendbuffer(struct skynet_context *ctx, const char *address, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_udp_send(server, (const struct socket_udp_address *)address, buffer);
}

const char *
skynet_socket_udp_address(struct skynet_socket_message *msg, int *addrsz) {
	if (msg->type != SKYNET_SOCKET_TYPE_UDP || msg->buffer == NULL)
		return NULL;
	struct socket_message as_result = { .id = msg->id, .opaque = 0, .ud = msg->ud, .data = msg->buffer };
	return (const char *)socket_server_udp_address(&as_result, addrsz);
}

struct socket_info *
skynet_socket_info(void) {
	return socket_server_info(server);
}
