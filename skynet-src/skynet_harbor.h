#ifndef SKYNET_HARBOR_H
#define SKYNET_HARBOR_H

#include <stdint.h>

struct skynet_context;

/* 1 when handle belongs to another node */
int skynet_harbor_message_isremote(uint32_t handle);
void skynet_harbor_init(int harbor);

#endif
