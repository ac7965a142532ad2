/*
 * echo_bare: the yardstick of the echo benchmark, a TCP echo server in
 * plain C with nothing between epoll and the socket.
 *
 *   echo_bare -p port
 *
 * One thread, level-triggered epoll, non-blocking sockets: whatever a
 * connection sends is written straight back.  A write the kernel takes only
 * in part keeps the rest in the connection's buffer and stops reading that
 * connection until the buffer is flushed, so a client that does not read
 * cannot make the server grow.  Prints "ECHO_READY" on stdout once it
 * listens; runs until killed.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 65536
#define MAX_EVENTS 256

struct conn {
	int fd;
	size_t pending; /* bytes of buf not yet written back */
	size_t offset;  /* where they start */
	char buf[BUFFER_SIZE];
};

static int epfd;

static void die(const char *what) {
	perror(what);
	exit(1);
}

static void watch(int op, int fd, unsigned events, void *ptr) {
	struct epoll_event ev = { .events = events, .data.ptr = ptr };
	if (epoll_ctl(epfd, op, fd, &ev) != 0)
		die("epoll_ctl");
}

static int listen_on(int port) {
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(port) };
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 1024) != 0)
		die("listen");
	return fd;
}

static void close_conn(struct conn *c) {
	close(c->fd); /* also leaves the epoll set */
	free(c);
}

static void accept_all(int listener) {
	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = malloc(sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->pending = c->offset = 0;
		watch(EPOLL_CTL_ADD, fd, EPOLLIN, c);
	}
}

/* writes what is pending; 0 when the connection failed */
static int flush(struct conn *c) {
	while (c->pending > 0) {
		ssize_t n = write(c->fd, c->buf + c->offset, c->pending);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		c->offset += (size_t)n;
		c->pending -= (size_t)n;
	}
	return 1;
}

static void serve(struct conn *c, unsigned events) {
	if (c->pending > 0) { /* waiting for room to write */
		if (!flush(c)) {
			close_conn(c);
		} else if (c->pending == 0) {
			watch(EPOLL_CTL_MOD, c->fd, EPOLLIN, c);
		}
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = read(c->fd, c->buf, sizeof(c->buf));
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close_conn(c);
		return;
	}
	if (n < 0)
		return;
	c->offset = 0;
	c->pending = (size_t)n;
	if (!flush(c))
		close_conn(c);
	else if (c->pending > 0)
		watch(EPOLL_CTL_MOD, c->fd, EPOLLOUT, c);
}

int main(int argc, char **argv) {
	int port = 0;
	int opt;
	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p') {
			fprintf(stderr, "usage: echo_bare -p port\n");
			return 2;
		}
		port = atoi(optarg);
	}
	if (port <= 0 || port > 65535) {
		fprintf(stderr, "echo_bare: give a port from 1 to 65535 with -p\n");
		return 2;
	}
	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	int listener = listen_on(port);
	static int listener_tag; /* data.ptr of the listening socket */
	watch(EPOLL_CTL_ADD, listener, EPOLLIN, &listener_tag);
	printf("ECHO_READY\n");
	fflush(stdout);
	struct epoll_event events[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr == &listener_tag)
				accept_all(listener);
			else
				serve(events[i].data.ptr, events[i].events);
		}
	}
}
