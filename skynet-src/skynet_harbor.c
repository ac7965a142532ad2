/* Harbor ids, and the hand-over of remote messages to the harbor service. */
#include "skynet_harbor.h"
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <stdatomic.h>

static uint32_t HARBOR = 0;          /* this node's id, in the high 8 bits */
static _Atomic uint32_t SERVICE = 0; /* the harbor service's handle */

int skynet_harbor_message_isremote(uint32_t handle) {
	uint32_t h = handle & ~(uint32_t)HANDLE_MASK;
	return h != HARBOR && h != 0;
}

void skynet_harbor_init(int harbor) {
	HARBOR = (uint32_t)harbor << HANDLE_REMOTE_SHIFT;
}

int skynet_isremote(struct skynet_context *ctx, uint32_t handle, int *harbor) {
	(void)ctx;
	int ret = skynet_harbor_message_isremote(handle);
	if (harbor)
		*harbor = (int)(handle >> HANDLE_REMOTE_SHIFT);
	return ret;
}

/* the handle, not the context, is kept: once the service is gone (a
 * shutdown) messages for it fail like those to any exited service */
void skynet_harbor_start(struct skynet_context *ctx) {
	atomic_store(&SERVICE, skynet_context_handle(ctx));
}

uint32_t skynet_harbor_service(void) {
	return atomic_load(&SERVICE);
}

int skynet_harbor_send(struct remote_message *rmsg, uint32_t source, int session) {
	struct skynet_message smsg = {
		source, session, rmsg, sizeof(*rmsg) | (size_t)PTYPE_SYSTEM << MESSAGE_TYPE_SHIFT
	};
	uint32_t service = atomic_load(&SERVICE);
	if (service == 0 || skynet_context_push(service, &smsg)) {
		skynet_free((void *)rmsg->message);
		skynet_free(rmsg);
		return -1;
	}
	return 0;
}
