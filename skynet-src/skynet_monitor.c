/*
 * Endless-loop detection: each worker bumps a version per message; the
 * monitor thread checks every few seconds, and a worker whose version did
 * not move while it is inside a message is stuck there.
 */
#include "skynet_monitor.h"
#include "skynet.h"
#include "skynet_server.h"

#include <stdatomic.h>

struct skynet_monitor {
	atomic_int version;
	int check_version;
	_Atomic uint32_t source;
	_Atomic uint32_t destination;
};

struct skynet_monitor *skynet_monitor_new(void) {
	struct skynet_monitor *sm = skynet_calloc(1, sizeof(*sm));
	return sm;
}

void skynet_monitor_delete(struct skynet_monitor *sm) {
	skynet_free(sm);
}

void skynet_monitor_trigger(struct skynet_monitor *sm, uint32_t source, uint32_t destination) {
	atomic_store_explicit(&sm->source, source, memory_order_relaxed);
	atomic_store_explicit(&sm->destination, destination, memory_order_relaxed);
	atomic_fetch_add_explicit(&sm->version, 1, memory_order_release);
}

void skynet_monitor_check(struct skynet_monitor *sm) {
	int version = atomic_load_explicit(&sm->version, memory_order_acquire);
	if (version == sm->check_version) {
		uint32_t destination = atomic_load_explicit(&sm->destination, memory_order_relaxed);
		if (destination) {
			uint32_t source = atomic_load_explicit(&sm->source, memory_order_relaxed);
			skynet_context_endless(destination);
			skynet_error(NULL, "error: a message from [ :%08x ] to [ :%08x ] maybe in an endless loop (version = %d)",
				source, destination, version);
		}
	} else {
		sm->check_version = version;
	}
}
