/*
 * Service contexts: creation, reference counting, message dispatch and the
 * text command interface of skynet_command.
 */
#include "skynet_server.h"
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_log.h"
#include "skynet_module.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_socket.h"
#include "skynet_timer.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct skynet_context {
	void *instance;
	struct skynet_module *mod;
	void *cb_ud;
	skynet_cb cb;
	struct message_queue *queue;
	_Atomic(FILE *) logfile;
	/* microseconds (wall clock) spent in this service's batches; atomic,
	 * since a batch adds its cost after the queue went to another worker
	 * (see end_batch) */
	_Atomic uint64_t cpu_cost;
	uint64_t cpu_start;  /* monotonic time when the current batch began */
	char result[32];     /* the answer of the last skynet_command */
	_Atomic uint32_t handle; /* read by the registry's lookups while launch sets it */
	int session_id;
	atomic_int ref;
	int message_count;
	bool init;
	atomic_bool endless;
	atomic_bool socket_owner; /* it used the socket server: its sockets close with it */
	/* -1, or the queue length at which a socket of its that the socket
	 * thread holds (read-side flow control) may be read again */
	atomic_int wake_reads_at;
	bool profile;
};

struct skynet_node {
	atomic_int total;
	int init;
	uint32_t monitor_exit;
	uint32_t bootstrap;
	pthread_key_t handle_key;
	bool profile;
	atomic_int aborting;
	atomic_int exit_status;
};

static struct skynet_node G_NODE;

int skynet_context_total(void) {
	return atomic_load(&G_NODE.total);
}

/* the handle of the service this thread is dispatching; for threads that
 * are not workers, a negative id of the thread kind */
uint32_t skynet_current_handle(void) {
	if (G_NODE.init) {
		void *handle = pthread_getspecific(G_NODE.handle_key);
		return (uint32_t)(uintptr_t)handle;
	}
	return (uint32_t)-1;
}

/* a thread that is not dispatching reads as -kind: 0xfffffffe for the
 * socket thread, never a live service's handle */
void skynet_initthread(int m) {
	pthread_setspecific(G_NODE.handle_key, (void *)(uintptr_t)(uint32_t)(-m));
}

struct drop_t {
	uint32_t handle;
};

/* what is left in a dead service's queue: requests get an error reply so
 * that no caller waits forever */
static void drop_message(struct skynet_message *msg, void *ud) {
	struct drop_t *d = ud;
	int type = (int)(msg->sz >> MESSAGE_TYPE_SHIFT);
	if (type == PTYPE_SYSTEM && msg->data && d->handle == skynet_harbor_service())
		skynet_free((void *)((struct remote_message *)msg->data)->message);
	skynet_free(msg->data);
	if (msg->session != 0 && msg->source != 0 && type != PTYPE_RESPONSE && type != PTYPE_ERROR)
		skynet_send(NULL, d->handle, msg->source, PTYPE_ERROR, msg->session, NULL, 0);
}

struct skynet_context *skynet_context_new(const char *name, const char *param) {
	struct skynet_module *mod = skynet_module_query(name);
	if (mod == NULL)
		return NULL;
	void *inst = skynet_module_instance_create(mod);
	if (inst == NULL)
		return NULL;
	struct skynet_context *ctx = skynet_malloc(sizeof(*ctx));
	ctx->mod = mod;
	ctx->instance = inst;
	atomic_init(&ctx->ref, 2);
	ctx->cb = NULL;
	ctx->cb_ud = NULL;
	ctx->session_id = 0;
	atomic_init(&ctx->logfile, NULL);
	ctx->init = false;
	atomic_init(&ctx->endless, false);
	atomic_init(&ctx->socket_owner, false);
	atomic_init(&ctx->wake_reads_at, -1);
	atomic_init(&ctx->cpu_cost, 0);
	ctx->cpu_start = 0;
	ctx->message_count = 0;
	ctx->profile = G_NODE.profile;
	ctx->result[0] = '\0';
	/* the queue exists before the handle is published: from then on other
	 * threads may push to it or retire the service; the handle must be set
	 * before init, which may send messages */
	struct message_queue *queue = ctx->queue = skynet_mq_create(0);
	ctx->handle = 0;
	ctx->handle = skynet_handle_register(ctx);
	skynet_mq_set_handle(queue, ctx->handle);
	atomic_fetch_add(&G_NODE.total, 1);

