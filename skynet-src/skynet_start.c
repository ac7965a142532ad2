/*
 * The threads of a node: N workers, the timer, the socket thread and the
 * monitor.  Also the signals: SIGHUP reopens the log file, SIGTERM and
 * SIGINT shut the node down like skynet.abort().
 */
#include "skynet.h"
#include "skynet_daemon.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_imp.h"
#include "skynet_module.h"
#include "skynet_monitor.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_socket.h"
#include "skynet_timer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TIMER_SLEEP_US 2500
#define SPIN_US 50
#define ENDLESS_INTERRUPT_DEFAULT 60 /* seconds; a long start function still finishes */
#define SHUTDOWN_TIMEOUT_DEFAULT 10  /* seconds */

/*
 * The worker pool, shared by every thread of the node: the workers' sleep
 * and wake state, their endless-loop monitors and the quit flag.
 * Sleeping workers wait on the semaphore wake.  sleep counts the sleepers
 * nobody has woken yet: a waker takes one out of the count before posting,
 * so a burst of socket messages wakes one worker, not one per message.
 */
struct workers {
	int count;
	struct skynet_monitor **monitors; /* one per worker */
	sem_t wake;
	atomic_int sleep;
	atomic_int spinning; /* 1 while a worker watches for work, see spin_for_work */
	atomic_int quit;
	int endless_interrupt; /* config endless_interrupt: seconds, 0 = report only */
	int shutdown_timeout;  /* config shutdown_timeout: seconds */
};

struct worker_parm {
	struct workers *pool;
	int id;
	int weight;
};

/*
 * Set by the handlers (on whichever thread takes the signal), read by the
 * timer thread: lock-free atomics, since volatile sig_atomic_t is only safe
 * within one thread.
 */
static atomic_int SIG_HUP;
static atomic_int SIG_TERM;

static void handle_hup(int signal) {
	(void)signal;
	atomic_store(&SIG_HUP, 1);
}

static void handle_term(int signal) {
	(void)signal;
	atomic_store(&SIG_TERM, 1);
}

/* wakes a sleeping worker when fewer than count - busy are awake */
static void wakeup(struct workers *w, int busy) {
	int asleep = atomic_load_explicit(&w->sleep, memory_order_relaxed);
	while (asleep > 0 && asleep >= w->count - busy) {
		if (atomic_compare_exchange_weak(&w->sleep, &asleep, asleep - 1)) {
			sem_post(&w->wake);
			return;
		}
	}
}

/*
 * A worker that found nothing to do waits for the timer or socket thread.
 * Work pushed between its last look and its announcement would otherwise
 * wait for the timer's next tick (the pusher saw no sleeper to wake), so it
 * looks again after announcing and takes itself out of the count if there
 * is work.  When a waker took it out first, the waker's post is consumed.
 */
static void sleep_until_woken(struct workers *w) {
	atomic_fetch_add(&w->sleep, 1);
	if (!skynet_globalmq_empty()) {
		int asleep = atomic_load(&w->sleep);
		while (asleep > 0)
			if (atomic_compare_exchange_weak(&w->sleep, &asleep, asleep - 1))
				return;
	}
	while (sem_wait(&w->wake) && errno == EINTR)
		;
}

/*
 * The last worker awake watches the global queue for SPIN_US before it
 * sleeps too.  Under steady traffic from the socket or timer thread the
 * next message comes within microseconds: catching it here saves the
 * worker's sleep, the waker's system call and the latency of waking an
 * idle CPU.  While another worker runs, that one takes what it queues
 * (services talking to each other stay on one warm CPU) and this one
 * sleeps at once.  It yields between looks: the socket thread, which does
 * not preempt it (SCHED_BATCH), may be the one that brings the work.
 */
