/*
 * skynet.netpack's framing, fed hand-made socket messages in a plain Lua
 * state: whole, split, merged and interleaved packets, the events that are
 * not data, and pack/tostring.  Under ASan this also proves that packets
 * left half-read are freed by close, clear and the queue's __gc.
 */
#include "skynet_malloc.h"
#include "skynet_socket.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <stdio.h>
#include <string.h>

int luaopen_skynet_netpack(lua_State *L);

/* type, id, ud, text -> msg, sz: data goes in a buffer for DATA, else after the struct */
static int
lmessage(lua_State *L) {
	int type = (int)luaL_checkinteger(L, 1);
	size_t len = 0;
	const char *text = luaL_optlstring(L, 4, "", &len);
	size_t sz = sizeof(struct skynet_socket_message);
	if (type != SKYNET_SOCKET_TYPE_DATA)
		sz += len;
	struct skynet_socket_message *m = skynet_malloc(sz);
	m->type = type;
	m->id = (int)luaL_checkinteger(L, 2);
	m->ud = (int)luaL_checkinteger(L, 3);
	if (type == SKYNET_SOCKET_TYPE_DATA) {
		m->buffer = skynet_malloc(len);
		memcpy(m->buffer, text, len);
		m->ud = (int)len;
	} else {
		m->buffer = NULL;
		memcpy(m + 1, text, len);
	}
	lua_pushlightuserdata(L, m);
	lua_pushinteger(L, (lua_Integer)sz);
	return 2;
}

/* frees what the core frees after dispatch: the message, not its buffer */
static int
lfree(lua_State *L) {
	skynet_free(lua_touserdata(L, 1));
	return 0;
}

