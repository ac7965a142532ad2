/*
 * Reading the config file (Lua syntax: key = value lines, include "file",
 * $NAME from the environment) into the env, in a scratch Lua state that a
 * config cannot take down the node with: files are capped in size, the
 * state in memory and the code in instructions.
 *
 * $NAME is replaced by the value of the environment variable NAME, as a
 * value and never as source: inside a quoted string its bytes are escaped,
 * inside a long string it must not contain ']', elsewhere it becomes a
 * number or boolean literal when it reads as one and a quoted string
 * otherwise.  Comments are left alone.
 */
#include "skynet_config.h"
#include "skynet_env.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILE_SIZE (16u << 20)   /* one config file */
#define MAX_MEMORY (256u << 20)     /* everything the config's Lua state holds */
#define MAX_INSTRUCTIONS 10000000   /* a config runs a few thousand */
#define HOOK_STEP 10000             /* instructions between two looks at the count */

struct limits {
	size_t memory;
	long instructions;
};

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
	struct limits *lim = ud;
	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		lim->memory -= osize;
		free(ptr);
		return NULL;
	}
	if (nsize > osize && lim->memory + (nsize - osize) > MAX_MEMORY)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p)
		lim->memory = lim->memory - osize + nsize;
	return p;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
	(void)ar;
	void *ud;
	lua_getallocf(L, &ud);
	struct limits *lim = ud;
	lim->instructions += HOOK_STEP;
	if (lim->instructions > MAX_INSTRUCTIONS) {
		luaL_where(L, 0);
		lua_pushfstring(L, "%sthe config runs more than %d instructions (an endless loop?)",
			lua_tostring(L, -1), MAX_INSTRUCTIONS);
		lua_error(L);
	}
}

/* raises the message alone: it names its file, the loader's lines are noise */
static int fail(lua_State *L, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	return lua_error(L);
}

/* ---- readfile(filename): the file's text, at most MAX_FILE_SIZE bytes ---- */

static int file_error(lua_State *L, FILE *f, const char *fmt, const char *filename, const char *why) {
	if (f)
		fclose(f);
	return fail(L, fmt, filename, why);
}

