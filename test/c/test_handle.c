/*
 * Unit tests for the handle registry (skynet_handle.c): handles carry the
 * harbor id, are found while registered and not reused right away, local
 * names map to handles and go away with them, references keep a retired
 * context alive, lookups race safely with registration and retirement, and
 * ":hex" text reads back as the handle.
 */
#include "core_fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HARBOR 3

/* a logger service writing to stdout: a real C service that holds no file;
 * only the registry keeps it, until it is retired */
static struct skynet_context *new_service(void) {
	struct skynet_context *ctx = skynet_context_new("logger", "");
	CHECK(ctx != NULL, "create a service");
	if (ctx)
		skynet_context_release(ctx);
	return ctx;
}

static void test_register(void) {
	enum { N = 3000 };
	static uint32_t handles[N];
	for (int i = 0; i < N; i++) {
		struct skynet_context *ctx = new_service();
		uint32_t h = skynet_context_handle(ctx);
		handles[i] = h;
		CHECK(h >> HANDLE_REMOTE_SHIFT == HARBOR, "handle %08x carries harbor %d", h, HARBOR);
		CHECK((h & HANDLE_MASK) != 0, "the local part of a handle is never 0");
		for (int j = i - 1; j >= 0 && j >= i - 10; j--)
			CHECK(handles[j] != h, "handle %08x given twice", h);
	}
	for (int i = 0; i < N; i++) {
		struct skynet_context *ctx = skynet_handle_grab(handles[i]);
		CHECK(ctx && skynet_context_handle(ctx) == handles[i], "grab finds handle %08x", handles[i]);
		if (ctx)
			skynet_context_release(ctx);
	}
	CHECK(skynet_handle_grab(0) == NULL, "handle 0 is nobody");
	CHECK(skynet_handle_grab(handles[N - 1] + 1000) == NULL, "an unused handle is nobody");
	CHECK(skynet_handle_grab((handles[0] & HANDLE_MASK) | (HARBOR + 1) << HANDLE_REMOTE_SHIFT) == NULL,
		"the same local id on another harbor is nobody");
	for (int i = 0; i < N; i += 2) {
		CHECK(skynet_handle_retire(handles[i]) == 1, "retire %08x", handles[i]);
		CHECK(skynet_handle_retire(handles[i]) == 0, "retire %08x twice", handles[i]);
		CHECK(skynet_handle_grab(handles[i]) == NULL, "retired %08x is gone", handles[i]);
	}
	for (int i = 1; i < N; i += 2) {
		struct skynet_context *ctx = skynet_handle_grab(handles[i]);
		CHECK(ctx != NULL, "%08x survives its neighbours' retirement", handles[i]);
		if (ctx)
			skynet_context_release(ctx);
	}
	/* freed slots are not handed out again at once */
	struct skynet_context *ctx = new_service();
	uint32_t h = skynet_context_handle(ctx);
	for (int i = 0; i < N; i++)
		CHECK(h != handles[i], "a new service got the recent handle %08x", h);
	for (int i = 1; i < N; i += 2)
		skynet_handle_retire(handles[i]);
	skynet_handle_retire(h);
}

static void test_names(void) {
	struct skynet_context *a = new_service(), *b = new_service();
	uint32_t ha = skynet_context_handle(a), hb = skynet_context_handle(b);
	const char *stored = skynet_handle_namehandle(ha, ".alpha");
	CHECK(stored && strcmp(stored, ".alpha") == 0, "name a service");
	CHECK(skynet_handle_namehandle(hb, ".alpha") == NULL, "a taken name is refused");
	CHECK(skynet_handle_findname(".alpha") == ha, "the name keeps its first owner");
	CHECK(skynet_handle_namehandle(ha, ".second") != NULL, "a service may have two names");
	CHECK(skynet_handle_findname(".second") == ha, "second name");
	CHECK(skynet_handle_findname(".missing") == 0, "unknown name");
	CHECK(skynet_handle_findname(".alph") == 0 && skynet_handle_findname(".alphabet") == 0,
		"names match exactly");
	/* many names in scrambled order stay findable */
	char name[32];
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), ".n%d", (i * 7919) % 500);
		CHECK(skynet_handle_namehandle(hb, name) != NULL, "name %s", name);
	}
	for (int i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), ".n%d", i);
		CHECK(skynet_handle_findname(name) == hb, "find %s", name);
	}
	skynet_handle_retire(ha);
	CHECK(skynet_handle_findname(".alpha") == 0, "a retired service's names go away");
	CHECK(skynet_handle_findname(".second") == 0, "all of them");
	CHECK(skynet_handle_findname(".n42") == hb, "other services keep theirs");
	CHECK(skynet_handle_namehandle(hb, ".alpha") != NULL, "a freed name can be taken again");
	CHECK(skynet_handle_findname(".alpha") == hb, "by its new owner");
	skynet_handle_retire(hb);
	CHECK(skynet_handle_findname(".n42") == 0, "names gone with the last service");
}

