/*
 * Reference-counted objects shared between services, named by integer ids.
 *
 * Services pass these ids in messages; an id that names nothing (forged, or
 * of an object already freed) is refused instead of dereferenced, so bad
 * input from Lua never touches freed memory.  An id carries the slot's
 * generation, so a slot reused by a later object does not answer to the old id.
 */
#ifndef SHAREREF_H
#define SHAREREF_H

#include <stdint.h>

/* registers obj with one reference; release(obj) runs when the last one goes */
uint64_t shareref_new(void *obj, void (*release)(void *obj));
/* one more reference; returns the object, or NULL when id names nothing */
void *shareref_grab(uint64_t id);
/* drops a reference; returns 0 when id names nothing */
int shareref_release(uint64_t id);
/* the reference count, 0 when id names nothing */
int shareref_count(uint64_t id);

#endif