static const char *script =
	"local netpack = require 'skynet.netpack'\n"
	"local DATA, CLOSE, ACCEPT, ERROR, WARNING = 1, 3, 4, 5, 7\n"
	"local q\n"
	"local function feed(type, id, ud, text)\n"
	"  local msg, sz = message(type, id, ud, text)\n"
	"  local r = table.pack(netpack.filter(q, msg, sz))\n"
	"  free(msg)\n"
	"  q = r[1]\n"
	"  return table.unpack(r, 2, r.n)\n"
	"end\n"
	"local function data(id, bytes) return feed(DATA, id, 0, bytes) end\n"
	"local function eq(got, want, what)\n"
	"  if got ~= want then error(what .. ': want ' .. tostring(want) .. ', got ' .. tostring(got), 2) end\n"
	"end\n"
	"local function expect_data(want, id, ...)\n"
	"  local t, fd, msg, sz = ...\n"
	"  eq(t, 'data', 'event for ' .. want)\n"
	"  eq(fd, id, 'fd')\n"
	"  eq(netpack.tostring(msg, sz), want, 'packet')\n"
	"end\n"
	"local function expect_pops(list)\n"
	"  for _, p in ipairs(list) do\n"
	"    local fd, msg, sz = netpack.pop(q)\n"
	"    eq(fd, p[1], 'popped fd')\n"
	"    eq(netpack.tostring(msg, sz), p[2], 'popped packet')\n"
	"  end\n"
	"  eq(netpack.pop(q), nil, 'queue drained')\n"
	"end\n"
	"-- one whole packet\n"
	"expect_data('hello', 1, data(1, '\\0\\5hello'))\n"
	"-- two packets in one read\n"
	"eq(data(1, '\\0\\1a\\0\\2bc'), 'more', 'two packets')\n"
	"expect_pops { {1, 'a'}, {1, 'bc'} }\n"
	"-- the header split\n"
	"eq(data(1, '\\0'), nil, 'one header byte')\n"
	"expect_data('abc', 1, data(1, '\\3abc'))\n"
	"-- the body split\n"
	"eq(data(1, '\\0\\5he'), nil, 'partial body')\n"
	"expect_data('hello', 1, data(1, 'llo'))\n"
	"-- a whole packet then the start of the next\n"
	"expect_data('a', 1, data(1, '\\0\\1a\\0\\5xy'))\n"
	"expect_data('xyzzz', 1, data(1, 'zzz'))\n"
	"-- the end of one packet, another whole one\n"
	"eq(data(1, '\\0\\3a'), nil, 'partial')\n"
	"eq(data(1, 'bc\\0\\1d'), 'more', 'completion and more')\n"
	"expect_pops { {1, 'abc'}, {1, 'd'} }\n"
	"-- empty packets\n"
	"expect_data('', 1, data(1, '\\0\\0'))\n"
	"-- two connections interleaved\n"
	"eq(data(1, '\\0\\4ab'), nil, 'fd 1 partial')\n"
	"expect_data('xy', 2, data(2, '\\0\\2xy'))\n"
	"expect_data('abcd', 1, data(1, 'cd'))\n"
	"-- a 65535-byte promise, half kept, then the peer goes\n"
	"eq(data(3, '\\255\\255' .. string.rep('x', 30000)), nil, 'big partial')\n"
	"local t, fd = feed(CLOSE, 3, 0)\n"
	"eq(t, 'close', 'close event'); eq(fd, 3, 'close fd')\n"
	"expect_data('new', 3, data(3, '\\0\\3new'))\n"
	"-- the same on error\n"
	"eq(data(4, '\\1\\0' .. string.rep('y', 10)), nil, 'partial before error')\n"
	"local t, fd, text = feed(ERROR, 4, 0, 'Connection reset by peer')\n"
	"eq(t, 'error', 'error event'); eq(fd, 4, 'error fd'); eq(text, 'Connection reset by peer', 'error text')\n"
	"-- other events\n"
	"local t, fd, addr = feed(ACCEPT, 9, 12, '127.0.0.1:5555')\n"
	"eq(t, 'open', 'accept'); eq(fd, 12, 'accepted id'); eq(addr, '127.0.0.1:5555', 'address')\n"
	"local t, fd, kb = feed(WARNING, 12, 2048)\n"
	"eq(t, 'warning', 'warning'); eq(fd, 12, 'warning fd'); eq(kb, 2048, 'warning size')\n"
	"eq(feed(2, 9, 0, 'start'), nil, 'a listener starting is no event')\n"
	"-- a large packet over many reads\n"
	"local big = string.rep('0123456789', 6000)\n"
	"local framed = string.pack('>s2', big)\n"
	"for i = 1, #framed - 1000, 1000 do eq(data(5, framed:sub(i, i + 999)), nil, 'big chunk') end\n"
	"expect_data(big, 5, data(5, framed:sub(#framed - (#framed % 1000 == 0 and 1000 or #framed % 1000) + 1)))\n"
	"-- pack\n"
	"local p, sz = netpack.pack('hello')\n"
	"eq(sz, 7, 'packed size'); eq(netpack.tostring(p, sz), '\\0\\5hello', 'packed bytes')\n"
	"local ok, err = pcall(netpack.pack, string.rep('z', 65536))\n"
	"eq(ok, false, 'oversize pack'); assert(err:find('too long'), err)\n"
	"-- clear drops what is pending; GC frees a queue left with partials\n"
	"eq(data(6, '\\0\\9abc'), nil, 'pending')\n"
	"eq(data(7, '\\0\\1a\\0\\1b'), 'more', 'queued')\n"
	"netpack.clear(q)\n"
	"eq(netpack.pop(q), nil, 'cleared')\n"
	"eq(data(8, '\\0\\9abc'), nil, 'pending before gc')\n"
	"q = nil\n"
	"collectgarbage()\n"
	"print('netpack: all passed')\n";

int
main(void) {
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	luaL_requiref(L, "skynet.netpack", luaopen_skynet_netpack, 0);
	lua_pop(L, 1);
	lua_register(L, "message", lmessage);
	lua_register(L, "free", lfree);
	int status = luaL_dostring(L, script);
	if (status != LUA_OK)
		fprintf(stderr, "FAIL %s\n", lua_tostring(L, -1));
	lua_close(L);
	return status == LUA_OK ? 0 : 1;
}
