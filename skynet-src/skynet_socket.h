/* The core's view of the socket thread (implemented over socket_server),
 * and the socket API C services and Lua C modules call. */
#ifndef SKYNET_SOCKET_H
#define SKYNET_SOCKET_H

#include "socket_server.h"

#include <stddef.h>
#include <stdint.h>

struct skynet_context;

#define SKYNET_SOCKET_TYPE_DATA 1
#define SKYNET_SOCKET_TYPE_CONNECT 2
#define SKYNET_SOCKET_TYPE_CLOSE 3
#define SKYNET_SOCKET_TYPE_ACCEPT 4
#define SKYNET_SOCKET_TYPE_ERROR 5
#define SKYNET_SOCKET_TYPE_UDP 6
#define SKYNET_SOCKET_TYPE_WARNING 7

/* the payload of a PTYPE_SOCKET message */
struct skynet_socket_message {
	int type;
	int id;
	int ud;
	char *buffer; /* NULL when the data follows this struct (padding) */
};

void skynet_socket_init(void);
void skynet_socket_exit(void);
void skynet_socket_free(void);
/* the service `handle` has ended: its sockets close */
void skynet_socket_owner_exit(uint32_t handle);
/* Read-side flow control: a socket marked with skynet_socket_holdreads
 * that streams in large chunks is not read while its owner has more than
 * the socket's limit of messages waiting (this at least, the default);
 * skynet_socket_owner_ready has it asked about again. */
#define SKYNET_SOCKET_BUSY_QUEUE 2
void skynet_socket_owner_ready(void);
/* runs one round of the socket thread: 0 when the server exits, -1 for an
 * event with nothing to report, 1 when a message was delivered */
int skynet_socket_poll(void);

/* 0 on success, -1 when the socket is gone (a MEMORY buffer is freed) */
int skynet_socket_sendbuffer(struct skynet_context *ctx, struct socket_sendbuffer *buffer);
int skynet_socket_sendbuffer_lowpriority(struct skynet_context *ctx, struct socket_sendbuffer *buffer);
/* these return a socket id, or -1 (listen: with errno telling why) */
int skynet_socket_listen(struct skynet_context *ctx, const char *host, int port, int backlog);
int skynet_socket_connect(struct skynet_context *ctx, const char *host, int port);
int skynet_socket_bind(struct skynet_context *ctx, int fd);
void skynet_socket_close(struct skynet_context *ctx, int id);
void skynet_socket_shutdown(struct skynet_context *ctx, int id);
void skynet_socket_start(struct skynet_context *ctx, int id);
void skynet_socket_pause(struct skynet_context *ctx, int id);
/* hands the socket over: it belongs to nobody until another service starts it */
void skynet_socket_abandon(struct skynet_context *ctx, int id);
void skynet_socket_nodelay(struct skynet_context *ctx, int id);
/* id is read only while its owner has at most limit messages waiting
 * (read-side flow control; limit >= SKYNET_SOCKET_BUSY_QUEUE) */
void skynet_socket_holdreads(struct skynet_context *ctx, int id, int limit);

int skynet_socket_udp(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_dial(struct skynet_context *ctx, const char *addr, int port);
int skynet_socket_udp_connect(struct skynet_context *ctx, int id, const char *addr, int port);
int skynet_socket_udp_sendbuffer(struct skynet_context *ctx, const char *address, struct socket_sendbuffer *buffer);
/* the sender address carried by a SKYNET_SOCKET_TYPE_UDP message */
const char *skynet_socket_udp_address(struct skynet_socket_message *, int *addrsz);

/* a list of every open socket; free it with socket_info_release */
struct socket_info *skynet_socket_info(void);

/* the older pointer + size forms: sz < 0 is rejected, otherwise buffer
 * comes from skynet_malloc and is owned by the socket from now on */
static inline void
skynet_sendbuffer_init(struct socket_sendbuffer *buf, int id, const void *buffer, int sz) {
	buf->id = id;
	buf->buffer = buffer;
	buf->type = sz < 0 ? SOCKET_BUFFER_OBJECT : SOCKET_BUFFER_MEMORY;
	buf->sz = (size_t)sz;
}

static inline int
skynet_socket_send(struct skynet_context *ctx, int id, void *buffer, int sz) {
	struct socket_sendbuffer buf;
	skynet_sendbuffer_init(&buf, id, buffer, sz);
	return skynet_socket_sendbuffer(ctx, &buf);
}

static inline int
skynet_socket_send_lowpriority(struct skynet_context *ctx, int id, void *buffer, int sz) {
	struct socket_sendbuffer buf;
	skynet_sendbuffer_init(&buf, id, buffer, sz);
	return skynet_socket_sendbuffer_lowpriority(ctx, &buf);
}

static inline int
skynet_socket_udp_send(struct skynet_context *ctx, int id, const char *address, const void *buffer, int sz) {
	struct socket_sendbuffer buf;
	skynet_sendbuffer_init(&buf, id, buffer, sz);
	return skynet_socket_udp_sendbuffer(ctx, address, &buf);
}

#endif
