/*
 * The handle registry: handle -> context in an open-addressed table whose
 * size is a power of two (slot = handle & (size - 1)), and local names in a
 * sorted array.  Handles count up and skip slots in use, so a handle is not
 * reused until the counter wraps around 2^24.
 */
#include "skynet_handle.h"
#include "skynet.h"
#include "skynet_server.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#define DEFAULT_SLOT_SIZE 4

struct handle_name {
	char *name;
	uint32_t handle;
};

struct handle_storage {
	pthread_rwlock_t lock;
	uint32_t harbor;
	uint32_t handle_index;
	int slot_size;
	struct skynet_context **slot;
	int name_cap;
	int name_count;
	struct handle_name *name;
};

static struct handle_storage *H = NULL;

static void grow_slots(struct handle_storage *s) {
	size_t size = (size_t)s->slot_size * 2;
	struct skynet_context **bigger = skynet_calloc(size, sizeof(*bigger));
	for (int i = 0; i < s->slot_size; i++) {
		struct skynet_context *ctx = s->slot[i];
		if (ctx) {
			uint32_t handle = skynet_context_handle(ctx) & HANDLE_MASK;
			bigger[handle & (s->slot_size * 2 - 1)] = ctx;
		}
	}
	skynet_free(s->slot);
	s->slot = bigger;
	s->slot_size *= 2;
}

uint32_t skynet_handle_register(struct skynet_context *ctx) {
	struct handle_storage *s = H;
	pthread_rwlock_wrlock(&s->lock);
	for (;;) {
		uint32_t handle = s->handle_index;
		for (int i = 0; i < s->slot_size; i++, handle++) {
			if (handle > HANDLE_MASK)
				handle = 1; /* 0 is reserved for "no service" */
			int hash = handle & (s->slot_size - 1);
			if (s->slot[hash] == NULL) {
				s->slot[hash] = ctx;
				s->handle_index = handle + 1;
				pthread_rwlock_unlock(&s->lock);
				return handle | s->harbor;
			}
		}
		assert(s->slot_size * 2 - 1 <= HANDLE_MASK);
		grow_slots(s);
	}
}

static void remove_names_of(struct handle_storage *s, uint32_t handle) {
	int j = 0;
	for (int i = 0; i < s->name_count; i++) {
		if (s->name[i].handle == handle)
			skynet_free(s->name[i].name);
		else
			s->name[j++] = s->name[i];
	}
	s->name_count = j;
}

int skynet_handle_retire(uint32_t handle) {
	int ret = 0;
	struct handle_storage *s = H;
	struct skynet_context *ctx = NULL;
	pthread_rwlock_wrlock(&s->lock);
	uint32_t hash = handle & (s->slot_size - 1);
	if (s->slot[hash] && skynet_context_handle(s->slot[hash]) == handle) {
		ctx = s->slot[hash];
		s->slot[hash] = NULL;
		ret = 1;
		remove_names_of(s, handle);
	}
	pthread_rwlock_unlock(&s->lock);
	/* released outside the lock: the release may log, which looks up handles */
	if (ctx)
		skynet_context_release(ctx);
	return ret;
}

void skynet_handle_retireall(uint32_t keep) {
	struct handle_storage *s = H;
	for (;;) {
		int n = 0;
		for (int i = 0;; i++) {
			pthread_rwlock_rdlock(&s->lock);
			int size = s->slot_size;
			struct skynet_context *ctx = i < size ? s->slot[i] : NULL;
			uint32_t handle = ctx ? skynet_context_handle(ctx) : 0;
			pthread_rwlock_unlock(&s->lock);
			if (i >= size)
				break;
			if (handle && handle != keep && skynet_handle_retire(handle))
				n++;
		}
		if (n == 0)
			return;
	}
}

struct skynet_context *skynet_handle_grab(uint32_t handle) {
	struct handle_storage *s = H;
	struct skynet_context *result = NULL;
	pthread_rwlock_rdlock(&s->lock);
	struct skynet_context *ctx = s->slot[handle & (s->slot_size - 1)];
	if (ctx && skynet_context_handle(ctx) == handle) {
		result = ctx;
		skynet_context_grab(result);
	}
	pthread_rwlock_unlock(&s->lock);
	return result;
}

/* index of name, or -(insertion point) - 1 */
static int find_name(struct handle_storage *s, const char *name) {
	int begin = 0, end = s->name_count - 1;
	while (begin <= end) {
		int mid = (begin + end) / 2;
		int c = strcmp(s->name[mid].name, name);
		if (c == 0)
			return mid;
		if (c < 0)
			begin = mid + 1;
		else
			end = mid - 1;
	}
	return -begin - 1;
}

uint32_t skynet_handle_parse(const char *text) {
	if (text == NULL || text[0] != ':')
		return 0;
	uint32_t handle = 0;
	int digits = 0;
	for (const char *p = text + 1; *p; p++, digits++) {
		int c = *p;
		int v = c >= '0' && c <= '9' ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0 || digits == 8)
			return 0;
		handle = handle << 4 | (uint32_t)v;
	}
	return handle;
}

uint32_t skynet_handle_findname(const char *name) {
	struct handle_storage *s = H;
	uint32_t handle = 0;
	pthread_rwlock_rdlock(&s->lock);
	int i = find_name(s, name);
	if (i >= 0)
		handle = s->name[i].handle;
	pthread_rwlock_unlock(&s->lock);
	return handle;
}

static const char *insert_name(struct handle_storage *s, const char *name, uint32_t handle) {
	int i = find_name(s, name);
	if (i >= 0)
		return NULL;
	i = -i - 1;
	if (s->name_count >= s->name_cap) {
		s->name_cap *= 2;
		s->name = skynet_realloc(s->name, s->name_cap * sizeof(struct handle_name));
	}
	memmove(s->name + i + 1, s->name + i, (s->name_count - i) * sizeof(struct handle_name));
	s->name[i].name = skynet_strdup(name);
	s->name[i].handle = handle;
	s->name_count++;
	return s->name[i].name;
}

const char *skynet_handle_namehandle(uint32_t handle, const char *name) {
	pthread_rwlock_wrlock(&H->lock);
	const char *ret = insert_name(H, name, handle);
	pthread_rwlock_unlock(&H->lock);
	return ret;
}

void skynet_handle_init(int harbor) {
	assert(H == NULL);
	struct handle_storage *s = skynet_malloc(sizeof(*H));
	s->slot_size = DEFAULT_SLOT_SIZE;
	s->slot = skynet_calloc(s->slot_size, sizeof(struct skynet_context *));
	pthread_rwlock_init(&s->lock, NULL);
	s->harbor = (uint32_t)(harbor & 0xff) << HANDLE_REMOTE_SHIFT;
	s->handle_index = 1;
	s->name_cap = 2;
	s->name_count = 0;
	s->name = skynet_malloc(s->name_cap * sizeof(struct handle_name));
	H = s;
}