static int spin_for_work(struct workers *w) {
	int idle = 0;
	if (atomic_load(&w->sleep) < w->count - 1)
		return 0;
	if (!atomic_compare_exchange_strong(&w->spinning, &idle, 1))
		return 0;
	uint64_t deadline = skynet_monotonic_usec() + SPIN_US;
	int found;
	do {
		sched_yield();
		found = !skynet_globalmq_empty();
	} while (!found && skynet_monotonic_usec() < deadline);
	atomic_store(&w->spinning, 0);
	return found;
}

/* the name top -H, ps -L and /proc/PID/task/TID/comm show (15 chars at most) */
static void name_thread(const char *name) {
	pthread_setname_np(pthread_self(), name);
}

static void create_thread(pthread_t *thread, void *(*start_routine)(void *), void *arg) {
	if (pthread_create(thread, NULL, start_routine, arg)) {
		fprintf(stderr, "error: cannot create a thread\n");
		exit(1);
	}
}

static int node_finished(void) {
	return skynet_context_total() == 0;
}

/*
 * The socket thread runs under SCHED_BATCH: its wakeups (a peer's bytes
 * arriving) do not preempt a busy worker, they wait for a free CPU or the
 * end of the worker's slice, and the thread then reads every socket that
 * became ready meanwhile in one pass.  Under load this halves its sleeps
 * and context switches, which dominate the cost of small messages; an idle
 * CPU still takes the wakeup at once.
 */
static void batch_scheduling(void) {
#ifdef SCHED_BATCH
	struct sched_param param = { .sched_priority = 0 };
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
#endif
}

static void *thread_socket(void *p) {
	struct workers *w = p;
	skynet_initthread(THREAD_SOCKET);
	name_thread("socket");
	batch_scheduling();
	for (;;) {
		int r = skynet_socket_poll();
		if (r == 0)
			break;
		if (r < 0) {
			if (node_finished())
				break;
			continue;
		}
		wakeup(w, 0);
	}
	return NULL;
}

static void free_workers(struct workers *w) {
	for (int i = 0; i < w->count; i++)
		skynet_monitor_delete(w->monitors[i]);
	sem_destroy(&w->wake);
	skynet_free(w->monitors);
	skynet_free(w);
}

static void *thread_monitor(void *p) {
	struct workers *w = p;
	skynet_initthread(THREAD_MONITOR);
	name_thread("monitor");
	for (;;) {
		for (int i = 0; i < w->count; i++)
			skynet_monitor_check(w->monitors[i], w->endless_interrupt);
		for (int i = 0; i < 10; i++) {
			if (node_finished() || atomic_load(&w->quit))
				return NULL;
			usleep(100000);
		}
	}
}

static void signal_hup(void) {
	uint32_t logger = skynet_handle_findname(".logger");
	if (logger) {
		struct skynet_message smsg = { 0, 0, NULL, (size_t)PTYPE_SYSTEM << MESSAGE_TYPE_SHIFT };
		skynet_context_push(logger, &smsg);
	}
}

/*
 * Shutting down: every service but the logger goes first; the logger goes
 * once its queue is empty, so nothing logged before the end is lost.
 */
static void shutdown_step(void) {
	uint32_t logger = skynet_handle_findname(".logger");
	if (skynet_context_total() > (logger ? 1 : 0))
		skynet_handle_retireall(logger);
	else if (logger == 0 || skynet_context_mqlen(logger) <= 0)
		skynet_handle_retireall(0);
}

/*
 * A shutdown that cannot finish: a worker is stuck in a message that
 * ignores interrupts (a C call that blocks, a loop under pcall).  The
 * stuck services are logged, the logger gets a moment to write it all,
 * and the process ends with status 1 without waiting for them.
 */
