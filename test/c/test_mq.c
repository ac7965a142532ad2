/*
 * Unit tests for the message queues (skynet_mq.c): FIFO order across ring
 * growth and wrap-around, the global queue holding a service queue at most
 * once, overload warnings at doubling thresholds, release dropping what is
 * left, and several producer threads against one consumer.
 */
#include "skynet_mq.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static void push(struct message_queue *q, uint32_t source, int session) {
	struct skynet_message m = { source, session, (void *)(intptr_t)session, (size_t)session };
	skynet_mq_push(q, &m);
}

static int global_count(void);

/* acts as a worker: takes the queue off the global queue and pops until it
 * is empty, which leaves it unscheduled */
static int drain(struct message_queue *q) {
	struct skynet_message m;
	int n = 0;
	global_count();
	while (skynet_mq_pop(q, &m) == 0)
		n++;
	return n;
}

static int global_count(void) {
	int n = 0;
	while (skynet_globalmq_pop())
		n++;
	return n;
}

static void count_drop(struct skynet_message *m, void *ud) {
	int *dropped = ud;
	CHECK(m->session == *dropped + 1, "dropped in order: got %d want %d", m->session, *dropped + 1);
	(*dropped)++;
}

static struct message_queue *fresh_queue(uint32_t handle) {
	struct message_queue *q = skynet_mq_create(handle);
	drain(q); /* a new queue is held back until its service is ready */
	global_count();
	return q;
}

static void release(struct message_queue *q) {
	int dropped = 0;
	drain(q);
	skynet_mq_mark_release(q);
	global_count();
	skynet_mq_release(q, count_drop, &dropped);
}

static void test_fifo(void) {
	struct message_queue *q = fresh_queue(7);
	CHECK(skynet_mq_handle(q) == 7, "handle kept");
	struct skynet_message m;
	CHECK(skynet_mq_pop(q, &m) == 1, "empty queue pops nothing");
	/* push more than pop so the ring wraps and grows several times */
	int next_push = 1, next_pop = 1;
	for (int round = 0; round < 400; round++) {
		for (int i = 0; i < 50; i++)
			push(q, 1, next_push++);
		global_count(); /* held by this "worker" */
		for (int i = 0; i < 30; i++) {
			CHECK(skynet_mq_pop(q, &m) == 0, "pop");
			CHECK(m.session == next_pop && m.data == (void *)(intptr_t)next_pop && m.sz == (size_t)next_pop,
				"message %d came out as %d", next_pop, m.session);
			next_pop++;
		}
		CHECK(skynet_mq_length(q) == next_push - next_pop, "length %d want %d",
			skynet_mq_length(q), next_push - next_pop);
	}
	while (skynet_mq_pop(q, &m) == 0) {
		CHECK(m.session == next_pop, "tail message %d came out as %d", next_pop, m.session);
		next_pop++;
	}
	CHECK(next_pop == next_push, "all %d messages came out", next_push - 1);
	CHECK(skynet_mq_length(q) == 0, "empty at the end");
	release(q);
}

static void test_global_once(void) {
	struct message_queue *q = skynet_mq_create(1);
	push(q, 1, 1);
	CHECK(global_count() == 0, "a new queue is not scheduled before its service is ready");
	drain(q);
	push(q, 1, 1);
	push(q, 1, 2);
	push(q, 1, 3);
	CHECK(skynet_globalmq_pop() == q, "a queue with messages is in the global queue");
	CHECK(skynet_globalmq_pop() == NULL, "and only once");
	/* while a worker holds it (popped from global, not empty) pushes do not
	 * schedule it again; once emptied, the next push does */
	push(q, 1, 4);
	CHECK(global_count() == 0, "not rescheduled while it has messages");
	drain(q);
	push(q, 1, 5);
	CHECK(skynet_globalmq_pop() == q, "rescheduled after it was emptied");

	/* the global queue is FIFO over service queues */
	struct message_queue *a = fresh_queue(2), *b = fresh_queue(3);
	push(b, 1, 1);
	push(a, 1, 1);
	push(b, 1, 2);
	CHECK(skynet_globalmq_pop() == b, "first scheduled first");
	CHECK(skynet_globalmq_pop() == a, "second scheduled second");
	CHECK(skynet_globalmq_pop() == NULL, "nothing else");
	/* a queue a worker hands back goes to the end */
	skynet_globalmq_push(b);
	skynet_globalmq_push(a);
	CHECK(skynet_globalmq_pop() == b && skynet_globalmq_pop() == a, "handed-back order");
	release(q);
	release(a);
	release(b);
}

