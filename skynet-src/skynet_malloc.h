/* The process allocator: jemalloc in normal builds, libc under sanitizers.
 * jemalloc is linked unprefixed, so it replaces malloc, aligned_alloc, free
 * ... for the whole process (C modules and libc's own strdup/getline too):
 * whatever any of these returns, skynet_free frees, in every build. */
#ifndef SKYNET_MALLOC_H
#define SKYNET_MALLOC_H

#include <stddef.h>

#define skynet_malloc malloc
#define skynet_calloc calloc
#define skynet_realloc realloc
#define skynet_aligned_alloc aligned_alloc
#define skynet_free free

#include <stdlib.h>

#include <stdatomic.h>
#include <stdint.h>

/* tunes the allocator; runs before any thread starts */
void skynet_malloc_init(void);
/* gives freed memory back to the system as it ages; the timer thread
 * calls it once a second (an idle node would otherwise keep it) */
void skynet_malloc_decay(void);
/* hands what the calling thread's allocator cache holds back to the
 * shared arenas: for a thread about to sleep long (it would keep it) */
void skynet_malloc_flush_thread(void);

/* frees a block whose requested size the caller knows (a Lua allocator
 * does): jemalloc then skips finding it out */
void skynet_free_sized(void *ptr, size_t size);

char *skynet_strdup(const char *str);

/* per-service memory, for skynet.memory.info(): a service registers the
 * counter it keeps of its own bytes (snlua: its Lua VM).  The registry links
 * the counters themselves, so a node of 100,000 services adds and removes
 * one in constant time. */
struct skynet_memory_counter {
	uint32_t handle;
	_Atomic size_t bytes; /* written by the service, read by anyone */
	struct skynet_memory_counter *prev, *next;
};
void skynet_memory_register(struct skynet_memory_counter *counter, uint32_t handle);
void skynet_memory_unregister(struct skynet_memory_counter *counter);
/* calls f(ud, handle, bytes) for every registered service; returns the sum */
size_t skynet_memory_foreach(void (*f)(void *ud, uint32_t handle, size_t bytes), void *ud);

#endif
