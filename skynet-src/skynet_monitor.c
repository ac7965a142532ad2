/*
 * Endless-loop detection: each worker bumps a version per message; the
 * monitor thread checks once a second, and a worker whose version did not
 * move while it is inside a message has been stuck there since the last
 * check.  Long work is legitimate (a start function may compute for
 * seconds), so stuck services are reported first and interrupted only
 * after the configured time.
 */
#include "skynet_monitor.h"
#include "skynet.h"
#include "skynet_server.h"

#include <stdatomic.h>

struct skynet_monitor {
	atomic_int version;
	int check_version;
	int stuck_seconds; /* checks in a row that found the same message running */
	_Atomic uint32_t source;
	_Atomic uint32_t destination;
	/* the context being run: reachable even after its handle is retired
	 * (a shutdown retires every handle, then interrupts what still runs) */
	_Atomic(struct skynet_context *) running;
};

struct skynet_monitor *skynet_monitor_new(void) {
	struct skynet_monitor *sm = skynet_calloc(1, sizeof(*sm));
	return sm;
}

void skynet_monitor_delete(struct skynet_monitor *sm) {
	skynet_free(sm);
}

void skynet_monitor_trigger(struct skynet_monitor *sm, uint32_t source, uint32_t destination,
	struct skynet_context *ctx) {
	atomic_store_explicit(&sm->source, source, memory_order_relaxed);
	atomic_store_explicit(&sm->destination, destination, memory_order_relaxed);
	atomic_store_explicit(&sm->running, ctx, memory_order_release);
	atomic_fetch_add_explicit(&sm->version, 1, memory_order_release);
}

uint32_t skynet_monitor_interrupt(struct skynet_monitor *sm) {
	uint32_t destination = atomic_load_explicit(&sm->destination, memory_order_relaxed);
	if (destination)
		skynet_context_interrupt_running(&sm->running);
	return destination;
}

void skynet_monitor_check(struct skynet_monitor *sm, int interrupt_seconds) {
	int version = atomic_load_explicit(&sm->version, memory_order_acquire);
	uint32_t destination = atomic_load_explicit(&sm->destination, memory_order_relaxed);
	if (version != sm->check_version || destination == 0) {
		sm->check_version = version;
		sm->stuck_seconds = 0;
		return;
	}
	int stuck = ++sm->stuck_seconds;
	if (stuck == MONITOR_REPORT_SECONDS) {
		uint32_t source = atomic_load_explicit(&sm->source, memory_order_relaxed);
		skynet_context_endless(destination);
		skynet_error(NULL, "error: a message from [ :%08x ] to [ :%08x ] maybe in an endless loop (version = %d)",
			source, destination, version);
	}
	if (interrupt_seconds > 0 && stuck >= interrupt_seconds) {
		if (stuck == interrupt_seconds)
			skynet_error(NULL, "error: [ :%08x ] ran one message for %d s (endless_interrupt): interrupted",
				destination, stuck);
		skynet_monitor_interrupt(sm);
	}
}
