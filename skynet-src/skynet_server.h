#ifndef SKYNET_SERVER_H
#define SKYNET_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct skynet_context;
struct skynet_message;
struct skynet_monitor;

/* the new service, with a reference the caller releases; NULL on failure */
struct skynet_context *skynet_context_new(const char *name, const char *parm);
void skynet_context_grab(struct skynet_context *);
struct skynet_context *skynet_context_release(struct skynet_context *);
/* 0 on success, -1 when the handle is gone (the message is not freed) */
int skynet_context_push(uint32_t handle, struct skynet_message *message);
int skynet_context_newsession(struct skynet_context *);
/* runs a batch of one service queue; returns the next queue to run */
struct message_queue *skynet_context_message_dispatch(struct skynet_monitor *,
	struct message_queue *, int weight);
int skynet_context_total(void);
/* dispatches what is queued for a context outside the workers */
void skynet_context_dispatchall(struct skynet_context *context);

/* the service may own sockets (it made a socket request): a service that
 * never did skips the socket thread when it is deleted (cheaper kills) */
void skynet_context_socket_owner(struct skynet_context *ctx);
/* true when the service handle has more than limit messages waiting; it is
 * then marked, so that the worker that brings it down to limit calls
 * skynet_socket_owner_ready (read-side flow control) */
bool skynet_context_reads_held(uint32_t handle, int limit);
/* marks a service found stuck in one message (skynet.stat "endless") */
void skynet_context_endless(uint32_t handle);
/* asks the service a worker runs (*running, NULL when idle) to break out
 * of its message (signal 0); safe while the worker may let go of it */
void skynet_context_interrupt_running(struct skynet_context *_Atomic *running);

/* skynet.abort / SIGTERM: ask the node to shut down with an exit status */
void skynet_node_abort(int status);
int skynet_node_aborting(void);
int skynet_node_exit_status(void);
/* the bootstrap service: its failure to start fails the node */
void skynet_node_set_bootstrap(uint32_t handle);

void skynet_globalinit(void);
void skynet_globalexit(void);
void skynet_initthread(int m);

void skynet_profile_enable(int enable);

#endif
