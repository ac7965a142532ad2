#ifndef SKYNET_CONTEXT_HANDLE_H
#define SKYNET_CONTEXT_HANDLE_H

#include <stdint.h>

/* the high 8 bits of a handle are the harbor id */
#define HANDLE_MASK 0xffffff
#define HANDLE_REMOTE_SHIFT 24

struct skynet_context;

uint32_t skynet_handle_register(struct skynet_context *);
int skynet_handle_retire(uint32_t handle);
/* the context with a reference taken (release it), or NULL */
struct skynet_context *skynet_handle_grab(uint32_t handle);
/* retires every service but keep (0: all) */
void skynet_handle_retireall(uint32_t keep);

uint32_t skynet_handle_findname(const char *name);
/* the stored copy of name, or NULL when the name is taken */
const char *skynet_handle_namehandle(uint32_t handle, const char *name);

void skynet_handle_init(int harbor);

#endif
