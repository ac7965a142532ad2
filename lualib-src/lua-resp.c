/*
 * skynet.db.redis.resp: the redis protocol (RESP2) for skynet.db.redis.
 *
 *   command(name [, v, ...]) -> request
 *       one command: no arguments when v is absent or nil, the items
 *       1..(v.n or #v) of v when v is a table, else v and the rest
 *   pipeline(ops) -> requests, count
 *       every { name, args... } of ops (op.n or #op), in one string
 *   parse(box, count [, results, at]) -> done, ok, value, need
 *       up to count replies from the bytes received so far on a
 *       connection, box = { data, pos }: pos is moved past them
 *
 * Requests are arrays of bulk strings: the name upper-cased, the arguments
 * converted as tostring does; a nil argument is an error.
 *
 * parse converts each reply: status -> string, integer -> integer, bulk ->
 * string (nil when absent), array -> table (nil when absent), error ->
 * its text with ok = false; an array holding an error anywhere is returned
 * whole with ok = false.  With results, reply k is stored as
 * results[at + k - 1] = { ok = ok, out = value } and no value is returned;
 * ok (and value) are the last reply's.  done counts the complete replies.
 * When the data ends inside a reply, need (else nil) is the count of bytes
 * still missing at least; the caller appends more to data[pos..] and calls
 * again.  A malformed reply is a Lua error.
 */
#define LUA_LIB

#include <lua.h>
#include <lauxlib.h>

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* the shortest reply, "+\r\n": an array of n items takes 3n bytes at least */
#define MIN_REPLY 3
/* arrays nested deeper are refused: the parser recurses on the C stack */
#define MAX_DEPTH 1000
/* a bulk string's length stays below INT_MAX, the socket buffer counting
 * its bytes in an int */
#define MAX_BULK (INT_MAX - 2)
/* digits of a length or integer line; a longer one is malformed */
#define MAX_NUMBER_LINE 24

/* ------------------------------------------------------------ requests */

/* the longest "$<n>\r\n" or "*<n>\r\n" */
#define HEADER_MAX 24

