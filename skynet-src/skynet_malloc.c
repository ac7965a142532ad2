#include "skynet_malloc.h"

#include "spinlock.h"

#include <stdio.h>
#include <string.h>

#ifndef NOUSE_JEMALLOC
#include <jemalloc/jemalloc.h>
#include <sys/mman.h>

/*
 * Huge pages once the node is big.  A first-touch page fault costs ~15 us
 * in a VM and every new Lua service touches some twenty fresh pages, so
 * spawning services is bound by page faults.  Once jemalloc has mapped
 * HUGEPAGE_THRESHOLD bytes, new extents are advised as huge pages: one fault
 * maps 2 MB.  An idle node stays below the threshold and keeps its small
 * footprint.
 */
#define HUGEPAGE_THRESHOLD ((size_t)32 << 20)

/* freed pages go back to the system after about this long (jemalloc's
 * default is 10 s: after a burst, RSS would stay high for that long) */
#define DIRTY_DECAY_MS 2000

static extent_hooks_t *default_extent_hooks;
static extent_hooks_t hugepage_hooks;
static atomic_size_t mapped_bytes;

static void *alloc_extent(extent_hooks_t *hooks, void *addr, size_t size, size_t alignment,
	bool *zero, bool *commit, unsigned arena) {
	(void)hooks;
	void *p = default_extent_hooks->alloc(default_extent_hooks, addr, size, alignment, zero, commit, arena);
	if (p && atomic_fetch_add(&mapped_bytes, size) + size > HUGEPAGE_THRESHOLD)
		madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void skynet_malloc_init(void) {
	unsigned narenas;
	size_t sz = sizeof(narenas);
	if (mallctl("arenas.narenas", &narenas, &sz, NULL, 0))
		return;
	sz = sizeof(default_extent_hooks);
	if (mallctl("arena.0.extent_hooks", &default_extent_hooks, &sz, NULL, 0))
		return;
	hugepage_hooks = *default_extent_hooks;
	hugepage_hooks.alloc = alloc_extent;
	extent_hooks_t *hooks = &hugepage_hooks;
	ssize_t decay_ms = DIRTY_DECAY_MS;
	mallctl("arenas.dirty_decay_ms", NULL, NULL, &decay_ms, sizeof(decay_ms));
	for (unsigned i = 0; i < narenas; i++) {
		char name[64];
		snprintf(name, sizeof(name), "arena.%u.extent_hooks", i);
		mallctl(name, NULL, NULL, &hooks, sizeof(hooks));
		snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
		mallctl(name, NULL, NULL, &decay_ms, sizeof(decay_ms));
	}
}

/*
 * Purging freed pages (madvise) flushes every core's TLB, an interrupt to
 * each that the caller waits for: in a VM, killing 20,000 services spent
 * most of its time there (5,000-10,000 kills/s; 9,000-15,000 with this).
 * Once the node has mapped BACKGROUND_PURGE_AFTER, jemalloc's background
 * thread purges instead; below that, purging mostly waits until a burst of
 * kills is over, and a small node saves the thread's memory.  It is
 * started from here, by the timer thread: after the daemon's fork (a forked
 * child has no such thread), and never from a hook (jemalloc holds its
 * locks there).
 */
#define BACKGROUND_PURGE_AFTER ((size_t)512 << 20)

static void purge_in_background_when_grown(void) {
	static bool started;
	if (started || atomic_load_explicit(&mapped_bytes, memory_order_relaxed) <= BACKGROUND_PURGE_AFTER)
		return;
	started = true;
	bool enable = true;
	mallctl("background_thread", NULL, NULL, &enable, sizeof(enable));
}

/*
 * jemalloc purges dirty pages as they age past dirty_decay_ms, but only
 * when an arena allocates or frees: after a burst, an idle node keeps its
 * peak RSS.  Asking every arena to decay applies the same aging rule.
 */
void skynet_malloc_decay(void) {
	purge_in_background_when_grown();
	char name[64];
	snprintf(name, sizeof(name), "arena.%u.decay", (unsigned)MALLCTL_ARENAS_ALL);
	mallctl(name, NULL, NULL, NULL, 0);
}

void skynet_malloc_flush_thread(void) {
	mallctl("thread.tcache.flush", NULL, NULL, NULL, 0);
}

void skynet_free_sized(void *ptr, size_t size) {
	sdallocx(ptr, size, 0);
}
#else
void skynet_malloc_init(void) {
}

void skynet_malloc_decay(void) {
}

void skynet_malloc_flush_thread(void) {
}

void skynet_free_sized(void *ptr, size_t size) {
	(void)size;
	free(ptr);
}
#endif

char *skynet_strdup(const char *str) {
	size_t sz = strlen(str) + 1;
	char *copy = skynet_malloc(sz);
	memcpy(copy, str, sz);
	return copy;
}

static struct {
	struct spinlock lock;
	struct skynet_memory_counter *first;
} MEM;

void skynet_memory_register(struct skynet_memory_counter *counter, uint32_t handle) {
	counter->handle = handle;
	counter->prev = NULL;
	spinlock_lock(&MEM.lock);
	counter->next = MEM.first;
	if (MEM.first)
		MEM.first->prev = counter;
	MEM.first = counter;
	spinlock_unlock(&MEM.lock);
}

void skynet_memory_unregister(struct skynet_memory_counter *counter) {
	spinlock_lock(&MEM.lock);
	if (counter->prev)
		counter->prev->next = counter->next;
	else
		MEM.first = counter->next;
	if (counter->next)
		counter->next->prev = counter->prev;
	spinlock_unlock(&MEM.lock);
}

size_t skynet_memory_foreach(void (*f)(void *ud, uint32_t handle, size_t bytes), void *ud) {
	size_t total = 0;
	spinlock_lock(&MEM.lock);
	for (struct skynet_memory_counter *c = MEM.first; c; c = c->next) {
		size_t bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
		total += bytes;
		if (f)
			f(ud, c->handle, bytes);
	}
	spinlock_unlock(&MEM.lock);
	return total;
}
