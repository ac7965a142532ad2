#include "skynet_malloc.h"

#include "spinlock.h"

#include <string.h>

char *skynet_strdup(const char *str) {
	size_t sz = strlen(str) + 1;
	char *copy = skynet_malloc(sz);
	memcpy(copy, str, sz);
	return copy;
}

void *skynet_lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		skynet_free(ptr);
		return NULL;
	}
	return skynet_realloc(ptr, nsize);
}

struct memory_entry {
	uint32_t handle;
	const _Atomic size_t *bytes;
};

static struct {
	struct spinlock lock;
	int count;
	int cap;
	struct memory_entry *entry;
} MEM;

void skynet_memory_register(uint32_t handle, const _Atomic size_t *bytes) {
	spinlock_lock(&MEM.lock);
	if (MEM.count == MEM.cap) {
		MEM.cap = MEM.cap ? MEM.cap * 2 : 64;
		MEM.entry = skynet_realloc(MEM.entry, MEM.cap * sizeof(struct memory_entry));
	}
	MEM.entry[MEM.count].handle = handle;
	MEM.entry[MEM.count].bytes = bytes;
	MEM.count++;
	spinlock_unlock(&MEM.lock);
}

void skynet_memory_unregister(uint32_t handle) {
	spinlock_lock(&MEM.lock);
	for (int i = 0; i < MEM.count; i++) {
		if (MEM.entry[i].handle == handle) {
			MEM.entry[i] = MEM.entry[--MEM.count];
			break;
		}
	}
	if (MEM.count == 0) {
		skynet_free(MEM.entry);
		MEM.entry = NULL;
		MEM.cap = 0;
	}
	spinlock_unlock(&MEM.lock);
}

size_t skynet_memory_foreach(void (*f)(void *ud, uint32_t handle, size_t bytes), void *ud) {
	size_t total = 0;
	spinlock_lock(&MEM.lock);
	for (int i = 0; i < MEM.count; i++) {
		size_t bytes = atomic_load_explicit(MEM.entry[i].bytes, memory_order_relaxed);
		total += bytes;
		if (f)
			f(ud, MEM.entry[i].handle, bytes);
	}
	spinlock_unlock(&MEM.lock);
	return total;
}
