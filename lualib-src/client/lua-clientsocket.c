/*
** client.socket: a blocking-connect, non-blocking-read TCP socket for
** command-line clients run by a plain Lua interpreter (skynet's
** examples/client.lua), plus a line reader of stdin that never blocks.
**
**   connect(host, port) -> fd          raises "Connect HOST PORT failed"
**   send(fd, data)                     writes everything (waits while the kernel is full)
**   recv(fd) -> data | "" | nothing    "" once the peer closed, nothing when no data yet
**   shutdown(fd, "r" | "w" | "rw"), close(fd), usleep(microseconds)
**   readstdin() -> line | nothing      lines typed so far, without their newline
*/
#define LUA_LIB
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#define RECV_CHUNK 0x1000
#define STDIN_QUEUE 1024

static int connect_to(const char *host, const char *port) {
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	int fd = -1;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

static int lconnect(lua_State *L) {
	const char *host = luaL_checkstring(L, 1);
	lua_Integer port = luaL_checkinteger(L, 2);
	char service[16];
	snprintf(service, sizeof(service), "%d", (int)port);
	int fd = port > 0 && port < 65536 ? connect_to(host, service) : -1;
	if (fd < 0)
		return luaL_error(L, "Connect %s %d failed", host, (int)port);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	lua_pushinteger(L, fd);
	return 1;
}

static int check_fd(lua_State *L, int arg) {
	lua_Integer fd = luaL_checkinteger(L, arg);
	luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, arg, "invalid fd");
	return (int)fd;
}

static int lsend(lua_State *L) {
	int fd = check_fd(L, 1);
	size_t sz;
	const char *p = luaL_checklstring(L, 2, &sz);
	while (sz > 0) {
		ssize_t n = send(fd, p, sz, MSG_NOSIGNAL);
		if (n >= 0) {
			p += n;
			sz -= (size_t)n;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			poll(&pfd, 1, -1);
		} else if (errno != EINTR) {
			return luaL_error(L, "socket error: %s", strerror(errno));
		}
	}
	return 0;
}

static int lrecv(lua_State *L) {
	int fd = check_fd(L, 1);
	char buf[RECV_CHUNK];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return luaL_error(L, "socket error: %s", strerror(errno));
	}
	lua_pushlstring(L, buf, (size_t)n); /* "" when the peer closed */
	return 1;
}

static int lshutdown(lua_State *L) {
	int fd = check_fd(L, 1);
	const char *mode = luaL_checkstring(L, 2);
	int rd = strchr(mode, 'r') != NULL, wr = strchr(mode, 'w') != NULL;
	if (mode[strspn(mode, "rw")] != '\0' || !(rd || wr))
		return luaL_error(L, "mode should be r or/and w");
	shutdown(fd, rd && wr ? SHUT_RDWR : rd ? SHUT_RD : SHUT_WR);
	return 0;
}

static int lclose(lua_State *L) {
	close(check_fd(L, 1));
	return 0;
}

static int lusleep(lua_State *L) {
	lua_Number us = luaL_checknumber(L, 1);
	luaL_argcheck(L, us >= 0 && us < 1e12, 1, "out of range");
	struct timespec ts = { (time_t)(us / 1e6), (long)((long long)us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	return 0;
}

/* stdin lines, read by one thread for the whole process (it outlives any Lua state) */
static struct {
	pthread_mutex_t lock;
	char *line[STDIN_QUEUE];
	int head, tail;
} input = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *read_stdin(void *arg) {
	(void)arg;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		char *copy = strdup(line);
		pthread_mutex_lock(&input.lock);
		int next = (input.tail + 1) % STDIN_QUEUE;
		if (copy && next != input.head) { /* a full queue drops the line */
			input.line[input.tail] = copy;
			input.tail = next;
			copy = NULL;
		}
		pthread_mutex_unlock(&input.lock);
		free(copy);
	}
	free(line);
	return NULL;
}

static void start_reader(void) {
	pthread_t t;
	if (pthread_create(&t, NULL, read_stdin, NULL) == 0)
		pthread_detach(t);
}

static int lreadstdin(lua_State *L) {
	char *line = NULL;
	pthread_mutex_lock(&input.lock);
	if (input.head != input.tail) {
		line = input.line[input.head];
		input.head = (input.head + 1) % STDIN_QUEUE;
	}
	pthread_mutex_unlock(&input.lock);
	if (line == NULL)
		return 0;
	lua_pushstring(L, line);
	free(line);
	return 1;
}

LUAMOD_API int luaopen_client_socket(lua_State *L) {
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	luaL_checkversion(L);
	luaL_Reg l[] = {
		{ "connect", lconnect },
		{ "send", lsend },
		{ "recv", lrecv },
		{ "shutdown", lshutdown },
		{ "close", lclose },
		{ "usleep", lusleep },
		{ "readstdin", lreadstdin },
		{ NULL, NULL },
	};
	luaL_newlib(L, l);
	pthread_once(&once, start_reader);
	return 1;
}
