/* The process allocator: jemalloc in normal builds, libc under sanitizers. */
#ifndef SKYNET_MALLOC_H
#define SKYNET_MALLOC_H

#include <stddef.h>

#define skynet_malloc malloc
#define skynet_calloc calloc
#define skynet_realloc realloc
#define skynet_free free

#include <stdlib.h>

char *skynet_strdup(const char *str);
/* a lua_Alloc-shaped allocator without accounting */
void *skynet_lalloc(void *ud, void *ptr, size_t osize, size_t nsize);

#endif
