/* The socket thread's side of the core: socket_server results become
 * PTYPE_SOCKET messages to their owning services. */
#include "skynet.h"
#include "skynet_socket.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

/* longest text (address, error) carried after a message */
#define MAX_PADDING 128

static struct socket_server *SOCKET_SERVER = NULL;

void
skynet_socket_init(void) {
	SOCKET_SERVER = socket_server_create(skynet_now);
	if (SOCKET_SERVER == NULL) {
		skynet_error(NULL, "socket: can't create the socket server");
		exit(1);
	}
}

void
skynet_socket_exit(void) {
	socket_server_exit(SOCKET_SERVER);
}

void
skynet_socket_free(void) {
	socket_server_release(SOCKET_SERVER);
	SOCKET_SERVER = NULL;
}

/* padding: the result's text is copied after the message (buffer NULL);
 * otherwise result->data is a buffer whose ownership moves to the receiver */
static void
forward_message(int type, bool padding, struct socket_message *result) {
	size_t sz = sizeof(struct skynet_socket_message);
	size_t textlen = 0;
	if (padding && result->data) {
		textlen = strnlen(result->data, MAX_PADDING);
		sz += textlen;
	}
	struct skynet_socket_message *sm = skynet_malloc(sz);
	sm->type = type;
	sm->id = result->id;
	sm->ud = result->ud;
	if (padding) {
		sm->buffer = NULL;
		memcpy(sm + 1, result->data, textlen);
	} else {
		sm->buffer = result->data;
	}
	struct skynet_message message;
	message.source = 0;
	message.session = 0;
	message.data = sm;
	message.sz = sz | ((size_t)PTYPE_SOCKET << MESSAGE_TYPE_SHIFT);
	if (skynet_context_push((uint32_t)result->opaque, &message)) {
		/* the owner is gone */
		skynet_free(sm->buffer);
		skynet_free(sm);
	}
}

int
skynet_socket_poll(void) {
	struct socket_server *ss = SOCKET_SERVER;
	assert(ss);
	struct socket_message result;
	int more = 1;
	int type = socket_server_poll(ss, &result, &more);
	switch (type) {
	case SOCKET_EXIT:
		return 0;
	case SOCKET_DATA:
		forward_message(SKYNET_SOCKET_TYPE_DATA, false, &result);
		break;
	case SOCKET_CLOSE:
		forward_message(SKYNET_SOCKET_TYPE_CLOSE, false, &result);
		break;
	case SOCKET_OPEN:
		forward_message(SKYNET_SOCKET_TYPE_CONNECT, true, &result);
		break;
	case SOCKET_ERR:
		forward_message(SKYNET_SOCKET_TYPE_ERROR, true, &result);
		break;
	case SOCKET_ACCEPT:
		forward_message(SKYNET_SOCKET_TYPE_ACCEPT, true, &result);
		break;
	case SOCKET_UDP:
		forward_message(SKYNET_SOCKET_TYPE_UDP, false, &result);
		break;
	case SOCKET_WARNING:
		forward_message(SKYNET_SOCKET_TYPE_WARNING, false, &result);
		break;
	default:
		if (type != -1)
			skynet_error(NULL, "socket: unknown socket message type %d", type);
		return -1;
	}
	return 1;
}

static uintptr_t
owner(struct skynet_context *ctx) {
	return skynet_context_handle(ctx);
}

int
skynet_socket_sendbuffer(struct skynet_context *ctx, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_send(SOCKET_SERVER, buffer);
}

int
skynet_socket_sendbuffer_lowpriority(struct skynet_context *ctx, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_send_lowpriority(SOCKET_SERVER, buffer);
}

int
skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog) {
	return socket_server_listen(SOCKET_SERVER, owner(ctx), host, port, backlog);
}

int
skynet_socket_connect(struct skynet_context *ctx, const char *host, int port) {
	return socket_server_connect(SOCKET_SERVER, owner(ctx), host, port);
}

int
skynet_socket_bind(struct skynet_context *ctx, int fd) {
	return socket_server_bind(SOCKET_SERVER, owner(ctx), fd);
}

void
skynet_socket_close(struct skynet_context *ctx, int id) {
	socket_server_close(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_shutdown(struct skynet_context *ctx, int id) {
	socket_server_shutdown(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_start(struct skynet_context *ctx, int id) {
	socket_server_start(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_pause(struct skynet_context *ctx, int id) {
	socket_server_pause(SOCKET_SERVER, owner(ctx), id);
}

void
skynet_socket_nodelay(struct skynet_context *ctx, int id) {
	(void)ctx;
	socket_server_nodelay(SOCKET_SERVER, id);
}

int
skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp(SOCKET_SERVER, owner(ctx), addr, port);
}

int
skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp_dial(SOCKET_SERVER, owner(ctx), addr, port);
}

int
skynet_socket_udp_listen(struct skynet_context *ctx, const char *addr, int port) {
	return socket_server_udp(SOCKET_SERVER, owner(ctx), addr, port);
}

int
skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port) {
	(void)ctx;
	return socket_server_udp_connect(SOCKET_SERVER, id, addr, port);
}

int
skynet_socket_udp_sendbuffer(struct skynet_context *ctx, const char *address, struct socket_sendbuffer *buffer) {
	(void)ctx;
	return socket_server_udp_send(SOCKET_SERVER, (const struct socket_udp_address *)address, buffer);
}

const char *
skynet_socket_udp_address(struct skynet_socket_message *msg, int *addrsz) {
	if (msg->type != SKYNET_SOCKET_TYPE_UDP || msg->buffer == NULL)
		return NULL;
	struct socket_message sm;
	sm.id = msg->id;
	sm.opaque = 0;
	sm.ud = msg->ud;
	sm.data = msg->buffer;
	return (const char *)socket_server_udp_address(&sm, addrsz);
}

struct socket_info *
skynet_socket_info(void) {
	return socket_server_info(SOCKET_SERVER);
}