static void shutdown_abandon(struct workers *w) {
	char lines[1024] = "";
	size_t used = 0;
	for (int i = 0; i < w->count; i++) {
		uint32_t handle = skynet_monitor_interrupt(w->monitors[i]);
		if (handle == 0)
			continue;
		skynet_error(NULL, "error: shutdown: [ :%08x ] did not finish within %d s (shutdown_timeout)",
			handle, w->shutdown_timeout);
		if (used < sizeof(lines))
			used += snprintf(lines + used, sizeof(lines) - used, " :%08x", handle);
	}
	uint32_t logger = skynet_handle_findname(".logger");
	for (int i = 0; i < 100 && logger && skynet_context_mqlen(logger) > 0; i++) {
		wakeup(w, w->count - 1); /* this thread is the one that wakes workers */
		usleep(10000);
	}
	if (logger && skynet_context_mqlen(logger) > 0)
		fprintf(stderr, "error: shutdown: services did not finish within %d s:%s\n", w->shutdown_timeout, lines);
	fflush(NULL);
	const char *pidfile = skynet_getenv("daemon");
	if (pidfile)
		daemon_exit(pidfile);
	_exit(1);
}

/*
 * Once the node is aborting: what still runs after a second is interrupted,
 * and again every second (a service stuck in `while true do end` would
 * keep its worker forever); the shutdown is abandoned after
 * shutdown_timeout.
 */
static void shutdown_watch(struct workers *w) {
	static uint64_t started, last_interrupt;
	uint64_t now = skynet_now();
	if (started == 0)
		started = last_interrupt = now;
	if (now - last_interrupt >= 100) {
		last_interrupt = now;
		for (int i = 0; i < w->count; i++)
			skynet_monitor_interrupt(w->monitors[i]);
	}
	if (now - started >= (uint64_t)w->shutdown_timeout * 100)
		shutdown_abandon(w);
}

static void *thread_timer(void *p) {
	struct workers *w = p;
	skynet_initthread(THREAD_TIMER);
	name_thread("timer");
	unsigned ticks = 0;
	for (;;) {
		skynet_updatetime();
		if (atomic_load(&SIG_TERM))
			skynet_node_abort(0);
		if (skynet_node_aborting()) {
			shutdown_step();
			if (!node_finished())
				shutdown_watch(w);
		}
		if (node_finished())
			break;
		/* timeouts queued, or work a busy worker has not reached */
		if (!skynet_globalmq_empty())
			wakeup(w, w->count - 1);
		usleep(TIMER_SLEEP_US);
		if (atomic_exchange(&SIG_HUP, 0))
			signal_hup();
		if (++ticks % (1000000 / TIMER_SLEEP_US) == 0)
			skynet_malloc_decay();
	}
	skynet_socket_exit();
	atomic_store(&w->quit, 1);
	/* one token each: a worker takes at most one more before it sees quit */
	for (int i = 0; i < w->count; i++)
		sem_post(&w->wake);
	return NULL;
}

static void *thread_worker(void *p) {
	struct worker_parm *wp = p;
	struct workers *w = wp->pool;
	struct skynet_monitor *sm = w->monitors[wp->id];
	skynet_initthread(THREAD_WORKER);
	char name[16];
	snprintf(name, sizeof(name), "worker %d", wp->id);
	name_thread(name);
	struct message_queue *q = NULL;
	while (!atomic_load(&w->quit)) {
		q = skynet_context_message_dispatch(sm, q, wp->weight);
		if (q == NULL && !spin_for_work(w))
			sleep_until_woken(w);
	}
	/* the queue this worker held goes back, for skynet_mq_exit to free */
	if (q)
		skynet_globalmq_push(q);
	return NULL;
}

/*
 * Worker weights: -1 takes one message per turn (latency); w >= 0 takes
 * the queue length >> w in one go (throughput).
 */
static int worker_weight(int i) {
	static const int weights[] = { -1, 0, -1, 1, -1, 0, 1, 2, 0, 1, 2, 3 };
	int n = (int)(sizeof(weights) / sizeof(weights[0]));
	return i < n ? weights[i] : 3;
}

