/*
 * An immutable tree of Lua values stored once per process, read by any
 * service without copying it into the service's VM.
 *
 * A document is built from a Lua table (and every table it reaches; shared
 * and cyclic references are kept as such).  Keys may be integers, floats,
 * strings or booleans; values also tables.  Tables are numbered from 0 (the
 * root); each has an array part 1..n with no holes (n is a border, so # is
 * cheap and exact) and a hash part for the other keys.  Strings are stored
 * once per document.
 */
#ifndef SHARESTORE_H
#define SHARESTORE_H

#include <lua.h>

#include <stddef.h>
#include <stdint.h>

struct sd_doc;

/* builds a document from the table at idx; raises a Lua error on values it
 * cannot store (functions, userdata, threads) */
struct sd_doc *sd_build(lua_State *L, int idx);
void sd_free(struct sd_doc *doc);

uint32_t sd_tables(const struct sd_doc *doc);
size_t sd_bytes(const struct sd_doc *doc);

/* pushes t[key] (key at stack index k) of table t; a table value is pushed
 * as nil and its number stored in *child (else *child = UINT32_MAX) */
void sd_index(lua_State *L, const struct sd_doc *doc, uint32_t t, int k, uint32_t *child);
/* the length (border) of table t */
lua_Integer sd_len(const struct sd_doc *doc, uint32_t t);
/* pushes the key after the one at stack index k (nil: the first) and returns
 * 1, or returns 0 when no key follows; raises an error for a key not in t */
int sd_next(lua_State *L, const struct sd_doc *doc, uint32_t t, int k);

/* process-wide counters of live documents */
struct sd_stat {
	long long docs;
	long long bytes;
	long long built;
	long long freed;
};
void sd_stat(struct sd_stat *st);

/* pushes a deep copy of table t as plain Lua tables (shared tables stay
 * shared, cycles stay cycles) */
void sd_copy(lua_State *L, const struct sd_doc *doc, uint32_t t);

#endif
