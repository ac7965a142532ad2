/*
 * ./skynet CONFIG: reads the config (skynet_config.c) into the env, checks
 * the keys the core uses, fills in their defaults and starts the node.
 */
#include "skynet.h"
#include "skynet_config.h"
#include "skynet_env.h"
#include "skynet_imp.h"
#include "skynet_server.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_THREAD 256

static void config_error(const char *fmt, const char *key, const char *value) {
	fprintf(stderr, "error: config: ");
	fprintf(stderr, fmt, key, value);
	fprintf(stderr, "\n");
	exit(1);
}

static const char *optstring(const char *key, const char *def) {
	const char *value = skynet_getenv(key);
	if (value == NULL && def) {
		skynet_setenv(key, def);
		value = skynet_getenv(key);
	}
	return value;
}

/* an integer key in [min, max], def when missing */
static int optint(const char *key, int def, int min, int max) {
	const char *str = skynet_getenv(key);
	if (str == NULL) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "%d", def);
		skynet_setenv(key, tmp);
		return def;
	}
	char *end;
	long v = strtol(str, &end, 10);
	if (*str == '\0' || *end != '\0' || v < min || v > max) {
		char range[64];
		snprintf(range, sizeof(range), "%s (want an integer from %d to %d)", str, min, max);
		config_error("%s = %s is invalid", key, range);
	}
	return (int)v;
}

static int optboolean(const char *key, int def) {
	const char *str = skynet_getenv(key);
	if (str == NULL) {
		skynet_setenv(key, def ? "true" : "false");
		return def;
	}
	if (strcmp(str, "true") == 0)
		return 1;
	if (strcmp(str, "false") == 0)
		return 0;
	config_error("%s = %s is invalid (want true or false)", key, str);
	return 0;
}

/*
 * The folder of the skynet binary.  The default paths start there, so a
 * project elsewhere runs /path/to/skynet its/config.lua from its own folder;
 * its config may name the folder as $SKYNET_ROOT.
 */
static void find_framework_root(char *root, size_t size) {
	ssize_t n = readlink("/proc/self/exe", root, size - 1);
	char *slash = n > 0 ? memrchr(root, '/', (size_t)n) : NULL;
	if (slash == NULL) {
		snprintf(root, size, ".");
		return;
	}
	*slash = '\0';
	if (root[0] == '\0')
		snprintf(root, size, "/");
}

/* key's value, by default ROOT/part for each ";"-separated part of parts */
static const char *optpath(const char *key, const char *root, const char *parts) {
	if (skynet_getenv(key))
		return skynet_getenv(key);
	size_t size = strlen(parts) * 2 + strlen(root) * 4 + 8;
	char *paths = skynet_malloc(size);
	size_t used = 0;
	for (const char *p = parts; *p;) {
		size_t len = strcspn(p, ";");
		used += snprintf(paths + used, size - used, "%s%s/%.*s", used ? ";" : "", root, (int)len, p);
		p += len + (p[len] == ';');
	}
	skynet_setenv(key, paths);
	skynet_free(paths);
	return skynet_getenv(key);
}

static int default_thread_count(void) {
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > MAX_THREAD ? MAX_THREAD : (int)n;
}

int main(int argc, char *argv[]) {
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s CONFIG\n  CONFIG: a config file, e.g. examples/config.lua\n", argv[0]);
		return 1;
	}
	char root[PATH_MAX];
	find_framework_root(root, sizeof(root));
	setenv("SKYNET_ROOT", root, 0);
	skynet_malloc_init();
	skynet_globalinit();
	skynet_env_init();

	skynet_config_load(argv[1]);

	struct skynet_config config;
	config.thread = optint("thread", default_thread_count(), 1, MAX_THREAD);
	config.harbor = optint("harbor", 0, 0, 255);
	config.module_path = optpath("cpath", root, "cservice/?.so");
	config.bootstrap = optstring("bootstrap", "snlua bootstrap");
	config.daemon = optstring("daemon", NULL);
	config.logger = optstring("logger", NULL);
	config.logservice = optstring("logservice", "logger");
	config.profile = optboolean("profile", 1);
	optpath("lua_path", root, "lualib/?.lua;lualib/?/init.lua");
	optpath("lua_cpath", root, "luaclib/?.so");
	optpath("luaservice", root, "service/?.lua");
	optpath("lualoader", root, "lualib/loader.lua");
	skynet_config_check(argv[1]);

	int status = skynet_start(&config);
	skynet_env_exit();
	skynet_globalexit();
	return status;
}