/* a config key in whole seconds >= 0, or fallback when unset or invalid */
static int config_seconds(const char *key, int fallback) {
	const char *value = skynet_getenv(key);
	if (value == NULL)
		return fallback;
	char *end;
	long n = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || n < 0 || n > 86400 * 365) {
		skynet_error(NULL, "error: config %s = \"%s\" is not a number of seconds; using %d", key, value, fallback);
		return fallback;
	}
	return (int)n;
}

static void start_threads(int thread) {
	pthread_t *pid = skynet_malloc((thread + 3) * sizeof(*pid));
	struct workers *w = skynet_calloc(1, sizeof(*w));
	w->count = thread;
	w->endless_interrupt = config_seconds("endless_interrupt", ENDLESS_INTERRUPT_DEFAULT);
	w->shutdown_timeout = config_seconds("shutdown_timeout", SHUTDOWN_TIMEOUT_DEFAULT);
	atomic_init(&w->sleep, 0);
	atomic_init(&w->spinning, 0);
	w->monitors = skynet_malloc(thread * sizeof(struct skynet_monitor *));
	for (int i = 0; i < thread; i++)
		w->monitors[i] = skynet_monitor_new();
	sem_init(&w->wake, 0, 0);

	create_thread(&pid[0], thread_monitor, w);
	create_thread(&pid[1], thread_timer, w);
	create_thread(&pid[2], thread_socket, w);
	struct worker_parm *wp = skynet_malloc(thread * sizeof(*wp));
	for (int i = 0; i < thread; i++) {
		wp[i].pool = w;
		wp[i].id = i;
		wp[i].weight = worker_weight(i);
		create_thread(&pid[i + 3], thread_worker, &wp[i]);
	}
	for (int i = 0; i < thread + 3; i++)
		pthread_join(pid[i], NULL);
	skynet_free(wp);
	skynet_free(pid);
	free_workers(w);
}

/* launches "NAME ARGS" as the bootstrap service; 0 on failure */
static int bootstrap(const char *cmdline) {
	/* on the heap: the config can make the line as long as it likes */
	char *line = skynet_strdup(cmdline);
	char *args = line + strspn(line, " \t\r\n");
	char *name = strsep(&args, " \t\r\n");
	if (*name == '\0') {
		skynet_free(line);
		skynet_error(NULL, "error: invalid bootstrap \"%s\"", cmdline);
		return 0;
	}
	if (args) {
		args += strspn(args, " \t\r\n");
		args[strcspn(args, "\n")] = '\0';
	}
	struct skynet_context *ctx = skynet_context_new(name, args ? args : "");
	skynet_free(line);
	if (ctx == NULL)
		return 0; /* the module loader or the service said why */
	skynet_node_set_bootstrap(skynet_context_handle(ctx));
	skynet_context_release(ctx);
	return 1;
}

static void install_signals(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = handle_hup;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = handle_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int skynet_start(struct skynet_config *config) {
	install_signals();
	if (config->daemon && daemon_init(config->daemon))
		return 1;
	skynet_harbor_init(config->harbor);
	skynet_handle_init(config->harbor);
	skynet_mq_init();
	skynet_module_init(config->module_path);
	skynet_timer_init();
	skynet_socket_init();
	skynet_profile_enable(config->profile);

	int status = 0;
	struct skynet_context *ctx = skynet_context_new(config->logservice, config->logger);
	if (ctx == NULL) {
		status = 1; /* the module loader or the logger said why */
	} else {
		skynet_handle_namehandle(skynet_context_handle(ctx), ".logger");
		/* the registry keeps the logger alive; no worker runs yet to retire it */
		skynet_context_release(ctx);
		if (bootstrap(config->bootstrap)) {
			start_threads(config->thread);
			status = skynet_node_exit_status();
		} else {
			skynet_context_dispatchall(ctx);
			skynet_handle_retireall(0);
			status = 1;
		}
	}
	skynet_mq_exit();
	skynet_timer_exit();
	skynet_socket_free();
	skynet_module_exit();
	if (config->daemon)
		daemon_exit(config->daemon);
	return status;
}
