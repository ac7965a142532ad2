#include "skynet_malloc.h"

#include <string.h>

char *skynet_strdup(const char *str) {
	size_t sz = strlen(str) + 1;
	char *copy = skynet_malloc(sz);
	memcpy(copy, str, sz);
	return copy;
}

void *skynet_lalloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	(void)ud;
	(void)osize;
	if (nsize == 0) {
		skynet_free(ptr);
		return NULL;
	}
	return skynet_realloc(ptr, nsize);
}
