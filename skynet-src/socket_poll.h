/*
 * The readiness interface of the socket thread, over Linux epoll.
 * Level-triggered: an fd keeps reporting until it is drained, so the
 * socket thread may handle one read per event and come back later.
 */
#ifndef SOCKET_POLL_H
#define SOCKET_POLL_H

#include <stdbool.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>

typedef int poll_fd;

struct event {
	void *ud;
	bool read;
	bool write;
	bool error;
	bool hangup;
};

static inline bool
sp_invalid(poll_fd efd) {
	return efd < 0;
}

static inline poll_fd
sp_create(void) {
	return epoll_create1(EPOLL_CLOEXEC);
}

static inline void
sp_release(poll_fd efd) {
	close(efd);
}

static inline unsigned
sp_mask(bool read, bool write) {
	return (read ? EPOLLIN : 0) | (write ? EPOLLOUT : 0);
}

/* 0 on success, -1 on failure */
static inline int
sp_add(poll_fd efd, int fd, void *ud, bool read, bool write) {
	struct epoll_event ev = { .events = sp_mask(read, write), .data.ptr = ud };
	return epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
}

static inline void
sp_del(poll_fd efd, int fd) {
	epoll_ctl(efd, EPOLL_CTL_DEL, fd, NULL);
}

static inline int
sp_enable(poll_fd efd, int fd, void *ud, bool read, bool write) {
	struct epoll_event ev = { .events = sp_mask(read, write), .data.ptr = ud };
	return epoll_ctl(efd, EPOLL_CTL_MOD, fd, &ev);
}

#define SP_MAX_EVENTS 64

/* waits up to timeout ms (-1: forever); fills e[0..n) and returns n
 * (at most SP_MAX_EVENTS at a time) */
static inline int
sp_wait(poll_fd efd, struct event *e, int max, int timeout) {
	struct epoll_event ev[SP_MAX_EVENTS];
	if (max > SP_MAX_EVENTS)
		max = SP_MAX_EVENTS;
	int n = epoll_wait(efd, ev, max, timeout);
	for (int i = 0; i < n; i++) {
		unsigned flag = ev[i].events;
		e[i].ud = ev[i].data.ptr;
		e[i].read = (flag & (EPOLLIN | EPOLLHUP)) != 0;
		e[i].write = (flag & EPOLLOUT) != 0;
		e[i].error = (flag & EPOLLERR) != 0;
		e[i].hangup = (flag & EPOLLHUP) != 0;
	}
	return n;
}

static inline int
sp_nonblocking(int fd) {
	int flag = fcntl(fd, F_GETFL, 0);
	if (flag == -1)
		return -1;
	return fcntl(fd, F_SETFL, flag | O_NONBLOCK);
}

#endif
