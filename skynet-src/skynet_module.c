/*
 * C service modules: NAME.so found through the cpath patterns ('?' is
 * replaced by NAME), exposing NAME_create, NAME_init, NAME_release and
 * NAME_signal.  Loaded modules are cached for the life of the node.
 */
#include "skynet.h"
#include "skynet_module.h"
#include "spinlock.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_MODULE_TYPE 32
#define MAX_NAME 128

struct modules {
	atomic_int count; /* entries published; only grows, under lock */
	struct spinlock lock;
	const char *path;
	struct skynet_module m[MAX_MODULE_TYPE];
};

static struct modules *M = NULL;

/* tries each ';'-separated pattern of the path in turn */
static void *try_open(struct modules *m, const char *name) {
	const char *path = m->path;
	size_t name_size = strlen(name);
	char tmp[1024];
	char first_error[512] = "";
	while (*path) {
		while (*path == ';')
			path++;
		if (*path == '\0')
			break;
		const char *end = strchr(path, ';');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		const char *q = memchr(path, '?', len);
		if (q == NULL) {
			skynet_error(NULL, "error: invalid cpath pattern %.*s (needs one '?')", (int)len, path);
			return NULL;
		}
		if (len + name_size >= sizeof(tmp)) {
			skynet_error(NULL, "error: cannot load C service: its file name would be longer than %zu bytes",
				sizeof(tmp) - 1);
			return NULL;
		}
		size_t prefix = (size_t)(q - path);
		memcpy(tmp, path, prefix);
		memcpy(tmp + prefix, name, name_size);
		memcpy(tmp + prefix + name_size, q + 1, len - prefix - 1);
		tmp[len - 1 + name_size] = '\0';
		void *dl = dlopen(tmp, RTLD_NOW | RTLD_GLOBAL);
		if (dl)
			return dl;
		if (first_error[0] == '\0')
			snprintf(first_error, sizeof(first_error), "%s", dlerror());
		path += len;
	}
	skynet_error(NULL, "error: cannot load C service %s from cpath %s: %s", name, m->path,
		first_error[0] ? first_error : "no pattern");
	return NULL;
}

static struct skynet_module *query(struct modules *m, const char *name) {
	int count = atomic_load_explicit(&m->count, memory_order_acquire);
	for (int i = 0; i < count; i++)
		if (strcmp(m->m[i].name, name) == 0)
			return &m->m[i];
	return NULL;
}

static void *get_api(struct skynet_module *mod, const char *api_name) {
	char tmp[MAX_NAME + 16];
	snprintf(tmp, sizeof(tmp), "%s%s", mod->name, api_name);
	/* a module named a.b exports a_b_create etc.: use the part after the last dot */
	char *ptr = strrchr(tmp, '.');
	ptr = ptr ? ptr + 1 : tmp;
	return dlsym(mod->module, ptr);
}

static int open_sym(struct skynet_module *mod) {
	mod->create = (skynet_dl_create)get_api(mod, "_create");
	mod->init = (skynet_dl_init)get_api(mod, "_init");
	mod->release = (skynet_dl_release)get_api(mod, "_release");
	mod->signal = (skynet_dl_signal)get_api(mod, "_signal");
	return mod->init == NULL;
}

struct skynet_module *skynet_module_query(const char *name) {
	if (strlen(name) >= MAX_NAME) {
		skynet_error(NULL, "error: C service name too long: %.32s...", name);
		return NULL;
	}
	struct skynet_module *result = query(M, name);
	if (result)
		return result;
	spinlock_lock(&M->lock);
	result = query(M, name); /* double check */
	int index = atomic_load_explicit(&M->count, memory_order_relaxed);
	if (result == NULL && index < MAX_MODULE_TYPE) {
		void *dl = try_open(M, name);
		if (dl) {
			M->m[index].name = name;
			M->m[index].module = dl;
			if (open_sym(&M->m[index]) == 0) {
				M->m[index].name = skynet_strdup(name);
				/* publish the entry only once it is complete */
				atomic_store_explicit(&M->count, index + 1, memory_order_release);
				result = &M->m[index];
			} else {
				skynet_error(NULL, "error: C service %s has no %s_init", name, name);
				dlclose(dl);
			}
		}
	}
	spinlock_unlock(&M->lock);
	return result;
}

void *skynet_module_instance_create(struct skynet_module *m) {
	if (m->create)
		return m->create();
	return (void *)(intptr_t)(~0); /* a module without create still needs a non-NULL instance */
}

int skynet_module_instance_init(struct skynet_module *m, void *inst, struct skynet_context *ctx, const char *parm) {
	return m->init(inst, ctx, parm);
}

void skynet_module_instance_release(struct skynet_module *m, void *inst) {
	if (m->release)
		m->release(inst);
}

void skynet_module_instance_signal(struct skynet_module *m, void *inst, int signal) {
	if (m->signal)
		m->signal(inst, signal);
}

void skynet_module_init(const char *path) {
	struct modules *m = skynet_calloc(1, sizeof(*m));
	m->path = skynet_strdup(path);
	spinlock_init(&m->lock);
	M = m;
}

/* what modules run at shutdown: a module with a thread of its own stops it
 * there, before the node frees what that thread reads */
#define MAX_ATEXIT 16

static struct {
	struct spinlock lock; /* static: zero is unlocked */
	int count;
	void (*fn[MAX_ATEXIT])(void);
} ATEXIT;

bool skynet_atexit(void (*fn)(void)) {
	spinlock_lock(&ATEXIT.lock);
	bool room = ATEXIT.count < MAX_ATEXIT;
	if (room)
		ATEXIT.fn[ATEXIT.count++] = fn;
	spinlock_unlock(&ATEXIT.lock);
	return room;
}

void skynet_module_exit(void) {
	for (int i = ATEXIT.count - 1; i >= 0; i--)
		ATEXIT.fn[i]();
	ATEXIT.count = 0;
	int count = atomic_load(&M->count);
	for (int i = 0; i < count; i++)
		skynet_free((void *)M->m[i].name);
	skynet_free((void *)M->path);
	skynet_free(M);
	M = NULL;
}
