/* skynet_error: formats a line and sends it as PTYPE_TEXT to the logger. */
#include "skynet.h"
#include "skynet_handle.h"
#include "skynet_mq.h"
#include "skynet_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MESSAGE_SIZE 256

static uint32_t logger_handle(void) {
	static uint32_t logger = 0;
	uint32_t h = __atomic_load_n(&logger, __ATOMIC_RELAXED);
	if (h == 0) {
		h = skynet_handle_findname(".logger");
		__atomic_store_n(&logger, h, __ATOMIC_RELAXED);
	}
	return h;
}

void skynet_error(struct skynet_context *context, const char *msg, ...) {
	uint32_t logger = logger_handle();
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
	if (logger == 0) {
		/* no logger yet (early boot) or any more: write it straight out */
		fprintf(stderr, "[:%08x] %s\n", context ? skynet_context_handle(context) : 0, data);
		skynet_free(data);
		return;
	}
	struct skynet_message smsg;
	smsg.source = context ? skynet_context_handle(context) : 0;
	smsg.session = 0;
	smsg.data = data;
	smsg.sz = len | ((size_t)PTYPE_TEXT << MESSAGE_TYPE_SHIFT);
	if (skynet_context_push(logger, &smsg)) {
		fprintf(stderr, "[:%08x] %s\n", smsg.source, data);
		skynet_free(data);
	}
}
