#ifndef SKYNET_MONITOR_H
#define SKYNET_MONITOR_H

#include <stdint.h>

struct skynet_context;

/* one per worker: what the worker is dispatching right now */
struct skynet_monitor;

struct skynet_monitor *skynet_monitor_new(void);
void skynet_monitor_delete(struct skynet_monitor *);
/* called around each message: destination 0 (ctx NULL) means idle */
void skynet_monitor_trigger(struct skynet_monitor *, uint32_t source, uint32_t destination,
	struct skynet_context *ctx);
/*
 * Called by the monitor thread once a second.  A worker inside the same
 * message for MONITOR_REPORT_SECONDS is reported ("maybe in an endless
 * loop"); after interrupt_seconds (0: never) the service is interrupted.
 */
#define MONITOR_REPORT_SECONDS 3
void skynet_monitor_check(struct skynet_monitor *, int interrupt_seconds);
/* interrupts the service the worker is running, if any; returns its handle */
uint32_t skynet_monitor_interrupt(struct skynet_monitor *);

#endif
