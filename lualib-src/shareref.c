/*
 * The id registry of shareref.h: a growable array of slots under one lock,
 * with a free list.  Grabs and releases are rare (a query, an update, a
 * reader dropping a version), never per read, so one lock is enough.
 * Generations come from one process-wide counter, so the array can be freed
 * whenever it is empty (as at exit: the library may be unloaded after) and
 * no old id ever names a later object.
 */
#include "shareref.h"

#include "skynet_malloc.h"
#include "spinlock.h"

#include <stddef.h>

struct slot {
	void *obj;
	void (*release)(void *obj);
	int ref;
	uint32_t generation;
	uint32_t next_free;
};

#define NO_SLOT UINT32_MAX

static struct {
	struct spinlock lock;
	struct slot *slots;
	uint32_t cap;
	uint32_t free_head;
	uint32_t live;
	uint32_t generation; /* the last one given */
} R = { .free_head = NO_SLOT };

static uint32_t slot_of(uint64_t id) {
	return (uint32_t)(id & 0xffffffffu);
}

static uint32_t generation_of(uint64_t id) {
	return (uint32_t)(id >> 32);
}

/* the live slot an id names, or NULL; called with the lock held */
static struct slot *find(uint64_t id) {
	uint32_t i = slot_of(id);
	if (i >= R.cap)
		return NULL;
	struct slot *s = &R.slots[i];
	if (s->obj == NULL || s->generation != generation_of(id))
		return NULL;
	return s;
}

/* a free slot index, growing the array when none is left; lock held */
static uint32_t take_slot(void) {
	if (R.free_head == NO_SLOT) {
		uint32_t cap = R.cap ? R.cap * 2 : 64;
		struct slot *slots = skynet_realloc(R.slots, cap * sizeof(*slots));
		if (slots == NULL)
			return NO_SLOT;
		for (uint32_t i = R.cap; i < cap; i++) {
			slots[i] = (struct slot){ .next_free = i + 1 < cap ? i + 1 : NO_SLOT };
		}
		R.slots = slots;
		R.free_head = R.cap;
		R.cap = cap;
	}
	uint32_t i = R.free_head;
	R.free_head = R.slots[i].next_free;
	return i;
}

uint64_t shareref_new(void *obj, void (*release)(void *obj)) {
	spinlock_lock(&R.lock);
	uint32_t i = take_slot();
	uint64_t id = 0;
	if (i != NO_SLOT) {
		struct slot *s = &R.slots[i];
		s->obj = obj;
		s->release = release;
		s->ref = 1;
		R.generation = R.generation + 1 ? R.generation + 1 : 1;
		s->generation = R.generation;
		R.live++;
		id = (uint64_t)s->generation << 32 | i;
	}
	spinlock_unlock(&R.lock);
	return id;
}

void *shareref_grab(uint64_t id) {
	spinlock_lock(&R.lock);
	struct slot *s = find(id);
	void *obj = NULL;
	if (s) {
		s->ref++;
		obj = s->obj;
	}
	spinlock_unlock(&R.lock);
	return obj;
}

int shareref_release(uint64_t id) {
	void *dead = NULL;
	void (*release)(void *) = NULL;
	spinlock_lock(&R.lock);
	struct slot *s = find(id);
	if (s && --s->ref == 0) {
		dead = s->obj;
		release = s->release;
		s->obj = NULL;
		s->next_free = R.free_head;
		R.free_head = slot_of(id);
		if (--R.live == 0) {
			skynet_free(R.slots);
			R.slots = NULL;
			R.cap = 0;
			R.free_head = NO_SLOT;
		}
	}
	spinlock_unlock(&R.lock);
	if (dead)
		release(dead);
	return s != NULL;
}

int shareref_count(uint64_t id) {
	spinlock_lock(&R.lock);
	struct slot *s = find(id);
	int ref = s ? s->ref : 0;
	spinlock_unlock(&R.lock);
	return ref;
}