	int r = skynet_module_instance_init(mod, inst, ctx, param);
	if (r == 0) {
		/* our reference goes to the caller: once the queue is scheduled the
		 * service may run and exit on another worker, and a retire (or a
		 * shutdown) must not free ctx while the caller still reads it */
		ctx->init = true;
		skynet_globalmq_push(queue);
		if (skynet_handle_findname(".logger")) /* the logger's own launch is not news */
			skynet_error(ctx, "LAUNCH %s %s", name, param ? param : "");
		return ctx;
	}
	skynet_error(ctx, "error: launch %s %s failed", name, param ? param : "");
	uint32_t handle = ctx->handle;
	skynet_context_release(ctx);
	skynet_handle_retire(handle);
	struct drop_t d = { handle };
	skynet_mq_release(queue, drop_message, &d);
	return NULL;
}

int skynet_context_newsession(struct skynet_context *ctx) {
	/* sessions are positive; 0 means "no reply wanted" */
	int session = ++ctx->session_id;
	if (session <= 0) {
		ctx->session_id = 1;
		return 1;
	}
	return session;
}

void skynet_context_grab(struct skynet_context *ctx) {
	atomic_fetch_add(&ctx->ref, 1);
}

/*
 * The monitor reads a worker's running context from outside, so that
 * context may lose its last reference meanwhile: deletion waits for this
 * lock, and the worker clears *running before it lets go.
 */
static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;

static void delete_context(struct skynet_context *ctx) {
	/* an interrupt that read this context as running has finished */
	pthread_mutex_lock(&interrupt_lock);
	pthread_mutex_unlock(&interrupt_lock);
	FILE *f = atomic_load(&ctx->logfile);
	if (f)
		fclose(f);
	skynet_module_instance_release(ctx->mod, ctx->instance);
	if (atomic_load_explicit(&ctx->socket_owner, memory_order_relaxed))
		skynet_socket_owner_exit(ctx->handle);
	skynet_mq_mark_release(ctx->queue);
	skynet_free(ctx);
	atomic_fetch_sub(&G_NODE.total, 1);
}

void skynet_context_socket_owner(struct skynet_context *ctx) {
	if (!atomic_load_explicit(&ctx->socket_owner, memory_order_relaxed))
		atomic_store_explicit(&ctx->socket_owner, true, memory_order_relaxed);
}

struct skynet_context *skynet_context_release(struct skynet_context *ctx) {
	if (atomic_fetch_sub(&ctx->ref, 1) == 1) {
		delete_context(ctx);
		return NULL;
	}
	return ctx;
}

int skynet_context_push(uint32_t handle, struct skynet_message *message) {
	struct skynet_context *ctx = skynet_handle_grab(handle);
	if (ctx == NULL)
		return -1;
	skynet_mq_push(ctx->queue, message);
	skynet_context_release(ctx);
	return 0;
}

void skynet_context_endless(uint32_t handle) {
	struct skynet_context *ctx = skynet_handle_grab(handle);
	if (ctx == NULL)
		return;
	atomic_store(&ctx->endless, true);
	skynet_context_release(ctx);
}

void skynet_context_interrupt_running(struct skynet_context *_Atomic *running) {
	pthread_mutex_lock(&interrupt_lock);
	struct skynet_context *ctx = atomic_load(running);
	/* signal 0 asks the service to break out of what it runs (snlua raises
	 * an error in the running coroutine) */
	if (ctx)
		skynet_module_instance_signal(ctx->mod, ctx->instance, 0);
	pthread_mutex_unlock(&interrupt_lock);
}