/* a grabbed context outlives its retirement until it is released */
static void test_references(void) {
	struct skynet_context *ctx = new_service();
	uint32_t h = skynet_context_handle(ctx);
	struct skynet_context *held = skynet_handle_grab(h);
	CHECK(held == ctx, "grab gives the context");
	skynet_handle_retire(h);
	CHECK(skynet_handle_grab(h) == NULL, "retired");
	CHECK(skynet_context_handle(held) == h, "a held context is still readable");
	CHECK(skynet_context_release(held) == NULL, "the last release frees it");
}

/* registration and retirement race with lookups (run it under TSan/ASan) */
enum { CHURN = 2000 };
static atomic_uint recent[64];
static atomic_bool churning;

static void *churn(void *ud) {
	(void)ud;
	for (int i = 0; i < CHURN; i++) {
		struct skynet_context *ctx = skynet_context_new("logger", "");
		if (ctx == NULL)
			continue;
		uint32_t h = skynet_context_handle(ctx);
		skynet_context_release(ctx);
		atomic_store(&recent[i % 64], h);
		if (i % 4 != 0)
			skynet_handle_retire(h);
	}
	return NULL;
}

static void *lookup(void *ud) {
	long *found = ud;
	while (atomic_load(&churning)) {
		for (int i = 0; i < 64; i++) {
			uint32_t h = atomic_load(&recent[i]);
			struct skynet_context *ctx = h ? skynet_handle_grab(h) : NULL;
			if (ctx) {
				if (skynet_context_handle(ctx) == h)
					(*found)++;
				skynet_context_release(ctx);
			}
			skynet_handle_findname(".nobody");
		}
	}
	return NULL;
}

static void test_threads(void) {
	pthread_t makers[2], readers[2];
	long found[2] = { 0, 0 };
	atomic_store(&churning, true);
	for (int i = 0; i < 2; i++)
		pthread_create(&readers[i], NULL, lookup, &found[i]);
	for (int i = 0; i < 2; i++)
		pthread_create(&makers[i], NULL, churn, NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(makers[i], NULL);
	atomic_store(&churning, false);
	for (int i = 0; i < 2; i++)
		pthread_join(readers[i], NULL);
	CHECK(found[0] + found[1] > 0, "lookups found live services while others came and went");
	CHECK(skynet_context_total() >= 2 * CHURN / 4, "%d services left alive, want at least %d",
		skynet_context_total(), 2 * CHURN / 4);
}

/* ":hex" text, as string commands carry handles */
static void test_parse(void) {
	CHECK(skynet_handle_parse(":0100000a") == 0x0100000a, "\":0100000a\" is 0x0100000a");
	CHECK(skynet_handle_parse(":c") == 0xc, "\":c\" is 12");
	CHECK(skynet_handle_parse(":FfFfFfFf") == 0xffffffff, "hex digits in either case");
	const char *bad[] = { NULL, "", ":", "c", ".c", ":123456789", ":12 3", ":12x", ":-1", ": 1", ":0x1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(skynet_handle_parse(bad[i]) == 0, "\"%s\" is no handle", bad[i] ? bad[i] : "(null)");
	struct skynet_context *ctx = new_service();
	uint32_t h = skynet_context_handle(ctx);
	char text[16];
	snprintf(text, sizeof(text), ":%08x", h);
	CHECK(skynet_queryname(ctx, text) == h, "skynet_queryname reads %s", text);
	skynet_handle_retire(h);
}

int main(void) {
	fixture_init(HARBOR);
	test_register();
	test_names();
	test_references();
	test_threads();
	test_parse();
	fixture_exit();
	return check_result("test_handle");
}
