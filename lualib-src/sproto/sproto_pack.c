/*
** 0-packing of sproto messages. The message is cut into 8-byte words (the
** last one padded with zeros). A word becomes a tag byte whose bit i says
** byte i is non-zero, followed by the non-zero bytes. Tag 0xff is special:
** it is followed by a count N and (N+1) words copied raw, so that runs of
** dense words cost 2 bytes per 256 words. A run starts at a word without
** zeros and goes on through words with at most two zeros.
*/
#include <string.h>

#include "sproto.h"

#define WORD 8
#define MAX_RUN 256

size_t sproto_pack_bound(size_t sz) {
	/* every 256 words cost 2 more bytes at worst; +2 for a run in the padding */
	return sz + (sz + 2047) / 2048 * 2 + 2;
}

static int nonzero_bytes(const uint8_t *w) {
	int n = 0;
	for (int i = 0; i < WORD; i++)
		n += w[i] != 0;
	return n;
}

/* appends a word as a tag byte and its non-zero bytes */
static uint8_t *pack_word(const uint8_t *w, uint8_t *out) {
	uint8_t *tag = out++;
	*tag = 0;
	for (int i = 0; i < WORD; i++) {
		if (w[i]) {
			*tag |= (uint8_t)(1u << i);
			*out++ = w[i];
		}
	}
	return out;
}

size_t sproto_pack(const uint8_t *src, size_t sz, uint8_t *out) {
	uint8_t *start = out;
	uint8_t *run = NULL; /* header of the open 0xff run */
	int runlen = 0;
	for (size_t pos = 0; pos < sz; pos += WORD) {
		uint8_t w[WORD] = { 0 };
		memcpy(w, src + pos, sz - pos < WORD ? sz - pos : WORD);
		int nz = nonzero_bytes(w);
		if (run && nz >= WORD - 2) {
			memcpy(out, w, WORD);
			out += WORD;
			if (++runlen == MAX_RUN) {
				run[1] = (uint8_t)(runlen - 1);
				run = NULL;
			}
			continue;
		}
		if (run) {
			run[1] = (uint8_t)(runlen - 1);
			run = NULL;
		}
		if (nz == WORD) {
			run = out;
			run[0] = 0xff;
			runlen = 1;
			memcpy(out + 2, w, WORD);
			out += 2 + WORD;
		} else {
			out = pack_word(w, out);
		}
	}
	if (run)
		run[1] = (uint8_t)(runlen - 1);
	return (size_t)(out - start);
}

long long sproto_unpacked_size(const uint8_t *src, size_t sz) {
	long long total = 0;
	size_t pos = 0;
	while (pos < sz) {
		uint8_t tag = src[pos++];
		if (tag == 0xff) {
			if (pos >= sz)
				return -1;
			size_t n = ((size_t)src[pos++] + 1) * WORD;
			if (sz - pos < n)
				return -1;
			pos += n;
			total += (long long)n;
		} else {
			size_t n = (size_t)__builtin_popcount(tag);
			if (sz - pos < n)
				return -1;
			pos += n;
			total += WORD;
		}
	}
	return total;
}

void sproto_unpack(const uint8_t *src, size_t sz, uint8_t *out) {
	size_t pos = 0;
	while (pos < sz) {
		uint8_t tag = src[pos++];
		if (tag == 0xff) {
			size_t n = ((size_t)src[pos++] + 1) * WORD;
			memcpy(out, src + pos, n);
			pos += n;
			out += n;
			continue;
		}
		for (int i = 0; i < WORD; i++)
			*out++ = (tag >> i) & 1 ? src[pos++] : 0;
	}
}
