/* Per-service message logs: one line per message, binary payloads in hex. */
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_log.h"
#include "skynet_socket.h"
#include "skynet_timer.h"

#include <errno.h>
#include <string.h>
#include <time.h>

FILE *skynet_log_open(struct skynet_context *ctx, uint32_t handle) {
	const char *logpath = skynet_getenv("logpath");
	if (logpath == NULL) {
		skynet_error(ctx, "error: cannot open the message log: logpath is not set in the config");
		return NULL;
	}
	size_t size = strlen(logpath) + 16; /* "/", 8 hex digits, ".log" */
	char *path = skynet_malloc(size);
	snprintf(path, size, "%s/%08x.log", logpath, handle);
	FILE *f = fopen(path, "ab");
	if (f == NULL) {
		skynet_error(ctx, "error: cannot open the message log %s: %s", path, strerror(errno));
		skynet_free(path);
		return NULL;
	}
	uint32_t starttime = skynet_starttime();
	uint64_t currenttime = skynet_now();
	time_t ti = starttime + currenttime / 100;
	skynet_error(ctx, "Open log file %s", path);
	skynet_free(path);
	fprintf(f, "open time: %u %s", (uint32_t)currenttime, ctime(&ti));
	fflush(f);
	return f;
}

void skynet_log_close(struct skynet_context *ctx, FILE *f, uint32_t handle) {
	skynet_error(ctx, "Close log file :%08x", handle);
	fprintf(f, "close time: %u\n", (uint32_t)skynet_now());
	fclose(f);
}

static void log_blob(FILE *f, const void *buffer, size_t sz) {
	const uint8_t *p = buffer;
	for (size_t i = 0; i != sz; i++)
		fprintf(f, "%02x", p[i]);
}

static void log_socket(FILE *f, const struct skynet_socket_message *message, size_t sz) {
	fprintf(f, "[socket] %d %d %d ", message->type, message->id, message->ud);
	if (message->buffer == NULL) {
		const char *buffer = (const char *)(message + 1);
		sz -= sizeof(*message);
		const char *eol = memchr(buffer, '\0', sz);
		if (eol)
			sz = eol - buffer;
		fprintf(f, "[%.*s]", (int)sz, buffer);
	} else {
		log_blob(f, message->buffer, (size_t)message->ud);
	}
	fprintf(f, "\n");
	fflush(f);
}

void skynet_log_output(FILE *f, uint32_t source, int type, int session, void *buffer, size_t sz) {
	if (type == PTYPE_SOCKET && sz >= sizeof(struct skynet_socket_message)) {
		log_socket(f, buffer, sz);
		return;
	}
	uint32_t ti = (uint32_t)skynet_now();
	fprintf(f, ":%08x %d %d %u ", source, type, session, ti);
	log_blob(f, buffer, sz);
	fprintf(f, "\n");
	fflush(f);
}