static void dispatch_message(struct skynet_context *ctx, struct skynet_message *msg) {
	assert(ctx->init);
	pthread_setspecific(G_NODE.handle_key, (void *)(uintptr_t)(ctx->handle));
	int type = (int)(msg->sz >> MESSAGE_TYPE_SHIFT);
	size_t sz = msg->sz & MESSAGE_TYPE_MASK;
	FILE *f = atomic_load_explicit(&ctx->logfile, memory_order_relaxed);
	if (f)
		skynet_log_output(f, msg->source, type, msg->session, msg->data, sz);
	++ctx->message_count;
	int reserve_msg = ctx->cb(ctx, ctx->cb_ud, type, msg->session, msg->source, msg->data, sz);
	if (!reserve_msg)
		skynet_free(msg->data);
}

void skynet_context_dispatchall(struct skynet_context *ctx) {
	struct skynet_message msg;
	while (!skynet_mq_pop(ctx->queue, &msg)) {
		if (ctx->cb)
			dispatch_message(ctx, &msg);
		else
			skynet_free(msg.data);
	}
}

/* cpu_start is for the service's own `stat` calls during the batch */
static uint64_t begin_batch(struct skynet_context *ctx) {
	if (!ctx->profile)
		return 0;
	uint64_t start = skynet_monotonic_usec();
	ctx->cpu_start = start;
	return start;
}

/*
 * Once skynet_mq_pop found the queue empty, another worker may already
 * run the service's next batch: only the atomic cost is touched here,
 * never cpu_start.
 */
static void end_batch(struct skynet_context *ctx, uint64_t start) {
	if (ctx->profile)
		atomic_fetch_add_explicit(&ctx->cpu_cost, skynet_monotonic_usec() - start, memory_order_relaxed);
}

struct message_queue *skynet_context_message_dispatch(struct skynet_monitor *sm,
	struct message_queue *q, int weight) {
	if (q == NULL) {
		q = skynet_globalmq_pop();
		if (q == NULL)
			return NULL;
	}
	uint32_t handle = skynet_mq_handle(q);
	struct skynet_context *ctx = skynet_handle_grab(handle);
	if (ctx == NULL) {
		struct drop_t d = { handle };
		skynet_mq_release(q, drop_message, &d);
		return skynet_globalmq_pop();
	}
	int n = 1;
	struct skynet_message msg;
	uint64_t start = begin_batch(ctx);
	for (int i = 0; i < n; i++) {
		if (skynet_mq_pop(q, &msg)) {
			end_batch(ctx, start);
			skynet_context_release(ctx);
			return skynet_globalmq_pop();
		}
		if (i == 0 && weight >= 0) {
			n = skynet_mq_length(q) >> weight;
			if (n < 1)
				n = 1;
		}
		int overload = skynet_mq_overload(q);
		if (overload)
			skynet_error(ctx, "error: may overload, message queue length = %d", overload);
		skynet_monitor_trigger(sm, msg.source, handle, ctx);
		if (ctx->cb == NULL)
			skynet_free(msg.data);
		else
			dispatch_message(ctx, &msg);
		skynet_monitor_trigger(sm, 0, 0, NULL);
	}
	end_batch(ctx, start);
	assert(q == ctx->queue);
	/* caught up with a socket the socket thread holds: it is read again */
	int wake_at = atomic_load_explicit(&ctx->wake_reads_at, memory_order_relaxed);
	if (wake_at >= 0 && skynet_mq_length(q) <= wake_at) {
		atomic_store_explicit(&ctx->wake_reads_at, -1, memory_order_relaxed);
		skynet_socket_owner_ready();
	}
	struct message_queue *nq = skynet_globalmq_pop();
	if (nq) {
		/* another service waits: go round-robin */
		skynet_globalmq_push(q);
		q = nq;
	}
	skynet_context_release(ctx);
	return q;
}

/* names are kept as given: ".name" is local; any other name is global, and
 * without a harbor the whole node shares one namespace */
uint32_t skynet_queryname(struct skynet_context *context, const char *name) {
	(void)context;
	if (name[0] == ':')
		return skynet_handle_parse(name);
	return skynet_handle_findname(name);
}