/* writes "<mark><n>\r\n" at p; returns its end */
static char *
put_count(char *p, char mark, size_t n) {
	char digits[20];
	int k = 0;
	do {
		digits[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	*p++ = mark;
	while (k > 0)
		*p++ = digits[--k];
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

static void
add_count(luaL_Buffer *b, char mark, size_t n) {
	char *p = luaL_prepbuffsize(b, HEADER_MAX);
	luaL_addsize(b, (size_t)(put_count(p, mark, n) - p));
}

/* appends "$<len>\r\n<s>\r\n" */
static void
add_bulk(luaL_Buffer *b, const char *s, size_t len) {
	char *p = luaL_prepbuffsize(b, HEADER_MAX + len + 2);
	char *q = put_count(p, '$', len);
	memcpy(q, s, len);
	q += len;
	*q++ = '\r';
	*q++ = '\n';
	luaL_addsize(b, (size_t)(q - p));
}

/* appends name as a bulk string, upper-cased */
static void
add_name(luaL_Buffer *b, const char *name, size_t len) {
	char *p = luaL_prepbuffsize(b, HEADER_MAX + len + 2);
	char *q = put_count(p, '$', len);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		*q++ = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	*q++ = '\r';
	*q++ = '\n';
	luaL_addsize(b, (size_t)(q - p));
}

/* the strings the functions keep as upvalues */
enum { KEY_N = 1, KEY_OK, KEY_OUT, KEYS };

/* raises msg at the position of the code that called the driver */
static int
caller_error(lua_State *L, const char *msg) {
	luaL_where(L, 2);
	lua_pushstring(L, msg);
	lua_concat(L, 2);
	return lua_error(L);
}

/*
 * Appends the value on top of the stack, above the buffer, as argument i
 * of command name.  Its string is moved to the stack slot keep, below the
 * buffer, where it stays alive while it is copied: the buffer's functions
 * want the buffer on top, and it may not move (it is to-be-closed).
 */
static void
add_argument(lua_State *L, luaL_Buffer *b, int keep, const char *name, lua_Integer i) {
	size_t len;
	const char *s;
	switch (lua_type(L, -1)) {
	case LUA_TNIL:
		lua_pushfstring(L, "redis %s: argument %I is nil", name, i);
		caller_error(L, lua_tostring(L, -1));
		return;
	case LUA_TSTRING:
	case LUA_TNUMBER:
		s = lua_tolstring(L, -1, &len);
		break;
	default:
		s = luaL_tolstring(L, -1, &len);
		lua_remove(L, -2);
		break;
	}
	lua_replace(L, keep);
	add_bulk(b, s, len);
}

/* the argument count of the table at index: its n, or its length (raw
 * lookups for a table without a metatable, the common case) */
static lua_Integer
table_count(lua_State *L, int index) {
	bool plain = !lua_getmetatable(L, index);
	int type;
	if (plain) {
		lua_pushvalue(L, lua_upvalueindex(KEY_N));
		type = lua_rawget(L, index);
	} else {
		lua_pop(L, 1);
		type = lua_getfield(L, index, "n");
	}
	lua_Integer n;
	if (type == LUA_TNIL) {
		n = plain ? (lua_Integer)lua_rawlen(L, index) : luaL_len(L, index);
	} else {
		int isint;
		n = lua_tointegerx(L, -1, &isint);
		if (!isint)
			luaL_error(L, "redis: the argument table's n is not an integer");
	}
	lua_pop(L, 1);
	return n < 0 ? 0 : n;
}

/* appends command name with the items first..last of the table at index */
static void
add_table_command(lua_State *L, luaL_Buffer *b, int keep, const char *name, size_t name_len,
		int index, lua_Integer first, lua_Integer last) {
	lua_Integer count = last >= first ? last - first + 1 : 0;
	add_count(b, '*', (size_t)count + 1);
	add_name(b, name, name_len);
	for (lua_Integer i = first; i <= last; i++) {
		lua_geti(L, index, i);
		add_argument(L, b, keep, name, i - first + 1);
	}
}

/* room for the values pushed above a buffer, error messages included */
#define STACK_ROOM 8

static int
lcommand(lua_State *L) {
	size_t name_len;
	const char *name = luaL_checklstring(L, 1, &name_len);
	int top = lua_gettop(L);
	bool table = lua_type(L, 2) == LUA_TTABLE;
	int args = lua_isnoneornil(L, 2) ? 0 : top - 1;
	luaL_checkstack(L, STACK_ROOM, NULL);
	lua_pushnil(L);
	int keep = top + 1;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	if (table) {
		add_table_command(L, &b, keep, name, name_len, 2, 1, table_count(L, 2));
	} else {
		add_count(&b, '*', (size_t)args + 1);
		add_name(&b, name, name_len);
		for (int i = 1; i <= args; i++) {
			lua_pushvalue(L, 1 + i);
			add_argument(L, &b, keep, name, i);
		}
	}
	luaL_pushresult(&b);
	return 1;
}

static int
lpipeline(lua_State *L) {
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkstack(L, STACK_ROOM, NULL);
	enum { OP = 2, NAME, KEEP }; /* slots below the buffer */
	lua_settop(L, KEEP);
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	lua_Integer count = 0;
	for (;;) {
		if (lua_geti(L, 1, count + 1) == LUA_TNIL)
			break;
		count++;
		lua_replace(L, OP);
		if (lua_type(L, OP) != LUA_TTABLE || lua_geti(L, OP, 1) != LUA_TSTRING) {
			lua_pushfstring(L, "redis pipeline: operation %I is not { name, args... }", count);
			return caller_error(L, lua_tostring(L, -1));
		}
		size_t name_len;
		const char *name = lua_tolstring(L, -1, &name_len);
		lua_replace(L, NAME);
		add_table_command(L, &b, KEEP, name, name_len, OP, 2, table_count(L, OP));
	}
	lua_pop(L, 1);
	luaL_pushresult(&b);
	lua_pushinteger(L, count);
	return 2;
}

/* ------------------------------------------------------------- replies */

struct reader {
	lua_State *L;
	const char *p;   /* the next byte to parse */
	const char *end; /* the end of the data */
};

enum { REPLY_ERROR, REPLY_OK, INCOMPLETE };

/* raises "redis: <what> "<the bytes at, escaped>"" */
static int
malformed(lua_State *L, const char *what, const char *at, size_t len) {
	char shown[32 * 4 + 1];
	size_t n = 0;
	for (size_t i = 0; i < len && i < 32; i++) {
		unsigned char c = (unsigned char)at[i];
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\%c", c);
		else if (c >= ' ' && c < 127)
			shown[n++] = (char)c;
		else if (c == '\r' || c == '\n')
			n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\%c", c == '\r' ? 'r' : 'n');
		else
			n += (size_t)snprintf(shown + n, sizeof(shown) - n, "\\x%02x", c);
	}
	shown[n] = '\0';
	return luaL_error(L, "redis: %s \"%s\"%s", what, shown, len > 32 ? "..." : "");
}

/* the line after the type byte at r->p: sets *line, *len and moves r->p
 * past its CRLF; false when the data ends first */
static bool
read_line(struct reader *r, const char **line, size_t *len) {
	const char *start = r->p + 1;
	const char *p = start;
	for (;;) {
		const char *cr = memchr(p, '\r', (size_t)(r->end - p));
		if (cr == NULL || cr + 1 == r->end)
			return false;
		if (cr[1] == '\n') {
			*line = start;
			*len = (size_t)(cr - start);
			r->p = cr + 2;
			return true;
		}
		p = cr + 1;
	}
}

/* a line holding a signed 64-bit integer in decimal, and nothing else */
static bool
line_integer(const char *s, size_t len, lua_Integer *value) {
	bool negative = len > 0 && s[0] == '-';
	size_t i = negative ? 1 : 0;
	if (i == len)
		return false;
	uint64_t limit = negative ? (uint64_t)LUA_MAXINTEGER + 1 : (uint64_t)LUA_MAXINTEGER;
	uint64_t n = 0;
	for (; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9 || n > (limit - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*value = negative ? (lua_Integer)(0 - n) : (lua_Integer)n;
	return true;
}

/* The number of a ':', '$' or '*' reply at r->p; false when its line is
 * not all there.  A length or count is checked against the limits. */
static bool
read_number(struct reader *r, lua_Integer *value) {
	const char *type = r->p;
	const char *line;
	size_t len;
	if (!read_line(r, &line, &len)) {
		if (r->end - type > MAX_NUMBER_LINE)
			malformed(r->L, "malformed reply header", type, (size_t)(r->end - type));
		return false;
	}
	if (len > MAX_NUMBER_LINE || !line_integer(line, len, value))
		malformed(r->L, "malformed reply header", type, len + 1);
	if (*type == '$' && *value > MAX_BULK)
		luaL_error(r->L, "redis: a bulk reply of %I bytes is too long", *value);
	if (*type == '*' && *value > INT_MAX)
		luaL_error(r->L, "redis: an array reply of %I items is too long", *value);
	return true;
}

/* The reply at r->p, not necessarily all received: pushes its value and
 * returns REPLY_OK or REPLY_ERROR, or pushes nothing and returns INCOMPLETE
 * (r->p is then anywhere inside the reply). */
static int parse_reply(struct reader *r, int depth);

static int
parse_bulk(struct reader *r) {
	lua_Integer len;
	if (!read_number(r, &len))
		return INCOMPLETE;
	if (len < 0) {
		lua_pushnil(r->L);
		return REPLY_OK;
	}
	if ((size_t)(r->end - r->p) < (size_t)len + 2)
		return INCOMPLETE;
	const char *s = r->p;
	if (s[len] != '\r' || s[len + 1] != '\n')
		luaL_error(r->L, "redis: bulk reply not terminated by CRLF");
	lua_pushlstring(r->L, s, (size_t)len);
	r->p += len + 2;
	return REPLY_OK;
}

static int
parse_array(struct reader *r, int depth) {
	lua_State *L = r->L;
	lua_Integer n;
	if (!read_number(r, &n))
		return INCOMPLETE;
	if (n < 0) {
		lua_pushnil(L);
		return REPLY_OK;
	}
	/* too few bytes for its items: no table sized for them */
	if ((uint64_t)n > (size_t)(r->end - r->p) / MIN_REPLY)
		return INCOMPLETE;
	if (depth >= MAX_DEPTH)
		luaL_error(L, "redis: reply arrays nested deeper than %d", MAX_DEPTH);
	luaL_checkstack(L, 3, "redis: reply too deep");
	lua_createtable(L, (int)n, 0);
	int result = REPLY_OK;
	for (lua_Integer i = 1; i <= n; i++) {
		int item = parse_reply(r, depth + 1);
		if (item == INCOMPLETE) {
			lua_pop(L, 1);
			return INCOMPLETE;
		}
		if (item == REPLY_ERROR)
			result = REPLY_ERROR;
		lua_rawseti(L, -2, i);
	}
	return result;
}

static int
parse_reply(struct reader *r, int depth) {
	if (r->p == r->end)
		return INCOMPLETE;
	const char *line;
	size_t len;
	lua_Integer n;
	switch (*r->p) {
	case '$':
		return parse_bulk(r);
	case '*':
		return parse_array(r, depth);
	case ':':
		if (!read_number(r, &n))
			return INCOMPLETE;
		lua_pushinteger(r->L, n);
		return REPLY_OK;
	case '+':
	case '-':
		if (!read_line(r, &line, &len))
			return INCOMPLETE;
		lua_pushlstring(r->L, line, len);
		return line[-1] == '+' ? REPLY_OK : REPLY_ERROR;
	default:
		return malformed(r->L, "unknown reply type", r->p, (size_t)(r->end - r->p));
	}
}

/*
 * A reply not all received is scanned, not parsed, until it is: its bytes
 * are checked for completeness as they come, and the scan goes on where it
 * stopped, so that a large reply costs one pass however it is cut.  The
 * scan is kept in the connection's box: box[SCAN] is the offset of the
 * next byte to scan from the reply's start, box[SCAN + k] the items still
 * to scan at nesting level k (level 1 is the reply itself).
 */
#define SCAN 3

struct scan {
	size_t offset;
	bool bulk_end; /* the 2 bytes before offset end a bulk string: CRLF? */
	int depth;
	int left[MAX_DEPTH + 1];
};

static void
load_scan(lua_State *L, int box, struct scan *s) {
	if (lua_rawgeti(L, box, SCAN) == LUA_TNIL) {
		s->offset = 0;
		s->bulk_end = false;
		s->depth = 1;
		s->left[1] = 1;
	} else {
		/* negative: a bulk string's end still to be checked */
		lua_Integer offset = lua_tointeger(L, -1);
		s->bulk_end = offset < 0;
		s->offset = (size_t)(offset < 0 ? -offset : offset);
		s->depth = (int)lua_rawlen(L, box) - SCAN;
		if (s->depth < 1 || s->depth > MAX_DEPTH)
			luaL_error(L, "redis: corrupt reply scan");
		for (int k = 1; k <= s->depth; k++) {
			lua_rawgeti(L, box, SCAN + k);
			s->left[k] = (int)lua_tointeger(L, -1);
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
}

static void
save_scan(lua_State *L, int box, const struct scan *s) {
	lua_Integer offset = (lua_Integer)s->offset;
	lua_pushinteger(L, s->bulk_end ? -offset : offset);
	lua_rawseti(L, box, SCAN);
	for (int k = 1; k <= s->depth; k++) {
		lua_pushinteger(L, s->left[k]);
		lua_rawseti(L, box, SCAN + k);
	}
}

static void
clear_scan(lua_State *L, int box, int depth) {
	for (int k = depth; k >= 0; k--) {
		lua_pushnil(L);
		lua_rawseti(L, box, SCAN + k);
	}
}

/* Scans on from the scan in box over the reply at start..end: true once
 * it is all there (the scan is cleared), else false and *need is the bytes
 * it needs at least (the scan is saved). */
static bool
scan_reply(lua_State *L, int box, const char *start, const char *end, size_t *need) {
	struct scan s;
	load_scan(L, box, &s);
	int deepest = s.depth;
	size_t have = (size_t)(end - start);
	for (;;) {
		if (s.offset > have) {
			*need = s.offset - have; /* the rest of a bulk string */
			break;
		}
		if (s.bulk_end) {
			if (start[s.offset - 2] != '\r' || start[s.offset - 1] != '\n')
				luaL_error(L, "redis: bulk reply not terminated by CRLF");
			s.bulk_end = false;
		}
		if (s.left[s.depth] == 0) {
			if (--s.depth == 0)
				break;
			continue;
		}
		if (s.offset == have) {
			*need = 1;
			break;
		}
		struct reader r = { L, start + s.offset, end };
		const char *line;
		size_t len;
		lua_Integer n = 0;
		char type = *r.p;
		bool whole;
		if (type == '+' || type == '-')
			whole = read_line(&r, &line, &len);
		else if (type == ':' || type == '$' || type == '*')
			whole = read_number(&r, &n);
		else
			return malformed(L, "unknown reply type", r.p, (size_t)(end - r.p));
		if (!whole) {
			*need = 1;
			break;
		}
		s.left[s.depth]--;
		s.offset = (size_t)(r.p - start);
		if (type == '$' && n >= 0) {
			s.offset += (size_t)n + 2;
			s.bulk_end = true;
		} else if (type == '*' && n > 0) {
			if (s.depth >= MAX_DEPTH)
				luaL_error(L, "redis: reply arrays nested deeper than %d", MAX_DEPTH);
			s.left[++s.depth] = (int)n;
			if (s.depth > deepest)
				deepest = s.depth;
		}
	}
	clear_scan(L, box, deepest);
	if (s.depth == 0)
		return true;
	save_scan(L, box, &s);
	return false;
}

/* results[at] = { ok = ok, out = <the value on top> }; pops the value */
static void
store_result(lua_State *L, int results, lua_Integer at, bool ok) {
	lua_createtable(L, 0, 2);
	lua_pushvalue(L, lua_upvalueindex(KEY_OK));
	lua_pushboolean(L, ok);
	lua_rawset(L, -3);
	lua_pushvalue(L, lua_upvalueindex(KEY_OUT));
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	lua_seti(L, results, at);
	lua_pop(L, 1);
}

/* parse(box, count [, results, at]) -> done, ok, value, need: box is
 * { data, pos [, scan] }, updated to the first unparsed byte */
static int
lparse(lua_State *L) {
	enum { BOX = 1, COUNT, RESULTS, AT, DATA };
	luaL_checktype(L, BOX, LUA_TTABLE);
	lua_Integer count = luaL_checkinteger(L, COUNT);
	luaL_argcheck(L, count >= 1, COUNT, "count must be positive");
	bool collect = !lua_isnoneornil(L, RESULTS);
	lua_Integer at = 0;
	if (collect) {
		luaL_checktype(L, RESULTS, LUA_TTABLE);
		at = luaL_checkinteger(L, AT);
	}
	lua_settop(L, AT);
	size_t size;
	if (lua_rawgeti(L, BOX, 1) != LUA_TSTRING || lua_rawgeti(L, BOX, 2) != LUA_TNUMBER)
		return luaL_argerror(L, BOX, "not { data, pos }");
	const char *data = lua_tolstring(L, DATA, &size);
	lua_Integer pos = lua_tointeger(L, -1);
	lua_pop(L, 1);
	luaL_argcheck(L, pos >= 1 && (size_t)pos - 1 <= size, BOX, "position out of the data");
	struct reader r = { L, data + pos - 1, data + size };
	bool scanning = lua_rawgeti(L, BOX, SCAN) != LUA_TNIL;
	lua_pop(L, 1);
	lua_Integer done = 0;
	int last = INCOMPLETE;
	size_t need = 0;
	while (done < count) {
		const char *start = r.p;
		int reply = scanning ? INCOMPLETE : parse_reply(&r, 0);
		if (reply == INCOMPLETE) {
			r.p = start;
			if (!scan_reply(L, BOX, start, r.end, &need))
				break;
			scanning = false;
			reply = parse_reply(&r, 0);
			if (reply == INCOMPLETE)
				return luaL_error(L, "redis: a reply scanned whole did not parse");
		}
		if (done > 0 && !collect)
			lua_remove(L, -2); /* only the last value is returned */
		if (collect)
			store_result(L, RESULTS, at + done, reply == REPLY_OK);
		last = reply;
		done++;
	}
	/* what is left, or "" (the data need not stay alive) */
	if (r.p == r.end && done == count) {
		lua_pushliteral(L, "");
		lua_rawseti(L, BOX, 1);
		pos = 1;
	} else {
		pos = r.p - data + 1;
	}
	lua_pushinteger(L, pos);
	lua_rawseti(L, BOX, 2);
	if (collect || last == INCOMPLETE)
		lua_pushnil(L);
	lua_pushinteger(L, done);
	lua_pushboolean(L, last == REPLY_OK);
	lua_rotate(L, -3, -1); /* done, ok, value */
	if (done < count)
		lua_pushinteger(L, (lua_Integer)need);
	else
		lua_pushnil(L);
	return 4;
}

LUAMOD_API int
luaopen_skynet_db_redis_resp(lua_State *L) {
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "command", lcommand },
		{ "pipeline", lpipeline },
		{ "parse", lparse },
		{ NULL, NULL },
	};
	luaL_newlibtable(L, l);
	lua_pushliteral(L, "n");
	lua_pushliteral(L, "ok");
	lua_pushliteral(L, "out");
	luaL_setfuncs(L, l, KEYS - 1);
	return 1;
}
