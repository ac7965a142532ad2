#include "skynet_malloc.h"

#include "spinlock.h"

#include <stdio.h>
#include <string.h>

#ifndef NOUSE_JEMALLOC
#include <jemalloc/jemalloc.h>
#include <errno.h>
#include <sys/mman.h>

/*
 * Pages are mapped in before use, a piece at a time.  A first-touch page
 * fault costs 20-40 us in a VM (the exception goes through the hypervisor),
 * and every new Lua service touches some sixteen fresh pages: spawning was
 * bound by page faults.  Asking the kernel to populate a range
 * (MADV_POPULATE_WRITE) costs ~1.5 us a page.
 *
 * jemalloc maps address space in large steps it keeps "retained", and asks
 * its extent hooks to commit each piece it carves out of that for use (a
 * slab of small blocks, a large block).  So new address space is reported
 * uncommitted, committing a piece populates it, and decommitting a piece
 * (when freed memory ages out, dirty_decay_ms) gives its pages back, so
 * that a reused piece is populated again.  Only what jemalloc hands out is
 * populated, but a piece is populated whole where a small node might
 * touch only part of a slab: so this starts once the node has grown
 * (GROWN_NODE), and an idle node keeps its footprint.  Pieces
 * bigger than POPULATE_MAX (a large buffer that may be touched sparsely)
 * fault in as they are touched.  A kernel without MADV_POPULATE_WRITE
 * (before 5.14) faults everything in, as if this were not here.
 */
/* a node that has committed this much in all is a big one (an idle node
 * stays far below): its pages are populated, and purged in the background */
#define GROWN_NODE ((size_t)8 << 20)
#define POPULATE_MAX ((size_t)256 << 10)

/* freed pages go back to the system after about this long (jemalloc's
 * default is 10 s: after a burst, RSS would stay high for that long) */
#define DIRTY_DECAY_MS 2000

static extent_hooks_t *default_extent_hooks;
static extent_hooks_t populating_hooks;
static atomic_size_t committed_bytes;
static atomic_bool populate_unsupported;

static void *alloc_extent(extent_hooks_t *hooks, void *addr, size_t size, size_t alignment,
	bool *zero, bool *commit, unsigned arena) {
	(void)hooks;
	bool wanted = *commit;
	void *p = default_extent_hooks->alloc(default_extent_hooks, addr, size, alignment, zero, commit, arena);
	if (p && !wanted)
		*commit = false; /* retained address space: each piece is committed on use */
	return p;
}

static bool commit_pages(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
	size_t length, unsigned arena) {
	(void)hooks;
	(void)size;
	(void)arena;
	size_t before = atomic_fetch_add_explicit(&committed_bytes, length, memory_order_relaxed);
	if (before > GROWN_NODE && length <= POPULATE_MAX
		&& !atomic_load_explicit(&populate_unsupported, memory_order_relaxed)
		&& madvise((char *)addr + offset, length, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
		atomic_store_explicit(&populate_unsupported, true, memory_order_relaxed);
	return false; /* the pages are mapped read-write either way */
}

/* the pages read as zero when they are committed again */
static bool decommit_pages(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
	size_t length, unsigned arena) {
	(void)hooks;
	(void)size;
	(void)arena;
	return madvise((char *)addr + offset, length, MADV_DONTNEED) != 0;
}

void skynet_malloc_init(void) {
	unsigned narenas;
	size_t sz = sizeof(narenas);
	if (mallctl("arenas.narenas", &narenas, &sz, NULL, 0))
		return;
	sz = sizeof(default_extent_hooks);
	if (mallctl("arena.0.extent_hooks", &default_extent_hooks, &sz, NULL, 0))
		return;
	populating_hooks = *default_extent_hooks;
	populating_hooks.alloc = alloc_extent;
	populating_hooks.commit = commit_pages;
	populating_hooks.decommit = decommit_pages;
	extent_hooks_t *hooks = &populating_hooks;
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
 * most of its time there, 1,500 kills/s.  Once the node has grown past
 * GROWN_NODE, jemalloc's background thread purges instead (~10,000
 * kills/s); a small node saves the thread's memory.  It is started from
 * here, by the timer thread: after the daemon's fork (a forked child has
 * no such thread), and never from a hook (jemalloc holds its locks there).
 */
static void purge_in_background_when_grown(void) {
	static bool started;
	if (started || atomic_load_explicit(&committed_bytes, memory_order_relaxed) <= GROWN_NODE)
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
#else
void skynet_malloc_init(void) {
}

void skynet_malloc_decay(void) {
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