/* retires handle (0: the caller itself); 0 when there was no such service */
static int handle_exit(struct skynet_context *ctx, uint32_t handle) {
	int self = handle == 0 || handle == ctx->handle;
	if (handle == 0)
		handle = ctx->handle;
	if (!skynet_handle_retire(handle))
		return 0;
	if (self)
		skynet_error(ctx, "KILL self");
	else
		skynet_error(ctx, "KILL :%0x", handle);
	if (G_NODE.monitor_exit)
		skynet_send(ctx, handle, G_NODE.monitor_exit, PTYPE_CLIENT, 0, NULL, 0);
	return 1;
}

/* param: ":hex", a ".name", or the handle in decimal (what skynet.core's
 * command makes of an integer: killing by number makes no string); 0 when
 * there is no such service */
static uint32_t tohandle(struct skynet_context *ctx, const char *param) {
	if (param == NULL || param[0] == '\0')
		return 0;
	if (param[0] >= '0' && param[0] <= '9') {
		char *end;
		unsigned long handle = strtoul(param, &end, 10);
		return *end == '\0' && handle <= UINT32_MAX ? (uint32_t)handle : 0;
	}
	return skynet_queryname(ctx, param);
}

/* param: centiseconds; beyond what the timer holds (2^31 - 1) it waits
 * that long, 0 or less fires at once (as skynet.timeout does) */
static const char *cmd_timeout(struct skynet_context *ctx, const char *param) {
	long long ticks = param ? strtoll(param, NULL, 10) : 0;
	int ti = ticks > INT_MAX ? INT_MAX : ticks < 0 ? 0 : (int)ticks;
	int session = skynet_context_newsession(ctx);
	skynet_timeout(ctx->handle, ti, session);
	snprintf(ctx->result, sizeof(ctx->result), "%d", session);
	return ctx->result;
}

static const char *cmd_reg(struct skynet_context *ctx, const char *param) {
	if (param == NULL || param[0] == '\0') {
		snprintf(ctx->result, sizeof(ctx->result), ":%x", ctx->handle);
		return ctx->result;
	}
	return skynet_handle_namehandle(ctx->handle, param);
}

static const char *cmd_query(struct skynet_context *ctx, const char *param) {
	uint32_t handle = skynet_handle_findname(param);
	if (handle == 0)
		return NULL;
	snprintf(ctx->result, sizeof(ctx->result), ":%x", handle);
	return ctx->result;
}

static const char *cmd_name(struct skynet_context *ctx, const char *param) {
	char name[128];
	char handle_str[32];
	if (sscanf(param, "%127s %31s", name, handle_str) != 2)
		return NULL;
	uint32_t handle = skynet_handle_parse(handle_str);
	if (handle == 0)
		return NULL;
	(void)ctx;
	return skynet_handle_namehandle(handle, name);
}

/* param "error": the service failed to start; if it is the bootstrap,
 * the node cannot run */
static const char *cmd_exit(struct skynet_context *ctx, const char *param) {
	if (strcmp(param, "error") == 0 && ctx->handle == G_NODE.bootstrap)
		skynet_node_abort(1);
	handle_exit(ctx, 0);
	return NULL;
}

/* the killed service's ":handle", or NULL when there was none */
static const char *cmd_kill(struct skynet_context *ctx, const char *param) {
	uint32_t handle = tohandle(ctx, param);
	if (handle == 0 || !handle_exit(ctx, handle))
		return NULL;
	snprintf(ctx->result, sizeof(ctx->result), ":%x", handle);
	return ctx->result;
}

/* param "MODULE ARGS"; the copy is on the heap: ARGS can be megabytes */
static const char *cmd_launch(struct skynet_context *ctx, const char *param) {
	char *line = skynet_strdup(param);
	char *args = line;
	char *mod = strsep(&args, " \t\r\n");
	while (args && (*args == ' ' || *args == '\t'))
		args++;
	struct skynet_context *inst = skynet_context_new(mod, args);
	skynet_free(line);
	if (inst == NULL)
		return NULL;
	snprintf(ctx->result, sizeof(ctx->result), ":%x", inst->handle);
	skynet_context_release(inst);
	return ctx->result;
}

