/*
 * The socket server: one thread waits on epoll and reads; other threads
 * ask it for work through a pipe of fixed-size requests, and write to a
 * socket directly when nothing is queued on it.  Independent of the rest
 * of the core: results come back from socket_server_poll, and `opaque`
 * is whatever the caller uses to name an owner (a service handle).
 */
#ifndef SOCKET_SERVER_H
#define SOCKET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* what socket_server_poll returns */
#define SOCKET_DATA 0
#define SOCKET_CLOSE 1
#define SOCKET_OPEN 2
#define SOCKET_ACCEPT 3
#define SOCKET_ERR 4
#define SOCKET_EXIT 5
#define SOCKET_UDP 6
#define SOCKET_WARNING 7

struct socket_server;

struct socket_message {
	int id;
	uintptr_t opaque;
	int ud;     /* DATA/UDP: size; ACCEPT: the new id; OPEN: port; WARNING: KB queued */
	char *data; /* DATA/UDP: a buffer the receiver frees; otherwise a string or NULL */
};

/* what socket_server_send takes */
#define SOCKET_BUFFER_MEMORY 0     /* buffer from skynet_malloc, owned by the server */
#define SOCKET_BUFFER_OBJECT 1     /* not supported: rejected */
#define SOCKET_BUFFER_RAWPOINTER 2 /* borrowed for the call: copied if it must wait */

struct socket_sendbuffer {
	int id;
	int type;
	const void *buffer;
	size_t sz;
};

/* one entry of socket_server_info */
#define SOCKET_INFO_UNKNOWN 0
#define SOCKET_INFO_LISTEN 1
#define SOCKET_INFO_TCP 2
#define SOCKET_INFO_UDP 3
#define SOCKET_INFO_BIND 4
#define SOCKET_INFO_CLOSING 5

struct socket_info {
	int id;
	int type;
	uint64_t opaque;
	uint64_t read;  /* bytes; for a listener, connections accepted */
	uint64_t write; /* bytes */
	uint64_t rtime; /* clock() of the last read */
	uint64_t wtime;
	int64_t wbuffer; /* bytes queued */
	uint8_t reading;
	uint8_t writing;
	char name[128]; /* peer address, or the local address of a listener */
	struct socket_info *next;
};

void socket_info_release(struct socket_info *);

/* clock: the time stamped on reads and writes (the caller's unit) */
struct socket_server *socket_server_create(uint64_t (*clock)(void));
void socket_server_release(struct socket_server *);
/* runs the socket thread until one result: a SOCKET_* code, or -1 for
 * nothing to report.  waited (may be NULL): set to 1 when the call waited
 * for events (tests count the waits). */
int socket_server_poll(struct socket_server *, struct socket_message *result, int *waited);

void socket_server_exit(struct socket_server *);
void socket_server_close(struct socket_server *, uintptr_t opaque, int id);
void socket_server_shutdown(struct socket_server *, uintptr_t opaque, int id);
void socket_server_start(struct socket_server *, uintptr_t opaque, int id);
void socket_server_pause(struct socket_server *, uintptr_t opaque, int id);
/* the socket belongs to nobody until the next start (a hand-over) */
void socket_server_abandon(struct socket_server *, uintptr_t opaque, int id);
/* the owner is gone: its sockets are closed without a report, except
 * those already closed by it and still sending what is queued */
void socket_server_drop_owner(struct socket_server *, uintptr_t opaque);

/* Past `limit` bytes queued on one socket (0: no limit) a send fails, the
 * socket is closed (its owner gets ERR "write buffer overflow") and
 * report, if not NULL, is called on the sending thread.  Set before use. */
typedef void (*socket_overflow_fn)(int id, uintptr_t opaque, size_t queued, size_t limit);
void socket_server_limit_writes(struct socket_server *, size_t limit, socket_overflow_fn report);

/* Read-side flow control: busy(owner) is asked before a TCP socket is read;
 * while it answers true the socket is not read (what comes waits in the
 * kernel, and TCP's window holds the peer back) and it is asked again
 * every few milliseconds.  Without it (the default) sockets are read as
 * data comes.  Set before use. */
typedef bool (*socket_busy_fn)(uintptr_t opaque, int limit);
void socket_server_throttle_reads(struct socket_server *, socket_busy_fn busy);
/* read-side flow control may hold the socket id (only such sockets are
 * held): busy(owner, limit) asks whether its owner has more than limit
 * messages waiting */
void socket_server_holdreads(struct socket_server *, int id, int limit);
/* an owner found busy may be no longer: its sockets are asked about now */
void socket_server_owner_ready(struct socket_server *);

/* the system's largest listen backlog (net.core.somaxconn, read once) */
int socket_server_max_backlog(void);

/* 0 on success, -1 when the socket is not writable (the buffer is freed) */
int socket_server_send(struct socket_server *, struct socket_sendbuffer *buffer);
int socket_server_send_lowpriority(struct socket_server *, struct socket_sendbuffer *buffer);

/* these return the new socket id, or -1 (listen: with errno telling why) */
int socket_server_listen(struct socket_server *, uintptr_t opaque, const char *addr, int port, int backlog);
int socket_server_connect(struct socket_server *, uintptr_t opaque, const char *addr, int port);
int socket_server_bind(struct socket_server *, uintptr_t opaque, int fd);

void socket_server_nodelay(struct socket_server *, int id);

/* UDP.  An address is 1 byte of protocol, 2 bytes of port, then 4 or 16
 * bytes of IP, all in network order (skynet's format). */
struct socket_udp_address;

/* addr NULL: an unbound IPv4 socket */
int socket_server_udp(struct socket_server *, uintptr_t opaque, const char *addr, int port);
/* an unbound socket whose default destination is addr:port */
int socket_server_udp_dial(struct socket_server *, uintptr_t opaque, const char *addr, int port);
/* sets the destination of socket_server_send; 0 or -1 */
int socket_server_udp_connect(struct socket_server *, int id, const char *addr, int port);
int socket_server_udp_send(struct socket_server *, const struct socket_udp_address *,
	struct socket_sendbuffer *buffer);
/* the sender of a SOCKET_UDP result */
const struct socket_udp_address *socket_server_udp_address(struct socket_message *, int *addrsz);

struct socket_info *socket_server_info(struct socket_server *);

#endif