static int lreadfile(lua_State *L) {
	const char *filename = luaL_checkstring(L, 1);
	FILE *f = fopen(filename, "rb");
	if (f == NULL)
		return file_error(L, f, "cannot open config file %s: %s", filename, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
		return file_error(L, f, "config file %s is a directory%s", filename, "");
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	size_t total = 0;
	for (;;) {
		char *p = luaL_prepbuffer(&b);
		size_t n = fread(p, 1, LUAL_BUFFERSIZE, f);
		luaL_addsize(&b, n);
		total += n;
		if (total > MAX_FILE_SIZE)
			return file_error(L, f, "config file %s is larger than %s", filename, "16 MB");
		if (n < LUAL_BUFFERSIZE)
			break;
	}
	if (ferror(f))
		return file_error(L, f, "cannot read config file %s: %s", filename, strerror(errno));
	fclose(f);
	luaL_pushresult(&b);
	return 1;
}

/* ---- expand(text, filename): the text with $NAME substituted ---- */

struct expander {
	lua_State *L;
	luaL_Buffer *b;
	const char *p, *end;
	const char *filename;
};

static int is_name_start(int c) {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_name_char(int c) {
	return is_name_start(c) || (c >= '0' && c <= '9');
}

/* at "$NAME": skips it and returns the variable's value */
static const char *take_variable(struct expander *e) {
	const char *name = ++e->p;
	while (e->p < e->end && is_name_char((unsigned char)*e->p))
		e->p++;
	int len = (int)(e->p - name);
	char var[256];
	if (len >= (int)sizeof(var))
		fail(e->L, "%s: an environment variable name is longer than %d bytes", e->filename, (int)sizeof(var) - 1);
	memcpy(var, name, (size_t)len);
	var[len] = '\0';
	const char *value = getenv(var);
	if (value == NULL)
		fail(e->L, "%s: environment variable $%s is not set", e->filename, var);
	return value;
}

static int at_variable(const struct expander *e) {
	return *e->p == '$' && e->p + 1 < e->end && is_name_start((unsigned char)e->p[1]);
}

/* the bytes of value, escaped for a quoted string: quotes, backslashes and
 * control characters as \ddd */
static void add_escaped(luaL_Buffer *b, const char *value) {
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if (*s < 0x20 || *s == 0x7f || *s == '\\' || *s == '"' || *s == '\'') {
			char esc[5];
			snprintf(esc, sizeof(esc), "\\%03u", *s);
			luaL_addstring(b, esc);
		} else {
			luaL_addchar(b, (char)*s);
		}
	}
}

/* value outside any string: a numeral (in parentheses), true, false, or a
 * quoted string */
static void add_value(struct expander *e, const char *value) {
	size_t len = strlen(value);
	const char *first = value + strspn(value, " \t");
	size_t n = strlen(first);
	while (n > 0 && (first[n - 1] == ' ' || first[n - 1] == '\t'))
		n--;
	int numeral = n > 0 && strspn(first, "0123456789abcdefABCDEFxXpP.+-") >= n &&
		lua_stringtonumber(e->L, value) != 0;
	if (numeral) {
		if (*first == '+') { /* Lua's numerals have no unary plus */
			first++;
			n--;
		}
		lua_pop(e->L, 1);
		luaL_addchar(e->b, '(');
		luaL_addlstring(e->b, first, n);
		luaL_addchar(e->b, ')');
	} else if (strcmp(value, "true") == 0 || strcmp(value, "false") == 0) {
		luaL_addlstring(e->b, value, len);
	} else {
		luaL_addchar(e->b, '"');
		add_escaped(e->b, value);
		luaL_addchar(e->b, '"');
	}
}

/* at a quote: copies the string up to its closing quote */
static void expand_quoted(struct expander *e) {
	char quote = *e->p++;
	luaL_addchar(e->b, quote);
	while (e->p < e->end) {
		char c = *e->p;
		if (c == '\\' && e->p + 1 < e->end) {
			luaL_addlstring(e->b, e->p, 2);
			e->p += 2;
		} else if (at_variable(e)) {
			add_escaped(e->b, take_variable(e));
		} else {
			luaL_addchar(e->b, c);
			e->p++;
			if (c == quote || c == '\n')
				return; /* the end, or an unfinished string for the parser to report */
		}
	}
}

/* the level of a long bracket "[==[" at p, or -1 */
static int long_bracket(const char *p, const char *end) {
	const char *q = p + 1;
	while (q < end && *q == '=')
		q++;
	return q < end && *q == '[' ? (int)(q - p - 1) : -1;
}

/* at "]": whether "]" level*"=" "]" follows */
static int closes_long(const char *p, const char *end, int level) {
	if (end - p < level + 2)
		return 0;
	for (int i = 1; i <= level; i++)
		if (p[i] != '=')
			return 0;
	return p[level + 1] == ']';
}

/* at a long bracket: copies the long string or comment up to its end;
 * variables are substituted only in strings */
static void expand_long(struct expander *e, int level, int substitute) {
	luaL_addlstring(e->b, e->p, (size_t)level + 2);
	e->p += level + 2;
	while (e->p < e->end) {
		if (*e->p == ']' && closes_long(e->p, e->end, level)) {
			luaL_addlstring(e->b, e->p, (size_t)level + 2);
			e->p += level + 2;
			return;
		}
		if (substitute && at_variable(e)) {
			const char *value = take_variable(e);
			if (strchr(value, ']'))
				fail(e->L, "%s: the value of an environment variable in a long string "
					"contains ']'", e->filename);
			luaL_addstring(e->b, value);
		} else {
			luaL_addchar(e->b, *e->p++);
		}
	}
}

/* at "--": copies the comment */
static void copy_comment(struct expander *e) {
	luaL_addlstring(e->b, e->p, 2);
	e->p += 2;
	int level;
	if (e->p < e->end && *e->p == '[' && (level = long_bracket(e->p, e->end)) >= 0) {
		expand_long(e, level, 0);
		return;
	}
	while (e->p < e->end && *e->p != '\n')
		luaL_addchar(e->b, *e->p++);
}

static int lexpand(lua_State *L) {
	size_t len;
	const char *text = luaL_checklstring(L, 1, &len);
	luaL_Buffer b;
	struct expander e = { L, &b, text, text + len, luaL_checkstring(L, 2) };
	luaL_buffinit(L, &b);
	while (e.p < e.end) {
		char c = *e.p;
		int level;
		if (c == '-' && e.p + 1 < e.end && e.p[1] == '-')
			copy_comment(&e);
		else if (c == '"' || c == '\'')
			expand_quoted(&e);
		else if (c == '[' && (level = long_bracket(e.p, e.end)) >= 0)
			expand_long(&e, level, 1);
		else if (at_variable(&e))
			add_value(&e, take_variable(&e));
		else
			luaL_addchar(&b, *e.p++);
	}
	luaL_pushresult(&b);
	return 1;
}

/* ---- the loader ---- */

/* runs in the scratch state with (config_file, readfile, expand): returns
 * the config as a flat table of strings */
static const char *load_config =
	"local config_file, readfile, expand = ...\n"
	"local config = {}\n"
	"local dirs = {}\n"
	"local function include(name)\n"
	"  if type(name) ~= 'string' then error('include needs a file name', 2) end\n"
	"  local filename = name\n"
	"  if name:sub(1, 1) ~= '/' and #dirs > 0 then filename = dirs[#dirs] .. name end\n"
	"  local source = expand(readfile(filename), filename)\n"
	"  local chunk, err = load(source, '@' .. filename, 't', config)\n"
	"  if not chunk then error('syntax error in config ' .. err, 0) end\n"
	"  dirs[#dirs + 1] = filename:match('^(.*/)') or ''\n"
	"  chunk()\n"
	"  dirs[#dirs] = nil\n"
	"end\n"
	"setmetatable(config, { __index = { include = include } })\n"
	"include(config_file)\n"
	"setmetatable(config, nil)\n"
	"for k, v in pairs(config) do\n"
	"  local t = type(v)\n"
	"  if type(k) ~= 'string' then error('config key ' .. tostring(k) .. ' is not a name', 0) end\n"
	"  if t ~= 'string' and t ~= 'number' and t ~= 'boolean' then\n"
	"    error('config key ' .. k .. ' has a ' .. t .. ' value (want a string, number or boolean)', 0)\n"
	"  end\n"
	"  if math.type(v) == 'float' and v == math.floor(v) and v > -2^53 and v < 2^53 then\n"
	"    v = math.tointeger(v)\n"
	"  end\n"
	"  config[k] = tostring(v)\n"
	"end\n"
	"return config\n";

/* what main checks once the defaults are in: (file, bootstrap, start,
 * luaservice, preload); start may carry arguments after the service name */
static const char *check_config =
	"local file, bootstrap, start, luaservice, preload = ...\n"
	"start = (start or 'main'):match('^%s*(%S*)')\n"
	"local function flat(err) return (err:gsub('\\n\\t', ' ')) end\n"
	"if bootstrap == 'snlua bootstrap' then\n"
	"  local name = start:match('%S+')\n" /* the words after it are its arguments */
	"  if not name then error(file .. ': start is empty', 0) end\n"
	"  local filename, err = package.searchpath(name, luaservice, '')\n"
	"  if not filename then\n"
	"    error(string.format('%s: start service %s not found: %s', file, name, flat(err)), 0)\n"
	"  end\n"
	"  local ok, lerr = loadfile(filename)\n"
	"  if not ok then error(string.format('%s: start service %s: %s', file, name, lerr), 0) end\n"
	"end\n"
	"if preload then\n"
	"  local ok, err = loadfile(preload)\n"
	"  if not ok then error(string.format('%s: preload: %s', file, err), 0) end\n"
	"end\n";

/* runs code in a fresh limited state with the n strings of args (NULL:
 * nil), then readfile and expand, and,
 * when results, stores the returned table in the env; exits on an error */
static void run_limited(const char *name, const char *code, const char **args, int n, int results) {
	struct limits lim = { 0, 0 };
	lua_State *L = lua_newstate(limited_alloc, &lim);
	if (L == NULL) {
		fprintf(stderr, "error: config: not enough memory\n");
		exit(1);
	}
	luaL_openlibs(L);
	lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_STEP);
	int r = luaL_loadbuffer(L, code, strlen(code), name);
	if (r == LUA_OK) {
		for (int i = 0; i < n; i++)
			lua_pushstring(L, args[i]);
		lua_pushcfunction(L, lreadfile);
		lua_pushcfunction(L, lexpand);
		r = lua_pcall(L, n + 2, results, 0);
	}
	if (r != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		if (r == LUA_ERRMEM)
			fprintf(stderr, "error: config: %s: the config needs more than %u MB\n", args[0], MAX_MEMORY >> 20);
		else
			fprintf(stderr, "error: config: %s\n", msg ? msg : "(error object is not a string)");
		lua_close(L);
		exit(1);
	}
	if (results) {
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			skynet_setenv(lua_tostring(L, -2), lua_tostring(L, -1));
			lua_pop(L, 1);
		}
	}
	lua_close(L);
}

void skynet_config_load(const char *file) {
	run_limited("=[config loader]", load_config, &file, 1, 1);
}

void skynet_config_check(const char *file) {
	const char *args[] = { file, skynet_getenv("bootstrap"), skynet_getenv("start"),
		skynet_getenv("luaservice"), skynet_getenv("preload") };
	run_limited("=[config check]", check_config, args, 5, 0);
}
