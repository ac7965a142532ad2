/*
 * logger: writes PTYPE_TEXT messages to stdout or to the file named by the
 * config's logger key, with a timestamp and the source handle.  A
 * PTYPE_SYSTEM message (sent on SIGHUP) reopens the file, for log rotation.
 */
#include "skynet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct logger {
	FILE *handle;
	char *filename;
	uint32_t starttime;
	int close;
};

struct logger *logger_create(void) {
	struct logger *inst = skynet_malloc(sizeof(*inst));
	inst->handle = NULL;
	inst->close = 0;
	inst->filename = NULL;
	return inst;
}

void logger_release(struct logger *inst) {
	if (inst->close)
		fclose(inst->handle);
	else
		fflush(inst->handle);
	skynet_free(inst->filename);
	skynet_free(inst);
}

static void write_timestamp(struct logger *inst) {
	char stamp[64];
	uint64_t now = skynet_now();
	time_t ti = inst->starttime + now / 100;
	struct tm info;
	localtime_r(&ti, &info);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &info);
	fprintf(inst->handle, "%s.%02d ", stamp, (int)(now % 100));
}

static int logger_cb(struct skynet_context *context, void *ud, int type, int session,
	uint32_t source, const void *msg, size_t sz) {
	(void)context;
	(void)session;
	struct logger *inst = ud;
	switch (type) {
	case PTYPE_SYSTEM:
		if (inst->filename) {
			FILE *f = freopen(inst->filename, "a", inst->handle);
			if (f == NULL) {
				/* keep logging somewhere rather than nowhere */
				inst->handle = stderr;
				inst->close = 0;
				fprintf(stderr, "error: cannot reopen log file %s: %s\n", inst->filename, strerror(errno));
			} else {
				inst->handle = f;
			}
		}
		break;
	case PTYPE_TEXT:
		if (inst->filename)
			write_timestamp(inst);
		fprintf(inst->handle, "[:%08x] ", source);
		fwrite(msg, sz, 1, inst->handle);
		fprintf(inst->handle, "\n");
		fflush(inst->handle);
		break;
	}
	return 0;
}

int logger_init(struct logger *inst, struct skynet_context *ctx, const char *parm) {
	const char *r = skynet_command(ctx, "STARTTIME", NULL);
	inst->starttime = (uint32_t)strtoul(r, NULL, 10);
	if (parm && parm[0]) {
		inst->handle = fopen(parm, "a");
		if (inst->handle == NULL) {
			fprintf(stderr, "error: cannot open log file %s: %s\n", parm, strerror(errno));
			return 1;
		}
		inst->filename = skynet_strdup(parm);
		inst->close = 1;
	} else {
		inst->handle = stdout;
	}
	skynet_callback(ctx, inst, logger_cb);
	return 0;
}