static const char *cmd_getenv(struct skynet_context *ctx, const char *param) {
	(void)ctx;
	return skynet_getenv(param);
}

static const char *cmd_setenv(struct skynet_context *ctx, const char *param) {
	(void)ctx;
	const char *space = strchr(param, ' ');
	if (space == NULL)
		return NULL;
	size_t len = (size_t)(space - param);
	char *key = skynet_malloc(len + 1); /* a key can be megabytes */
	memcpy(key, param, len);
	key[len] = '\0';
	skynet_setenv(key, space + 1);
	skynet_free(key);
	return NULL;
}

static const char *cmd_starttime(struct skynet_context *ctx, const char *param) {
	(void)param;
	snprintf(ctx->result, sizeof(ctx->result), "%u", skynet_starttime());
	return ctx->result;
}

/* param: the node's exit status, 0 when empty */
static const char *cmd_abort(struct skynet_context *ctx, const char *param) {
	(void)ctx;
	skynet_node_abort((int)strtol(param, NULL, 10));
	return NULL;
}

static const char *cmd_monitor(struct skynet_context *ctx, const char *param) {
	if (param == NULL || param[0] == '\0') {
		if (G_NODE.monitor_exit) {
			snprintf(ctx->result, sizeof(ctx->result), ":%x", G_NODE.monitor_exit);
			return ctx->result;
		}
		return NULL;
	}
	G_NODE.monitor_exit = tohandle(ctx, param);
	return NULL;
}

static const char *cmd_stat(struct skynet_context *ctx, const char *param) {
	if (strcmp(param, "mqlen") == 0) {
		snprintf(ctx->result, sizeof(ctx->result), "%d", skynet_mq_length(ctx->queue));
	} else if (strcmp(param, "endless") == 0) {
		/* reading the flag clears it, as skynet does */
		bool endless = atomic_exchange(&ctx->endless, false);
		snprintf(ctx->result, sizeof(ctx->result), "%d", endless ? 1 : 0);
	} else if (strcmp(param, "cpu") == 0) {
		/* the running batch counts too */
		uint64_t cost = atomic_load_explicit(&ctx->cpu_cost, memory_order_relaxed);
		if (ctx->profile && ctx->cpu_start)
			cost += skynet_monotonic_usec() - ctx->cpu_start;
		snprintf(ctx->result, sizeof(ctx->result), "%d.%06d", (int)(cost / 1000000), (int)(cost % 1000000));
	} else if (strcmp(param, "time") == 0) {
		/* time since the running batch began (skynet: since the running
		 * message began); with several messages in a batch, it includes the
		 * ones dispatched before this one */
		uint64_t ti = ctx->profile && ctx->cpu_start ? skynet_monotonic_usec() - ctx->cpu_start : 0;
		snprintf(ctx->result, sizeof(ctx->result), "%d.%06d", (int)(ti / 1000000), (int)(ti % 1000000));
	} else if (strcmp(param, "message") == 0) {
		snprintf(ctx->result, sizeof(ctx->result), "%d", ctx->message_count);
	} else {
		ctx->result[0] = '\0';
	}
	return ctx->result;
}

/* LOGON, LOGOFF and SIGNAL act on another service: param's first word
 * names it (":hex" or ".name") */
static struct skynet_context *grab_target(struct skynet_context *ctx, const char *param) {
	char target[128];
	if (param == NULL || sscanf(param, "%127s", target) != 1)
		return NULL;
	uint32_t handle = tohandle(ctx, target);
	return handle ? skynet_handle_grab(handle) : NULL;
}

static const char *cmd_logon(struct skynet_context *ctx, const char *param) {
	struct skynet_context *target = grab_target(ctx, param);
	if (target == NULL)
		return NULL;
	if (atomic_load(&target->logfile) == NULL) {
		FILE *f = skynet_log_open(ctx, target->handle);
		FILE *expected = NULL;
		if (f && !atomic_compare_exchange_strong(&target->logfile, &expected, f))
			fclose(f); /* logged on by someone else meanwhile */
	}
	skynet_context_release(target);
	return NULL;
}

