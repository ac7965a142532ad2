#ifndef SKYNET_LOG_H
#define SKYNET_LOG_H

#include <stdint.h>
#include <stdio.h>

struct skynet_context;

/* per-service message logs in $logpath/HANDLE.log, switched by LOGON/LOGOFF */
FILE *skynet_log_open(struct skynet_context *ctx, uint32_t handle);
void skynet_log_close(struct skynet_context *ctx, FILE *f, uint32_t handle);
void skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz);

#endif