static void test_overload(void) {
	struct message_queue *q = fresh_queue(9);
	struct skynet_message m;
	for (int i = 1; i <= 100; i++)
		push(q, 1, i);
	skynet_mq_pop(q, &m);
	CHECK(skynet_mq_overload(q) == 0, "100 messages are no overload");
	for (int i = 1; i <= 5000; i++)
		push(q, 1, i);
	skynet_mq_pop(q, &m);
	int first = skynet_mq_overload(q);
	CHECK(first >= 5000, "5000 queued messages are an overload (reported %d)", first);
	CHECK(skynet_mq_overload(q) == 0, "a warning is reported once");
	/* growing by less than double the warned length: no new warning */
	for (int i = 1; i <= 1000; i++)
		push(q, 1, i);
	skynet_mq_pop(q, &m);
	CHECK(skynet_mq_overload(q) == 0, "no warning below the doubled threshold");
	for (int i = 1; i <= 20000; i++)
		push(q, 1, i);
	skynet_mq_pop(q, &m);
	int second = skynet_mq_overload(q);
	CHECK(second > first * 2, "a warning past the doubled threshold (reported %d after %d)", second, first);
	/* an emptied queue starts over at the first threshold */
	drain(q);
	for (int i = 1; i <= 5000; i++)
		push(q, 1, i);
	skynet_mq_pop(q, &m);
	CHECK(skynet_mq_overload(q) >= 4999, "the threshold resets when the queue empties");
	release(q);
}

static void test_release(void) {
	struct message_queue *q = fresh_queue(11);
	for (int i = 1; i <= 10; i++)
		push(q, 1, i);
	global_count(); /* a worker holds it */
	skynet_mq_mark_release(q);
	CHECK(global_count() == 0, "a queue held by a worker is not scheduled twice");
	int dropped = 0;
	skynet_mq_release(q, count_drop, &dropped);
	CHECK(dropped == 10, "release drops the %d queued messages (dropped %d)", 10, dropped);

	/* a released queue that was idle is scheduled so a worker drops it */
	q = fresh_queue(12);
	skynet_mq_mark_release(q);
	CHECK(skynet_globalmq_pop() == q, "an idle released queue is scheduled");
	dropped = 0;
	skynet_mq_release(q, count_drop, &dropped);
	CHECK(dropped == 0, "nothing to drop");

	/* release of a queue not marked hands it back to the global queue */
	q = fresh_queue(13);
	push(q, 1, 1);
	global_count();
	skynet_mq_release(q, count_drop, &dropped);
	CHECK(skynet_globalmq_pop() == q, "an unmarked queue goes back to the global queue");
	release(q);
}

#define PRODUCERS 4
#define PER_PRODUCER 200000

struct producer {
	struct message_queue *q;
	uint32_t id;
};

static void *produce(void *ud) {
	struct producer *p = ud;
	for (int i = 1; i <= PER_PRODUCER; i++)
		push(p->q, p->id, i);
	return NULL;
}

static void test_threads(void) {
	struct message_queue *q = fresh_queue(14);
	pthread_t threads[PRODUCERS];
	struct producer producers[PRODUCERS];
	for (int i = 0; i < PRODUCERS; i++) {
		producers[i] = (struct producer){ q, (uint32_t)i };
		pthread_create(&threads[i], NULL, produce, &producers[i]);
	}
	int last[PRODUCERS] = { 0 };
	long received = 0;
	int out_of_order = 0;
	/* the consumer works like a worker thread: it takes the queue from the
	 * global queue, pops until empty, and waits for it to be scheduled again */
	while (received < (long)PRODUCERS * PER_PRODUCER) {
		struct skynet_message m;
		if (skynet_globalmq_pop() != q)
			continue;
		while (skynet_mq_pop(q, &m) == 0) {
			if (m.source >= PRODUCERS || m.session != last[m.source] + 1)
				out_of_order++;
			else
				last[m.source] = m.session;
			received++;
		}
	}
	for (int i = 0; i < PRODUCERS; i++)
		pthread_join(threads[i], NULL);
	global_count();
	CHECK(out_of_order == 0, "%d messages out of order per producer", out_of_order);
	CHECK(skynet_mq_length(q) == 0, "queue empty after all were received");
	release(q);
}

int main(void) {
	skynet_mq_init();
	test_fifo();
	test_global_once();
	test_overload();
	test_release();
	test_threads();
	return check_result("test_mq");
}
