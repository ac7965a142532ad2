/* skynet_error: formats a line and sends it as PTYPE_TEXT to the logger. */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define LOG_MESSAGE_SIZE 256

static uint32_t logger_handle(void) {
	static _Atomic uint32_t logger = 0;
	uint32_t h = atomic_load_explicit(&logger, memory_order_relaxed);
	if (h == 0) {
		h = skynet_handle_findname(".logger");
		atomic_store_explicit(&logger, h, memory_order_relaxed);
	}
	return h;
}

/* hands data (len bytes, skynet_malloc'd) to the logger, which frees it */
static void send_text(struct skynet_context *context, char *data, size_t len) {
	uint32_t source = context ? skynet_context_handle(context) : 0;
	uint32_t logger = logger_handle();
	if (logger != 0) {
		struct skynet_message smsg;
		smsg.source = source;
		smsg.session = 0;
		smsg.data = data;
		smsg.sz = len | ((size_t)PTYPE_TEXT << MESSAGE_TYPE_SHIFT);
		if (skynet_context_push(logger, &smsg) == 0)
			return;
	}
	/* no logger yet (early boot) or any more: write it straight out */
	fprintf(stderr, "[:%08x] ", source);
	fwrite(data, 1, len, stderr);
	fputc('\n', stderr);
	skynet_free(data);
}

void skynet_error(struct skynet_context *context, const char *msg, ...) {
	char tmp[LOG_MESSAGE_SIZE];
	char *data;
	va_list ap;
	va_start(ap, msg);
	int len = vsnprintf(tmp, LOG_MESSAGE_SIZE, msg, ap);
	va_end(ap);
	if (len < 0)
		return;
	size_t size = (size_t)len + 1;
	if (size <= LOG_MESSAGE_SIZE) {
		data = skynet_strdup(tmp);
	} else {
		data = skynet_malloc(size);
		va_start(ap, msg);
		vsnprintf(data, size, msg, ap);
		va_end(ap);
	}
	send_text(context, data, (size_t)len);
}

void skynet_error_bytes(struct skynet_context *context, const char *msg, size_t sz) {
	char *data = skynet_malloc(sz + 1);
	memcpy(data, msg, sz);
	data[sz] = '\0';
	send_text(context, data, sz);
}
