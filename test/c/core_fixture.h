/*
 * Shared by the core's C unit tests (assertions in check.h): a node
 * without threads (handles, queues, modules, timer) whose services are
 * real C services from cservice/ (the tests run from the repository root).
 * Nothing dispatches messages unless a test does.
 */
#ifndef CORE_FIXTURE_H
#define CORE_FIXTURE_H

#include "check.h"
#include "skynet.h"
#include "skynet_env.h"
#include "skynet_handle.h"
#include "skynet_harbor.h"
#include "skynet_module.h"
#include "skynet_mq.h"
#include "skynet_server.h"
#include "skynet_timer.h"

#include <stdio.h>

static void fixture_init(int harbor) {
	skynet_globalinit();
	skynet_env_init();
	skynet_harbor_init(harbor);
	skynet_handle_init(harbor);
	skynet_mq_init();
	skynet_module_init("./cservice/?.so");
	skynet_timer_init();
	/* a logger that swallows the LAUNCH lines of the services tests create */
	struct skynet_context *sink = skynet_context_new("logger", "/dev/null");
	if (sink == NULL || skynet_handle_namehandle(skynet_context_handle(sink), "logger") == NULL) {
		printf("FAIL: cannot start the logger service from ./cservice\n");
		exit(1);
	}
	skynet_context_release(sink); /* the registry keeps it until fixture_exit */
}

static void drop_free(struct skynet_message *m, void *ud) {
	(void)ud;
	skynet_free(m->data);
}

/* retires every service and frees their queues as a worker would */
static void fixture_exit(void) {
	skynet_handle_retireall(0);
	struct message_queue *q;
	while ((q = skynet_globalmq_pop()) != NULL)
		skynet_mq_release(q, drop_free, NULL);
	skynet_timer_exit();
	skynet_module_exit();
	skynet_env_exit();
	skynet_globalexit();
}

#endif
