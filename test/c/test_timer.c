/*
 * Unit tests for the timer (skynet_timer.c) driven by hand, as the timer
 * thread would: timeouts arrive in the service's queue as PTYPE_RESPONSE
 * messages with their session, never early, promptly, in deadline order
 * (insertion order for equal deadlines), also past the near wheel (a
 * cascade from the outer level); time 0 posts at once; the clocks move.
 */
#include "core_fixture.h"

#include <stdlib.h>
#include <time.h>

#define TIMERS 3000
#define LONGEST 300 /* ticks: past the 256-tick near wheel */

struct arrival {
	int session;
	uint64_t at;      /* when it was collected */
	uint64_t checked; /* the clock at the update before: it was not due yet, or late */
};

/* takes the queue of handle off the global queue, as a worker would, and
 * leaves the other queues there in their order; NULL when it is not there */
static struct message_queue *take_queue(uint32_t handle) {
	struct message_queue *found = NULL, *first = NULL, *q;
	while ((q = skynet_globalmq_pop()) != NULL) {
		if (skynet_mq_handle(q) == handle) {
			found = q;
			continue;
		}
		skynet_globalmq_push(q);
		if (q == first)
			break;
		if (first == NULL)
			first = q;
	}
	return found;
}

/* collects the timer messages that reached q */
static int collect(struct message_queue *q, struct arrival *out, int n, uint64_t checked) {
	struct skynet_message m;
	while (n < TIMERS && skynet_mq_pop(q, &m) == 0) {
		CHECK((int)(m.sz >> MESSAGE_TYPE_SHIFT) == PTYPE_RESPONSE, "timer messages are responses");
		CHECK(m.source == 0 && m.data == NULL, "timer messages come from nobody and carry nothing");
		out[n].session = m.session;
		out[n].at = skynet_now();
		out[n].checked = checked;
		n++;
	}
	/* an emptied queue is scheduled again by the next push; take it back */
	take_queue(skynet_mq_handle(q));
	return n;
}

static void sleep_ms(int ms) {
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void test_clocks(void) {
	time_t now = time(NULL);
	CHECK(skynet_starttime() <= now && now - skynet_starttime() < 5, "starttime is the start in UTC seconds");
	uint64_t t0 = skynet_now();
	sleep_ms(120);
	skynet_updatetime();
	uint64_t d = skynet_now() - t0;
	CHECK(d >= 11 && d <= 30, "120 ms is about 12 centiseconds, got %d", (int)d);
	uint64_t c0 = skynet_monotonic_usec();
	for (volatile long i = 0; i < 20000000; i++) {}
	CHECK(skynet_monotonic_usec() > c0, "the monotonic clock advances");
}

static void test_order(void) {
	struct skynet_context *ctx = skynet_context_new("logger", "");
	uint32_t handle = skynet_context_handle(ctx);
	skynet_context_release(ctx); /* the registry keeps it */
	struct message_queue *q = take_queue(handle);
	CHECK(q != NULL, "the service queue");
	static int deadline[TIMERS + 1];
	static struct arrival got[TIMERS];
	srand(7);
	skynet_updatetime();
	uint64_t start = skynet_now();
	for (int s = 1; s <= TIMERS; s++) {
		/* a third share few deadlines so equal deadlines are common */
		int ticks = s % 3 == 0 ? 1 + (s % 5) * 50 : 1 + rand() % LONGEST;
		deadline[s] = (int)start + ticks;
		CHECK(skynet_timeout(handle, ticks, s) == s, "timeout returns its session");
	}
	int n = 0;
	while (n < TIMERS && skynet_now() < start + LONGEST + 100) {
		uint64_t checked = skynet_now();
		sleep_ms(2);
		skynet_updatetime();
		n = collect(q, got, n, checked);
	}
	CHECK(n == TIMERS, "%d of %d timeouts fired", n, TIMERS);
	int early = 0, late = 0, misordered = 0;
	for (int i = 0; i < n; i++) {
		int s = got[i].session;
		if ((int)got[i].at < deadline[s])
			early++;
		/* late: already 5 ticks overdue at the update before the one that
		 * fired it (this loop, descheduled, may make the gap itself) */
		if ((int)got[i].checked > deadline[s] + 5)
			late++;
		if (i > 0) {
			int p = got[i - 1].session;
			if (deadline[s] < deadline[p] || (deadline[s] == deadline[p] && s < p))
				misordered++;
		}
	}
	CHECK(early == 0, "%d timeouts fired before their deadline", early);
	CHECK(late == 0, "%d timeouts fired over 5 ticks late", late);
	CHECK(misordered == 0, "%d timeouts out of deadline (then insertion) order", misordered);

	/* time 0 and negative times post at once */
	CHECK(skynet_timeout(handle, 0, 77) == 77, "timeout 0");
	skynet_timeout(handle, -5, 78);
	struct skynet_message m;
	CHECK(skynet_mq_pop(q, &m) == 0 && m.session == 77, "timeout 0 is posted immediately");
	CHECK(skynet_mq_pop(q, &m) == 0 && m.session == 78, "a negative time is posted immediately");
	CHECK(skynet_mq_pop(q, &m) == 1, "nothing else queued");

	/* a timeout for a service that is gone is dropped quietly */
	skynet_timeout(0x00fffff0, 2, 5);
	CHECK(skynet_timeout(0x00fffff0, 0, 6) == -1, "timeout 0 to nobody fails");
	skynet_handle_retire(handle); /* its queue is idle, so it is scheduled for release */
	skynet_timeout(handle, 1, 9);
	sleep_ms(40);
	skynet_updatetime();
}

int main(void) {
	fixture_init(0);
	test_clocks();
	test_order();
	fixture_exit();
	return check_result("test_timer");
}
