/*
 * Conversion between this framework's skynet.pack format (lua-seri.c) and
 * the one skynet itself uses, which is what travels inside cluster frames.
 */
#ifndef SERI_SKYNET_H
#define SERI_SKYNET_H

#include <stddef.h>
#include <stdint.h>

/* A growing skynet_malloc'ed buffer; data belongs to the caller after a
 * conversion that succeeded, and is freed by the conversion otherwise. */
struct seri_out {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Both return NULL on success, else why the input is not a valid packed
 * message (out is then empty). */
const char *seri_to_skynet(const uint8_t *in, size_t sz, struct seri_out *out);
const char *seri_from_skynet(const uint8_t *in, size_t sz, struct seri_out *out);

#endif