static const char *cmd_logoff(struct skynet_context *ctx, const char *param) {
	struct skynet_context *target = grab_target(ctx, param);
	if (target == NULL)
		return NULL;
	FILE *f = atomic_exchange(&target->logfile, NULL);
	if (f)
		skynet_log_close(ctx, f, target->handle);
	skynet_context_release(target);
	return NULL;
}

/* param "ADDRESS SIGNAL" */
static const char *cmd_signal(struct skynet_context *ctx, const char *param) {
	struct skynet_context *target = grab_target(ctx, param);
	if (target == NULL)
		return NULL;
	const char *space = strchr(param, ' ');
	int sig = space ? (int)strtol(space + 1, NULL, 0) : 0;
	skynet_module_instance_signal(target->mod, target->instance, sig);
	skynet_context_release(target);
	return NULL;
}

struct command_func {
	const char *name;
	const char *(*func)(struct skynet_context *ctx, const char *param);
};

static const struct command_func cmd_funcs[] = {
	{ "TIMEOUT", cmd_timeout },
	{ "REG", cmd_reg },
	{ "QUERY", cmd_query },
	{ "NAME", cmd_name },
	{ "EXIT", cmd_exit },
	{ "KILL", cmd_kill },
	{ "LAUNCH", cmd_launch },
	{ "GETENV", cmd_getenv },
	{ "SETENV", cmd_setenv },
	{ "STARTTIME", cmd_starttime },
	{ "ABORT", cmd_abort },
	{ "MONITOR", cmd_monitor },
	{ "STAT", cmd_stat },
	{ "LOGON", cmd_logon },
	{ "LOGOFF", cmd_logoff },
	{ "SIGNAL", cmd_signal },
	{ NULL, NULL },
};

const char *skynet_command(struct skynet_context *ctx, const char *cmd, const char *param) {
	if (param == NULL)
		param = "";
	for (const struct command_func *method = cmd_funcs; method->name; method++)
		if (strcmp(cmd, method->name) == 0)
			return method->func(ctx, param);
	return NULL;
}

/* applies the PTYPE_TAG_* bits: copies the payload and allocates the session */
static void filter_args(struct skynet_context *ctx, int type, int *session, void **data, size_t *sz) {
	int needcopy = !(type & PTYPE_TAG_DONTCOPY);
	int allocsession = type & PTYPE_TAG_ALLOCSESSION;
	type &= 0xff;
	if (allocsession) {
		assert(*session == 0);
		*session = skynet_context_newsession(ctx);
	}
	if (needcopy && *data) {
		char *msg = skynet_malloc(*sz + 1);
		memcpy(msg, *data, *sz);
		msg[*sz] = '\0';
		*data = msg;
	}
	*sz |= (size_t)type << MESSAGE_TYPE_SHIFT;
}

/* to a handle of another harbor, or (handle 0) to a global name: through
 * the harbor service; sz carries the type (filter_args) */
static int send_remote(struct skynet_context *ctx, uint32_t source, uint32_t handle,
	const char *name, int session, void *data, size_t sz) {
	struct remote_message *rmsg = skynet_malloc(sizeof(*rmsg));
	memset(&rmsg->destination, 0, sizeof(rmsg->destination));
	rmsg->destination.handle = handle;
	if (name)
		memcpy(rmsg->destination.name, name, strlen(name));
	rmsg->message = data;
	rmsg->sz = sz & MESSAGE_TYPE_MASK;
	rmsg->type = (int)(sz >> MESSAGE_TYPE_SHIFT);
	if (skynet_harbor_send(rmsg, source, session)) {
		skynet_error(ctx, "error: no harbor service to reach %s", name ? name : "another harbor");
		return -1;
	}
	return session;
}

