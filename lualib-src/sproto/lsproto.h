/* The Lua side of sproto.core: shared by the module, the encoder and the decoder. */
#ifndef LSPROTO_H
#define LSPROTO_H

#include <lua.h>

#include "sproto.h"

#define LSPROTO_MAXDEPTH 64          /* nesting of structs in one message */
#define LSPROTO_MAXSIZE 0x1000000    /* largest encoded message */

/* a string, or a pointer (userdata or light userdata) and a size at arg+1 */
const uint8_t *lsproto_checkbuffer(lua_State *L, int arg, size_t *sz);

/* core.encode(type, table): the closure's upvalue 1 caches its output buffer */
int lsproto_encode(lua_State *L);
/* core.decode(type, string | ptr, sz [, table]) */
int lsproto_decode(lua_State *L);

#endif
