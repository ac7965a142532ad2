#ifndef SKYNET_MONITOR_H
#define SKYNET_MONITOR_H

#include <stdint.h>

/* one per worker: what the worker is dispatching right now */
struct skynet_monitor;

struct skynet_monitor *skynet_monitor_new(void);
void skynet_monitor_delete(struct skynet_monitor *);
/* called around each message: destination 0 means idle */
void skynet_monitor_trigger(struct skynet_monitor *, uint32_t source, uint32_t destination);
/* called by the monitor thread every few seconds: reports a worker stuck in
 * one message since the last check */
void skynet_monitor_check(struct skynet_monitor *);

#endif
