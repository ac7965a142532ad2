/*
 * The timer: a hierarchical timing wheel ticking every 1/100 s.  The near
 * wheel has 256 slots for the next 256 ticks; four outer levels of 64 slots
 * hold later timers and cascade into the near wheel as time moves on.
 * Timers in one slot keep the order they were added in.
 */
#include "skynet_timer.h"
#include "skynet.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "spinlock.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define NEAR_SHIFT 8
#define NEAR (1 << NEAR_SHIFT)
#define LEVEL_SHIFT 6
#define LEVEL (1 << LEVEL_SHIFT)
#define NEAR_MASK (NEAR - 1)
#define LEVEL_MASK (LEVEL - 1)

struct timer_event {
	uint32_t handle;
	int session;
};

struct timer_node {
	struct timer_node *next;
	uint32_t expire;
	struct timer_event event;
};

struct link_list {
	struct timer_node head;
	struct timer_node *tail;
};

struct timer {
	struct link_list near[NEAR];
	struct link_list t[4][LEVEL];
	struct spinlock lock;
	uint32_t time;       /* ticks since start, wraps */
	uint32_t starttime;  /* UTC seconds at start */
	_Atomic uint64_t current; /* centiseconds since start; read without the lock */
	uint64_t current_point; /* monotonic centiseconds of the last update */
	struct timer_node *free_nodes; /* recycled nodes: 100k timeouts cost no mallocs */
};

static struct timer *TI = NULL;

static struct timer_node *link_clear(struct link_list *list) {
	struct timer_node *ret = list->head.next;
	list->head.next = NULL;
	list->tail = &list->head;
	return ret;
}

static void link(struct link_list *list, struct timer_node *node) {
	list->tail->next = node;
	list->tail = node;
	node->next = NULL;
}

static void add_node(struct timer *T, struct timer_node *node) {
	uint32_t time = node->expire;
	uint32_t current_time = T->time;
	if ((time | NEAR_MASK) == (current_time | NEAR_MASK)) {
		link(&T->near[time & NEAR_MASK], node);
		return;
	}
	int i;
	uint32_t mask = NEAR << LEVEL_SHIFT;
	for (i = 0; i < 3; i++) {
		if ((time | (mask - 1)) == (current_time | (mask - 1)))
			break;
		mask <<= LEVEL_SHIFT;
	}
	link(&T->t[i][(time >> (NEAR_SHIFT + i * LEVEL_SHIFT)) & LEVEL_MASK], node);
}

static void timer_add(struct timer *T, const struct timer_event *ev, int time) {
	spinlock_lock(&T->lock);
	struct timer_node *node = T->free_nodes;
	if (node)
		T->free_nodes = node->next;
	else
		node = skynet_malloc(sizeof(*node));
	node->event = *ev;
	node->expire = time + T->time;
	add_node(T, node);
	spinlock_unlock(&T->lock);
}

static void move_list(struct timer *T, int level, int idx) {
	struct timer_node *current = link_clear(&T->t[level][idx]);
	while (current) {
		struct timer_node *next = current->next;
		add_node(T, current);
		current = next;
	}
}

/* one tick: cascade the outer level whose slot just came due */
static void timer_shift(struct timer *T) {
	uint32_t ct = ++T->time;
	if (ct == 0) {
		move_list(T, 3, 0);
		return;
	}
	uint32_t time = ct >> NEAR_SHIFT;
	int mask = NEAR;
	int i = 0;
	while ((ct & (mask - 1)) == 0) {
		int idx = time & LEVEL_MASK;
		if (idx != 0) {
			move_list(T, i, idx);
			break;
		}
		mask <<= LEVEL_SHIFT;
		time >>= LEVEL_SHIFT;
		++i;
	}
}

static void dispatch_list(struct timer_node *current) {
	while (current) {
		struct skynet_message message;
		message.source = 0;
		message.session = current->event.session;
		message.data = NULL;
		message.sz = (size_t)PTYPE_RESPONSE << MESSAGE_TYPE_SHIFT;
		skynet_context_push(current->event.handle, &message);
		current = current->next;
	}
}

