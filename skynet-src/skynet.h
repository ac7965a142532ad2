/*
 * The public C API for services: what a C service written for skynet
 * includes.  Message type numbers and signatures match skynet's.
 */
#ifndef SKYNET_H
#define SKYNET_H

#include "skynet_malloc.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTYPE_TEXT 0
#define PTYPE_RESPONSE 1
#define PTYPE_MULTICAST 2
#define PTYPE_CLIENT 3
#define PTYPE_SYSTEM 4
#define PTYPE_HARBOR 5
#define PTYPE_SOCKET 6
#define PTYPE_ERROR 7
#define PTYPE_RESERVED_QUEUE 8
#define PTYPE_RESERVED_DEBUG 9
#define PTYPE_RESERVED_LUA 10
#define PTYPE_RESERVED_SNAX 11
#define PTYPE_TRACE 12

/* or-ed into the type of skynet_send: the core does not copy the message */
#define PTYPE_TAG_DONTCOPY 0x10000
/* or-ed into the type of skynet_send: the core allocates a session */
#define PTYPE_TAG_ALLOCSESSION 0x20000

struct skynet_context;

void skynet_error(struct skynet_context *context, const char *msg, ...)
#ifdef __GNUC__
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* logs the sz bytes at msg as one message, as they are (zeros included) */
void skynet_error_bytes(struct skynet_context *context, const char *msg, size_t sz);
const char *skynet_command(struct skynet_context *context, const char *cmd, const char *parm);
uint32_t skynet_queryname(struct skynet_context *context, const char *name);
int skynet_send(struct skynet_context *context, uint32_t source, uint32_t destination,
	int type, int session, void *msg, size_t sz);
int skynet_sendname(struct skynet_context *context, uint32_t source, const char *destination,
	int type, int session, void *msg, size_t sz);

int skynet_isremote(struct skynet_context *, uint32_t handle, int *harbor);

typedef int (*skynet_cb)(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz);
void skynet_callback(struct skynet_context *context, void *ud, skynet_cb cb);

uint32_t skynet_current_handle(void);
uint64_t skynet_now(void);

/* Beyond skynet's API: typed calls that save a service (the Lua libraries
 * in lualib-src among them) the round trip through string commands. */

uint32_t skynet_context_handle(struct skynet_context *);
/* the handle written as ":hex" (1 to 8 hex digits, nothing after them), as
 * string commands and addresses carry it; 0 for any other text */
uint32_t skynet_handle_parse(const char *text);
/* posts a PTYPE_RESPONSE with session to handle after time centiseconds;
 * returns the session */
int skynet_timeout(uint32_t handle, int time, int session);
/* the number of messages waiting for the service handle of this node, or
 * -1 when there is none */
int skynet_context_mqlen(uint32_t handle);
/* fn runs once when the node shuts down, after every worker has stopped
 * (a C service stops its own threads there); false when the table of
 * such functions (16) is full */
bool skynet_atexit(void (*fn)(void));

#endif
