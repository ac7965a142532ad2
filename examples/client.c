/*
 * client: a command-line client for the network example.
 *
 *   client [-h host] [-p port] [-r]
 *
 * Reads lines from stdin.  By default it talks to the gate: each line goes
 * out as one packet (2-byte big-endian length, then the bytes) and the reply
 * packet is printed.  With -r it talks raw bytes (for the echo server): each
 * line goes out with its newline and whatever comes back is printed.
 */
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_to(const char *host, const char *port) {
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *list, *ai;
	int err = getaddrinfo(host, port, &hints, &list);
	if (err != 0) {
		fprintf(stderr, "client: %s: %s\n", host, gai_strerror(err));
		return -1;
	}
	int fd = -1;
	for (ai = list; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	if (fd < 0)
		perror("client: connect");
	return fd;
}

static int write_all(int fd, const void *p, size_t n) {
	const char *s = p;
	while (n > 0) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n) {
	char *s = p;
	while (n > 0) {
		ssize_t r = recv(fd, s, n, 0);
		if (r <= 0)
			return -1;
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* one request packet, one reply packet */
static int packet_round(int fd, const char *line, size_t len) {
	if (len > 0xffff) {
		fprintf(stderr, "client: line too long for one packet\n");
		return 0;
	}
	uint8_t head[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	static char reply[0x10000];
	if (write_all(fd, head, 2) || write_all(fd, line, len) || read_all(fd, head, 2))
		return -1;
	size_t rlen = (size_t)head[0] << 8 | head[1];
	if (read_all(fd, reply, rlen))
		return -1;
	printf("%.*s\n", (int)rlen, reply);
	return 0;
}

/* the line and its newline out, the same number of bytes back */
static int raw_round(int fd, const char *line, size_t len) {
	char *back = malloc(len + 1);
	int r = -1;
	if (back && write_all(fd, line, len) == 0 && write_all(fd, "\n", 1) == 0 && read_all(fd, back, len + 1) == 0) {
		fwrite(back, 1, len + 1, stdout);
		r = 0;
	}
	free(back);
	return r;
}

int main(int argc, char *argv[]) {
	const char *host = "127.0.0.1", *port = "8888";
	int raw = 0, opt;
	while ((opt = getopt(argc, argv, "h:p:r")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = optarg; break;
		case 'r': raw = 1; break;
		default:
			fprintf(stderr, "usage: client [-h host] [-p port] [-r]\n");
			return 2;
		}
	}
	int fd = connect_to(host, port);
	if (fd < 0)
		return 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, stdin)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		int r = raw ? raw_round(fd, line, (size_t)len) : packet_round(fd, line, (size_t)len);
		if (r != 0) {
			fprintf(stderr, "client: connection closed by the server\n");
			break;
		}
		fflush(stdout);
	}
	free(line);
	close(fd);
	return 0;
}