int skynet_send(struct skynet_context *ctx, uint32_t source, uint32_t destination,
	int type, int session, void *data, size_t sz) {
	if ((sz & MESSAGE_TYPE_MASK) != sz) {
		skynet_error(ctx, "error: the message to %x is too large", destination);
		if (type & PTYPE_TAG_DONTCOPY)
			skynet_free(data);
		return -2;
	}
	filter_args(ctx, type, &session, &data, &sz);
	if (source == 0)
		source = ctx->handle;
	if (destination == 0) {
		if (data) {
			skynet_error(ctx, "error: destination address can't be 0");
			skynet_free(data);
			return -1;
		}
		return session;
	}
	if (skynet_harbor_message_isremote(destination))
		return send_remote(ctx, source, destination, NULL, session, data, sz);
	struct skynet_message smsg = { source, session, data, sz };
	if (skynet_context_push(destination, &smsg)) {
		skynet_free(data);
		return -1;
	}
	return session;
}

int skynet_sendname(struct skynet_context *ctx, uint32_t source, const char *addr,
	int type, int session, void *data, size_t sz) {
	if (source == 0)
		source = ctx->handle;
	uint32_t des = skynet_queryname(ctx, addr);
	if (des != 0)
		return skynet_send(ctx, source, des, type, session, data, sz);
	/* a global name: the harbor service knows it, or learns it */
	if (addr[0] == '.' || addr[0] == ':' || !skynet_harbor_service()) {
		if (type & PTYPE_TAG_DONTCOPY)
			skynet_free(data);
		return -1;
	}
	if (strlen(addr) >= GLOBALNAME_LENGTH) {
		skynet_error(ctx, "error: global name %s is longer than %d bytes", addr, GLOBALNAME_LENGTH - 1);
		if (type & PTYPE_TAG_DONTCOPY)
			skynet_free(data);
		return -1;
	}
	filter_args(ctx, type, &session, &data, &sz);
	return send_remote(ctx, source, 0, addr, session, data, sz);
}

uint32_t skynet_context_handle(struct skynet_context *ctx) {
	return ctx->handle;
}

void skynet_callback(struct skynet_context *ctx, void *ud, skynet_cb cb) {
	ctx->cb = cb;
	ctx->cb_ud = ud;
}

bool skynet_context_reads_held(uint32_t handle, int limit) {
	struct skynet_context *ctx = skynet_handle_grab(handle);
	if (ctx == NULL)
		return false;
	bool held = skynet_mq_length(ctx->queue) > limit;
	/* its sockets may hold at different limits: the worker wakes the
	 * socket thread at the highest, which asks each socket again */
	int at = atomic_load_explicit(&ctx->wake_reads_at, memory_order_relaxed);
	while (held && at < limit && !atomic_compare_exchange_weak(&ctx->wake_reads_at, &at, limit))
		;
	skynet_context_release(ctx);
	return held;
}

int skynet_context_mqlen(uint32_t handle) {
	struct skynet_context *ctx = skynet_handle_grab(handle);
	if (ctx == NULL)
		return -1;
	int len = skynet_mq_length(ctx->queue);
	skynet_context_release(ctx);
	return len;
}

void skynet_node_abort(int status) {
	if (status)
		atomic_store(&G_NODE.exit_status, status);
	atomic_store(&G_NODE.aborting, 1);
}

int skynet_node_aborting(void) {
	return atomic_load(&G_NODE.aborting);
}

int skynet_node_exit_status(void) {
	return atomic_load(&G_NODE.exit_status);
}

void skynet_node_set_bootstrap(uint32_t handle) {
	G_NODE.bootstrap = handle;
}

void skynet_globalinit(void) {
	atomic_init(&G_NODE.total, 0);
	G_NODE.monitor_exit = 0;
	G_NODE.init = 1;
	if (pthread_key_create(&G_NODE.handle_key, NULL)) {
		fprintf(stderr, "error: pthread_key_create failed\n");
		exit(1);
	}
	skynet_initthread(-1);
}

void skynet_globalexit(void) {
	pthread_key_delete(G_NODE.handle_key);
}

void skynet_profile_enable(int enable) {
	G_NODE.profile = (bool)enable;
}
