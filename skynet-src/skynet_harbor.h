/* Harbor mode: the high 8 bits of a handle name the node (harbor) it lives
 * on; messages to another harbor's handle, and to global names, go to the
 * node's harbor service, which owns the links to the other nodes. */
#ifndef SKYNET_HARBOR_H
#define SKYNET_HARBOR_H

#include <stddef.h>
#include <stdint.h>

struct skynet_context;

#define GLOBALNAME_LENGTH 16 /* a global name has 15 bytes at most */
#define REMOTE_MAX 256       /* harbor ids are 1..255; 0 is a lone node */

/* where a remote message goes: a handle, or (handle 0) a global name,
 * zero-padded, not terminated when it fills the 16 bytes */
struct remote_name {
	char name[GLOBALNAME_LENGTH];
	uint32_t handle;
};

/* the payload of the PTYPE_SYSTEM messages the core gives the harbor
 * service: message (skynet_malloc'ed) belongs to the harbor service */
struct remote_message {
	struct remote_name destination;
	const void *message;
	size_t sz;
	int type;
};

/* 1 when handle belongs to another harbor */
int skynet_harbor_message_isremote(uint32_t handle);
void skynet_harbor_init(int harbor);
/* ctx becomes the node's harbor service */
void skynet_harbor_start(struct skynet_context *ctx);
/* the harbor service's handle, 0 when the node has none */
uint32_t skynet_harbor_service(void);
/* hands rmsg (skynet_malloc'ed, as its message) to the harbor service;
 * -1 when there is none: both are freed */
int skynet_harbor_send(struct remote_message *rmsg, uint32_t source, int session);

#endif