static void recycle(struct timer *T, struct timer_node *list) {
	while (list) {
		struct timer_node *next = list->next;
		list->next = T->free_nodes;
		T->free_nodes = list;
		list = next;
	}
}

/* fire the near slot of the current tick; pushes happen outside the lock */
static void timer_execute(struct timer *T) {
	int idx = T->time & NEAR_MASK;
	while (T->near[idx].head.next) {
		struct timer_node *current = link_clear(&T->near[idx]);
		spinlock_unlock(&T->lock);
		dispatch_list(current);
		spinlock_lock(&T->lock);
		recycle(T, current);
	}
}

static void timer_update(struct timer *T) {
	spinlock_lock(&T->lock);
	timer_execute(T); /* timers added with time 0 during the last tick */
	timer_shift(T);
	/* skynet_now moves with the wheel, under its lock: a timeout scheduled
	 * at now() + t then fires exactly at tick now() + t, so timeouts fire
	 * in the order of their deadlines */
	atomic_store_explicit(&T->current, atomic_load_explicit(&T->current, memory_order_relaxed) + 1,
		memory_order_relaxed);
	timer_execute(T);
	spinlock_unlock(&T->lock);
}

int skynet_timeout(uint32_t handle, int time, int session) {
	if (time <= 0) {
		struct skynet_message message;
		message.source = 0;
		message.session = session;
		message.data = NULL;
		message.sz = (size_t)PTYPE_RESPONSE << MESSAGE_TYPE_SHIFT;
		if (skynet_context_push(handle, &message))
			return -1;
	} else {
		struct timer_event event = { handle, session };
		timer_add(TI, &event, time);
	}
	return session;
}

static uint64_t monotonic_centisecond(void) {
	struct timespec ti;
	clock_gettime(CLOCK_MONOTONIC, &ti);
	return (uint64_t)ti.tv_sec * 100 + (uint64_t)ti.tv_nsec / 10000000;
}

void skynet_updatetime(void) {
	uint64_t cp = monotonic_centisecond();
	if (cp < TI->current_point) {
		skynet_error(NULL, "time diff error: change from %lu to %lu",
			(unsigned long)cp, (unsigned long)TI->current_point);
		TI->current_point = cp;
	} else if (cp != TI->current_point) {
		uint32_t diff = (uint32_t)(cp - TI->current_point);
		TI->current_point = cp;
		for (uint32_t i = 0; i < diff; i++)
			timer_update(TI);
	}
}

uint32_t skynet_starttime(void) {
	return TI->starttime;
}

uint64_t skynet_now(void) {
	return atomic_load_explicit(&TI->current, memory_order_relaxed);
}

uint64_t skynet_monotonic_usec(void) {
	/* timing dispatch batches with CLOCK_THREAD_CPUTIME_ID would cost a real
	 * system call (1.7 us in a VM, twice per batch); the monotonic clock is
	 * read in user space.  It counts wall time: a worker preempted inside a
	 * batch is charged for the time it waited. */
	struct timespec ti;
	clock_gettime(CLOCK_MONOTONIC, &ti);
	return (uint64_t)ti.tv_sec * 1000000 + (uint64_t)ti.tv_nsec / 1000;
}

static void free_list(struct timer_node *list) {
	while (list) {
		struct timer_node *next = list->next;
		skynet_free(list);
		list = next;
	}
}

void skynet_timer_init(void) {
	struct timer *T = skynet_malloc(sizeof(*T));
	memset(T, 0, sizeof(*T));
	for (int i = 0; i < NEAR; i++)
		link_clear(&T->near[i]);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < LEVEL; j++)
			link_clear(&T->t[i][j]);
	spinlock_init(&T->lock);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	T->starttime = (uint32_t)now.tv_sec;
	atomic_init(&T->current, 0);
	T->current_point = monotonic_centisecond();
	TI = T;
}

void skynet_timer_exit(void) {
	struct timer *T = TI;
	for (int i = 0; i < NEAR; i++)
		free_list(link_clear(&T->near[i]));
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < LEVEL; j++)
			free_list(link_clear(&T->t[i][j]));
	free_list(T->free_nodes);
	skynet_free(T);
	TI = NULL;
}
