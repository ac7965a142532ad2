/*
 * loadgen: a TCP echo load generator.
 *
 *   loadgen [-h host] [-p port] [-c connections] [-s size] [-t seconds]
 *   loadgen [-h host] [-p port] -n connections      (a connection storm)
 *
 * Opens `connections` TCP connections (TCP_NODELAY) to an echo server and
 * keeps exactly one message of `size` bytes in flight on each: a round trip
 * ends when the whole message has come back, then the next one is sent.
 * After `seconds` it prints the number of round trips per second and checks
 * that every byte echoed back matches what was sent.  Single-threaded, epoll.
 *
 * With -n it opens that many connections back to back, as clients
 * reconnecting after a restart do, then sends one byte on each: a
 * connection counts once its byte has come back (the server accepted and
 * served it).  It prints connections per second and the seconds from the
 * first connect to the last echo, and resets every connection (no
 * TIME_WAIT left behind).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int fd;
	size_t sent;      /* bytes of the current message written */
	size_t received;  /* bytes of the current message read back */
	uint64_t trips;
};

static const char *host = "127.0.0.1";
static int port = 8888;
static int nconn = 50;
static size_t msgsize = 64;
static double seconds = 5;
static int storm;       /* -n: connections of a storm, 0 for the echo load */
static char *message;   /* the bytes every connection sends */
static char *inbuf;     /* scratch for reads */

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
	perror(what);
	exit(1);
}

static int connect_to(const struct addrinfo *ai) {
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		die("connect");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* writes what the socket takes of the current message; 0 when all is out */
static int send_some(struct conn *c) {
	while (c->sent < msgsize) {
		ssize_t n = send(c->fd, message + c->sent, msgsize - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == EINTR)
				continue;
			die("send");
		}
		c->sent += (size_t)n;
	}
	return 0;
}

/* reads the echo; returns 1 when the message is complete */
static int receive_some(struct conn *c) {
	for (;;) {
		size_t want = msgsize - c->received;
		ssize_t n = recv(c->fd, inbuf, want, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (n == 0) {
			fprintf(stderr, "loadgen: server closed a connection\n");
			exit(1);
		}
		if (memcmp(inbuf, message + c->received, (size_t)n) != 0) {
			fprintf(stderr, "loadgen: echoed bytes differ from the sent ones\n");
			exit(1);
		}
		c->received += (size_t)n;
		if (c->received == msgsize)
			return 1;
	}
}

static void set_interest(int ep, struct conn *c, uint32_t events) {
	struct epoll_event ev = { .events = events, .data.ptr = c };
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		die("epoll_ctl");
}

static void start_trip(int ep, struct conn *c) {
	c->sent = c->received = 0;
	if (send_some(c))
		set_interest(ep, c, EPOLLIN | EPOLLOUT);
}

static void parse_args(int argc, char *argv[]) {
	int opt;
	while ((opt = getopt(argc, argv, "h:p:c:s:t:n:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': nconn = atoi(optarg); break;
		case 's': msgsize = (size_t)strtoul(optarg, NULL, 10); break;
		case 't': seconds = atof(optarg); break;
		case 'n': storm = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: loadgen [-h host] [-p port] [-c connections] [-s size] [-t seconds]\n"
				"       loadgen [-h host] [-p port] -n connections\n");
			exit(2);
		}
	}
	if (nconn <= 0 || msgsize == 0 || seconds <= 0 || storm < 0) {
		fprintf(stderr, "loadgen: connections, size and seconds must be positive\n");
		exit(2);
	}
}

static void reset_close(int fd) {
	struct linger now = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
	close(fd);
}

/* waits until every fd of the storm has echoed its byte; 0 when all did */
static int await_echoes(int *fds, int n, double deadline) {
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = fds[i] };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			die("epoll_ctl");
	}
	int left = n;
	struct epoll_event events[256];
	while (left > 0 && now() < deadline) {
		int k = epoll_wait(ep, events, 256, 100);
		if (k < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < k; i++) {
			char byte;
			if (recv(events[i].data.fd, &byte, 1, MSG_DONTWAIT) != 1) {
				fprintf(stderr, "loadgen: a storm connection closed without its echo\n");
				exit(1);
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, events[i].data.fd, NULL);
			left--;
		}
	}
	close(ep);
	return left;
}

static int run_storm(const struct addrinfo *ai) {
	int *fds = malloc(sizeof(int) * (size_t)storm);
	if (fds == NULL)
		die("malloc");
	double start = now();
	for (int i = 0; i < storm; i++)
		fds[i] = connect_to(ai);
	for (int i = 0; i < storm; i++) {
		if (send(fds[i], "s", 1, MSG_NOSIGNAL) != 1)
			die("send");
	}
	int missing = await_echoes(fds, storm, start + 120);
	double elapsed = now() - start;
	for (int i = 0; i < storm; i++)
		reset_close(fds[i]);
	free(fds);
	if (missing) {
		fprintf(stderr, "loadgen: %d of %d connections got no echo in 120 s\n", missing, storm);
		return 1;
	}
	printf("%.0f connections/s %.3f s for %d connections\n", storm / elapsed, elapsed, storm);
	return 0;
}

int main(int argc, char *argv[]) {
	parse_args(argc, argv);
	message = malloc(msgsize);
	inbuf = malloc(msgsize);
	struct conn *conns = calloc((size_t)nconn, sizeof(*conns));
	if (!message || !inbuf || !conns)
		die("malloc");
	for (size_t i = 0; i < msgsize; i++)
		message[i] = (char)('a' + i % 26);

	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char portstr[16];
	snprintf(portstr, sizeof(portstr), "%d", port);
	int err = getaddrinfo(host, portstr, &hints, &ai);
	if (err != 0) {
		fprintf(stderr, "loadgen: %s: %s\n", host, gai_strerror(err));
		return 1;
	}
	if (storm) {
		int status = run_storm(ai);
		freeaddrinfo(ai);
		return status;
	}
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (int i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];
		c->fd = connect_to(ai);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
			die("epoll_ctl");
	}
	freeaddrinfo(ai);

	double start = now(), deadline = start + seconds;
	for (int i = 0; i < nconn; i++)
		start_trip(ep, &conns[i]);

	struct epoll_event events[256];
	double t = start;
	while (t < deadline) {
		int n = epoll_wait(ep, events, 256, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if ((events[i].events & EPOLLOUT) && !send_some(c))
				set_interest(ep, c, EPOLLIN);
			if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && receive_some(c)) {
				c->trips++;
				start_trip(ep, c);
			}
		}
		t = now();
	}

	uint64_t total = 0;
	for (int i = 0; i < nconn; i++) {
		total += conns[i].trips;
		close(conns[i].fd);
	}
	printf("%.0f round trips/s (%d connections, %zu bytes, %.1f s, %llu trips)\n",
	       (double)total / (t - start), nconn, msgsize, t - start, (unsigned long long)total);
	free(conns);
	free(inbuf);
	free(message);
	close(ep);
	return 0;
}
