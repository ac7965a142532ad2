/*
 * Message queues: one growable ring per service, and the global queue, a
 * FIFO list of the service queues that have messages.  A service queue is
 * in the global queue at most once (in_global).
 */
#include "skynet_mq.h"
#include "skynet.h"
#include "skynet_handle.h"
#include "spinlock.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#define DEFAULT_QUEUE_SIZE 16
#define OVERLOAD_THRESHOLD 1024

struct message_queue {
	struct spinlock lock;
	uint32_t handle;
	int cap;
	int head;
	int tail;
	bool release;
	bool in_global;
	int overload;
	int overload_threshold;
	struct skynet_message *queue;
	struct message_queue *next;
};

struct global_queue {
	struct message_queue *head;
	struct message_queue *tail;
	struct spinlock lock;
};

static struct global_queue Q;

void skynet_globalmq_push(struct message_queue *queue) {
	spinlock_lock(&Q.lock);
	assert(queue->next == NULL);
	if (Q.tail) {
		Q.tail->next = queue;
		Q.tail = queue;
	} else {
		Q.head = Q.tail = queue;
	}
	spinlock_unlock(&Q.lock);
}

struct message_queue *skynet_globalmq_pop(void) {
	spinlock_lock(&Q.lock);
	struct message_queue *mq = Q.head;
	if (mq) {
		Q.head = mq->next;
		if (Q.head == NULL)
			Q.tail = NULL;
		mq->next = NULL;
	}
	spinlock_unlock(&Q.lock);
	return mq;
}

/*
 * Taking the lock (not a bare read) orders this check with a concurrent
 * push: a worker that announced it sleeps and then finds the queue empty
 * is seen as asleep by the pusher's wakeup.
 */
int skynet_globalmq_empty(void) {
	spinlock_lock(&Q.lock);
	int empty = Q.head == NULL;
	spinlock_unlock(&Q.lock);
	return empty;
}

struct message_queue *skynet_mq_create(uint32_t handle) {
	struct message_queue *q = skynet_malloc(sizeof(*q));
	q->handle = handle;
	q->cap = DEFAULT_QUEUE_SIZE;
	q->head = q->tail = 0;
	spinlock_init(&q->lock);
	/* a new queue counts as in the global queue until the service is ready,
	 * so that nothing dispatches messages sent during its init */
	q->in_global = true;
	q->release = false;
	q->overload = 0;
	q->overload_threshold = OVERLOAD_THRESHOLD;
	q->queue = skynet_malloc(sizeof(struct skynet_message) * q->cap);
	q->next = NULL;
	return q;
}

uint32_t skynet_mq_handle(struct message_queue *q) {
	return q->handle;
}

void skynet_mq_set_handle(struct message_queue *q, uint32_t handle) {
	q->handle = handle;
}

int skynet_mq_length(struct message_queue *q) {
	spinlock_lock(&q->lock);
	int len = q->tail - q->head;
	if (len < 0)
		len += q->cap;
	spinlock_unlock(&q->lock);
	return len;
}

int skynet_mq_overload(struct message_queue *q) {
	int overload = q->overload;
	if (overload) {
		q->overload = 0;
		return overload;
	}
	return 0;
}

int skynet_mq_pop(struct message_queue *q, struct skynet_message *message) {
	int ret = 1;
	spinlock_lock(&q->lock);
	if (q->head != q->tail) {
		*message = q->queue[q->head++];
		ret = 0;
		int len = q->tail - q->head;
		if (q->head >= q->cap)
			q->head = 0;
		if (len < 0)
			len += q->cap;
		/* the warning threshold doubles each time it is crossed */
		while (len > q->overload_threshold) {
			q->overload = len;
			q->overload_threshold *= 2;
		}
	} else {
		q->overload_threshold = OVERLOAD_THRESHOLD;
	}
	if (ret)
		q->in_global = false;
	spinlock_unlock(&q->lock);
	return ret;
}

static void expand_queue(struct message_queue *q) {
	struct skynet_message *bigger = skynet_malloc(sizeof(struct skynet_message) * q->cap * 2);
	for (int i = 0; i < q->cap; i++)
		bigger[i] = q->queue[(q->head + i) % q->cap];
	q->head = 0;
	q->tail = q->cap;
	q->cap *= 2;
	skynet_free(q->queue);
	q->queue = bigger;
}

void skynet_mq_push(struct message_queue *q, struct skynet_message *message) {
	bool schedule = false;
	spinlock_lock(&q->lock);
	q->queue[q->tail] = *message;
	if (++q->tail >= q->cap)
		q->tail = 0;
	if (q->head == q->tail)
		expand_queue(q);
	if (!q->in_global) {
		q->in_global = true;
		schedule = true;
	}
	spinlock_unlock(&q->lock);
	if (schedule)
		skynet_globalmq_push(q);
}

void skynet_mq_init(void) {
	memset(&Q, 0, sizeof(Q));
	spinlock_init(&Q.lock);
}

/* The service is gone: the queue is scheduled once more so that a worker
 * finds it released and drops what is left. */
void skynet_mq_mark_release(struct message_queue *q) {
	bool schedule;
	spinlock_lock(&q->lock);
	assert(!q->release);
	q->release = true;
	schedule = !q->in_global;
	q->in_global = true;
	spinlock_unlock(&q->lock);
	if (schedule)
		skynet_globalmq_push(q);
}

static void drop_queue(struct message_queue *q, message_drop drop_func, void *ud) {
	struct skynet_message msg;
	while (!skynet_mq_pop(q, &msg))
		drop_func(&msg, ud);
	skynet_free(q->queue);
	skynet_free(q);
}

void skynet_mq_release(struct message_queue *q, message_drop drop_func, void *ud) {
	spinlock_lock(&q->lock);
	bool release = q->release;
	spinlock_unlock(&q->lock);
	if (release)
		drop_queue(q, drop_func, ud);
	else
		skynet_globalmq_push(q);
}

static void free_message(struct skynet_message *msg, void *ud) {
	(void)ud;
	skynet_free(msg->data);
}

/* after the workers stopped: the queues of released services that no
 * worker took out of the global queue, with what is left in them */
void skynet_mq_exit(void) {
	struct message_queue *q;
	while ((q = skynet_globalmq_pop()) != NULL) {
		if (q->release) /* else a live context still owns it */
			drop_queue(q, free_message, NULL);
	}
}
