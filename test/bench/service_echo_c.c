/*
 * echo_c: the echo benchmark's C service (test/bench_echo.sh).  It echoes
 * every TCP connection accepted on 127.0.0.1:PORT (its argument) inside a
 * node, with no Lua: each data block goes back as it came, the socket
 * taking the block over.  Its figure is what the node's threads and
 * message path allow before any service code runs, the ceiling of
 * test/bench/echo_server.lua; the gap to the bare C server is the
 * architecture's (a socket thread reads, a worker writes), the gap below
 * it the Lua path's.
 */
#include "skynet.h"
#include "skynet_socket.h"

#include <stdlib.h>

struct echo_c {
	int listener;
};

struct echo_c *echo_c_create(void) {
	struct echo_c *inst = skynet_malloc(sizeof(*inst));
	inst->listener = -1;
	return inst;
}

void echo_c_release(struct echo_c *inst) {
	skynet_free(inst);
}

static int echo_cb(struct skynet_context *ctx, void *ud, int type, int session, uint32_t source,
	const void *msg, size_t sz) {
	(void)ud, (void)session, (void)source, (void)sz;
	if (type != PTYPE_SOCKET)
		return 0;
	const struct skynet_socket_message *m = msg;
	switch (m->type) {
	case SKYNET_SOCKET_TYPE_DATA:
		skynet_socket_send(ctx, m->id, m->buffer, m->ud);
		break;
	case SKYNET_SOCKET_TYPE_ACCEPT:
		skynet_socket_start(ctx, m->ud);
		break;
	case SKYNET_SOCKET_TYPE_CLOSE:
	case SKYNET_SOCKET_TYPE_ERROR:
		skynet_socket_close(ctx, m->id);
		break;
	}
	return 0;
}

int echo_c_init(struct echo_c *inst, struct skynet_context *ctx, const char *parm) {
	int port = parm ? atoi(parm) : 0;
	if (port <= 0 || port > 65535) {
		skynet_error(ctx, "echo_c: a port expected, got \"%s\"", parm ? parm : "");
		return 1;
	}
	inst->listener = skynet_socket_listen(ctx, "127.0.0.1", port, 128);
	if (inst->listener < 0) {
		skynet_error(ctx, "echo_c: cannot listen on 127.0.0.1:%d", port);
		return 1;
	}
	skynet_callback(ctx, inst, echo_cb);
	skynet_socket_start(ctx, inst->listener);
	skynet_error(ctx, "ECHO_READY");
	return 0;
}
