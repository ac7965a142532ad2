/* Harbor ids: the high 8 bits of a handle name the node it lives on. */
#include "skynet_harbor.h"
#include "skynet.h"
#include "skynet_handle.h"

static unsigned int HARBOR = 0;

int skynet_harbor_message_isremote(uint32_t handle) {
	int h = (handle & ~HANDLE_MASK);
	return h != (int)HARBOR && h != 0;
}

void skynet_harbor_init(int harbor) {
	HARBOR = (unsigned int)harbor << HANDLE_REMOTE_SHIFT;
}

int skynet_isremote(struct skynet_context *ctx, uint32_t handle, int *harbor) {
	(void)ctx;
	int ret = skynet_harbor_message_isremote(handle);
	if (harbor)
		*harbor = (int)(handle >> HANDLE_REMOTE_SHIFT);
	return ret;
}
