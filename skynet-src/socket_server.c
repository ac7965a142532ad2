/*
 * The socket server.
 *
 * Threads.  One socket thread runs socket_server_poll: it alone waits on
 * epoll, reads, accepts, connects and closes.  Any other thread (a worker)
 * asks for those through a pipe of fixed-size requests, but writes to a
 * socket itself when nothing is queued on it: a per-socket spinlock guards
 * the write queues, the fd while it is open, and the state changes that
 * end a socket's life.  Data a worker cannot write at once is queued and
 * the socket thread is told (REQ_WAIT_WRITABLE) to wait for EPOLLOUT; so the
 * pipe carries no data and a request is sent only when a queue goes from
 * empty to non-empty.
 *
 * Slots.  A socket id is (generation << 16 | slot).  Slots live in blocks
 * of 64 allocated on first use, so an idle node pays for a few sockets,
 * not for 65536.  A freed slot waits in a FIFO behind REUSE_DELAY others
 * before reuse, and each reuse bumps its generation: a stale id never
 * names a new socket by accident.
 *
 * Reports.  Every socket ends with exactly one CLOSE or ERR to its owner
 * (a peer's EOF reports CLOSE early and leaves the socket writable until
 * the owner closes it: half-close).
 *
 * Owners.  The socket thread keeps every socket it knows in a hash of
 * chains by owner, so that when an owner goes away (socket_server_drop_owner)
 * its sockets are found without a scan of all the slots and closed.
 *
 * Limits.  A socket whose queued writes pass the write limit is closed
 * (its owner gets ERR); a listener accepts at most ACCEPT_BATCH connections
 * per readiness before the other ready sockets get their turn.
 */
#include "socket_server.h"
#include "socket_poll.h"
#include "skynet_malloc.h"
#include "spinlock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SLOT_BITS 16
#define MAX_SOCKET (1 << SLOT_BITS)
#define SLOT_OF(id) ((id) & (MAX_SOCKET - 1))
#define GENERATION_MASK 0x7fff
#define BLOCK_BITS 6
#define BLOCK_SIZE (1 << BLOCK_BITS)
#define BLOCK_COUNT (MAX_SOCKET / BLOCK_SIZE)
#define REUSE_DELAY 1024

#define MAX_EVENT 64
#define REQUEST_BATCH 32
#define IOV_BATCH 64
#define MIN_READ_BUFFER 64
#define MAX_READ_BUFFER (256 * 1024)
#define WARNING_SIZE (1024 * 1024)
#define MAX_UDP_PACKAGE 65535
#define MAX_CONNECT_ADDR 4
#define ACCEPT_BACKOFF_MS 100
#define THROTTLE_CHECK_MS 1 /* how often busy owners are asked again */
#define THROTTLE_READ_SIZE (64 * 1024) /* sockets read in chunks this large may be held */
#define ACCEPT_BATCH 64
#define OWNER_BUCKETS 1024
#define DEFAULT_BACKLOG 4096 /* when somaxconn cannot be read: Linux's default since 5.4 */

#define PROTOCOL_TCP 0
#define PROTOCOL_UDP 1
#define PROTOCOL_UDPv6 2

enum state {
	S_FREE,
	S_RESERVED,   /* id handed out, the socket thread has not opened it yet */
	S_PLISTEN,    /* listening, accept paused until start */
	S_LISTEN,
	S_PACCEPT,    /* accepted, reading paused until start */
	S_CONNECTING,
	S_CONNECTED,
	S_HALFCLOSE,  /* the peer sent EOF (or close is flushing): no more reads */
};

union sockaddr_all {
	struct sockaddr s;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct wbuf {
	struct wbuf *next;
	char *ptr;    /* first unsent byte */
	size_t sz;    /* unsent bytes */
	void *buffer; /* what to free */
};

/* a queued datagram remembers its destination */
struct wbuf_udp {
	struct wbuf b;
	union sockaddr_all to;
	socklen_t tolen;
};

struct wlist {
	struct wbuf *head;
	struct wbuf *tail;
};

/*
 * The fields fall in three groups, each on its own cache lines: a worker
 * sending on the socket writes only the first, the socket thread reading
 * it only the second, so the two threads do not steal each other's lines
 * on every message.
 */
struct socket {
	/* read by every thread */
	atomic_int id;
	atomic_int state;
	_Atomic uintptr_t owner;
	int fd;
	uint8_t protocol;
	/* under lock (the senders' side) */
	_Alignas(64) struct spinlock lock;
	bool closing;      /* closed by the owner, flushing what is queued */
	bool bound;        /* made by socket_server_bind */
	bool udp_peer_set;
	bool overflow;     /* over the write limit: closing, no more sends */
	struct wlist high;
	struct wlist low;
	size_t wb_size;
	size_t warn_size;  /* next warning threshold, 0 when none was given */
	atomic_bool writing; /* statistics of the senders' side */
	_Atomic uint64_t nwrite;
	_Atomic uint64_t wtime;
	union sockaddr_all udp_peer;
	/* socket thread only */
	_Alignas(64) bool registered; /* in epoll */
	bool reported;     /* CLOSE already reported (peer EOF or close) */
	bool accept_failing;
	bool resting;      /* a listener in the backoff list */
	bool throttled;    /* not read while its owner is busy */
	atomic_int hold_limit; /* held while its owner has more waiting; 0: never (socket_server_holdreads) */
	int rsize;
	struct socket *backoff_next;
	struct socket *throttled_next;
	struct socket *owner_next; /* the chain of its owner's bucket */
	uintptr_t indexed_owner;   /* the bucket it is chained in, when indexed */
	bool indexed;
	atomic_bool reading; /* statistics of the reading side */
	_Atomic uint64_t nread;
	_Atomic uint64_t rtime;
};

/* requests from the workers to the socket thread, through the pipe; the
 * values are letters so that a bad one is readable in the log */
enum request_type {
	REQ_OPEN = 'O', /* connect to an address (u.open) */
	REQ_LISTEN = 'L', /* take a listening fd (u.fd) */
	REQ_BIND = 'B', /* take any fd, e.g. stdin (u.fd) */
	REQ_UDP = 'U', /* take a udp fd (u.fd) */
	REQ_START = 'S', /* start (or resume) reading or accepting */
	REQ_PAUSE = 'R', /* stop reading */
	REQ_CLOSE = 'K', /* close once the queued writes are out */
	REQ_SHUTDOWN = 'H', /* close now, dropping queued writes */
	REQ_WAIT_WRITABLE = 'W', /* a write queue became non-empty: wait for EPOLLOUT */
	REQ_WARN_QUEUE = 'w', /* a write queue passed its warning size: report u.kb to the owner */
	REQ_DROP_OWNER = 'D', /* close every socket of an owner that went away */
	REQ_ABANDON = 'A', /* hand the socket to nobody until someone starts it */
	REQ_OVERFLOW = 'V', /* close a socket over the write limit */
	REQ_EXIT = 'X', /* end the socket thread */
	REQ_WAKE = 'Y', /* nothing: look at the held sockets again now */
};

struct request {
	uint8_t type;
	int id;
	uintptr_t opaque;
	union {
		struct {
			int fd;
		} fd; /* REQ_LISTEN, REQ_BIND, REQ_UDP */
		struct {
			int error; /* getaddrinfo's, or 0 */
			int n;
			union sockaddr_all addr[MAX_CONNECT_ADDR];
		} open; /* REQ_OPEN */
		int kb; /* REQ_WARN_QUEUE */
	} u;
};

struct socket_server {
	uint64_t (*clock)(void);
	uint64_t time;
	poll_fd efd;
	int recvctrl_fd;
	int sendctrl_fd;
	_Atomic(struct socket *) block[BLOCK_COUNT];
	pthread_mutex_t alloc_lock;
	int fresh;          /* slots [1, fresh) have been used */
	int *freeq;         /* FIFO of freed slots */
	int freeq_cap;
	int freeq_head;
	int freeq_n;
	struct event ev[MAX_EVENT];
	int event_n;
	int event_index;
	struct request req[REQUEST_BATCH];
	int req_n;
	int req_index;
	struct socket *backoff; /* listeners resting after accept failed */
	struct socket *throttled; /* sockets not read while their owners are busy */
	socket_busy_fn owner_busy;
	uint64_t backoff_until; /* monotonic ms */
	int accept_streak;      /* connections taken from the current listener event */
	struct socket *owners[OWNER_BUCKETS]; /* chains of sockets by owner */
	size_t write_limit;     /* queued bytes past which a socket is closed; 0: none */
	socket_overflow_fn report_overflow;
	_Atomic pthread_t poll_thread; /* the socket thread, once it polled */
	char *udpbuf;
	char strbuf[128];
};

/* the per-socket spinlock: held for a syscall at most */

static void
socket_lock(struct socket *s) {
	spinlock_lock(&s->lock);
}

static void
socket_unlock(struct socket *s) {
	spinlock_unlock(&s->lock);
}

static int
state_of(struct socket *s) {
	return atomic_load_explicit(&s->state, memory_order_acquire);
}

static void
set_state(struct socket *s, int state) {
	atomic_store_explicit(&s->state, state, memory_order_release);
}

static uintptr_t
owner_of(struct socket *s) {
	return atomic_load_explicit(&s->owner, memory_order_relaxed);
}

static uint64_t
monotonic_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* slots */

static struct socket *
slot_at(struct socket_server *ss, int slot) {
	struct socket *block = atomic_load_explicit(&ss->block[slot >> BLOCK_BITS], memory_order_acquire);
	return block ? &block[slot & (BLOCK_SIZE - 1)] : NULL;
}

/* the socket an id names, or NULL; the caller checks s->id under the lock */
static struct socket *
get_socket(struct socket_server *ss, int id) {
	if (id < 0)
		return NULL;
	return slot_at(ss, SLOT_OF(id));
}

static bool
ensure_block(struct socket_server *ss, int slot) {
	int b = slot >> BLOCK_BITS;
	if (atomic_load_explicit(&ss->block[b], memory_order_relaxed))
		return true;
	/* aligned: each socket's groups of fields start a cache line */
	struct socket *block = skynet_aligned_alloc(_Alignof(struct socket), BLOCK_SIZE * sizeof(struct socket));
	if (block == NULL)
		return false;
	memset(block, 0, BLOCK_SIZE * sizeof(struct socket));
	for (int i = 0; i < BLOCK_SIZE; i++)
		block[i].fd = -1;
	atomic_store_explicit(&ss->block[b], block, memory_order_release);
	return true;
}

static bool
freeq_push(struct socket_server *ss, int slot) {
	if (ss->freeq_n == ss->freeq_cap) {
		int cap = ss->freeq_cap ? ss->freeq_cap * 2 : 64;
		int *q = skynet_malloc(cap * sizeof(int));
		if (q == NULL)
			return false;
		for (int i = 0; i < ss->freeq_n; i++)
			q[i] = ss->freeq[(ss->freeq_head + i) % ss->freeq_cap];
		skynet_free(ss->freeq);
		ss->freeq = q;
		ss->freeq_cap = cap;
		ss->freeq_head = 0;
	}
	ss->freeq[(ss->freeq_head + ss->freeq_n) % ss->freeq_cap] = slot;
	ss->freeq_n++;
	return true;
}

static int
freeq_pop(struct socket_server *ss) {
	int slot = ss->freeq[ss->freeq_head];
	ss->freeq_head = (ss->freeq_head + 1) % ss->freeq_cap;
	ss->freeq_n--;
	return slot;
}

/* picks a slot; prefers never-used ones until REUSE_DELAY slots wait */
static int
reserve_id(struct socket_server *ss, uintptr_t opaque, int protocol) {
	pthread_mutex_lock(&ss->alloc_lock);
	int slot = -1;
	if (ss->freeq_n >= REUSE_DELAY || (ss->fresh == MAX_SOCKET && ss->freeq_n > 0)) {
		slot = freeq_pop(ss);
	} else if (ss->fresh < MAX_SOCKET && ensure_block(ss, ss->fresh)) {
		slot = ss->fresh++;
	}
	pthread_mutex_unlock(&ss->alloc_lock);
	if (slot < 0)
		return -1;
	struct socket *s = slot_at(ss, slot);
	int old = atomic_load_explicit(&s->id, memory_order_relaxed);
	int generation = old ? ((old >> SLOT_BITS) + 1) & GENERATION_MASK : 0;
	int id = generation << SLOT_BITS | slot;
	socket_lock(s);
	atomic_store_explicit(&s->id, id, memory_order_relaxed);
	atomic_store_explicit(&s->owner, opaque, memory_order_relaxed);
	s->fd = -1;
	s->protocol = protocol;
	s->closing = false;
	s->bound = false;
	s->udp_peer_set = false;
	s->overflow = false;
	s->wb_size = 0;
	s->warn_size = 0;
	set_state(s, S_RESERVED);
	socket_unlock(s);
	s->registered = false;
	s->reported = false;
	s->accept_failing = false;
	s->resting = false;
	s->throttled = false;
	atomic_store_explicit(&s->hold_limit, 0, memory_order_relaxed);
	s->rsize = MIN_READ_BUFFER;
	s->backoff_next = NULL;
	s->throttled_next = NULL;
	s->owner_next = NULL;
	s->indexed = false;
	atomic_store_explicit(&s->reading, false, memory_order_relaxed);
	atomic_store_explicit(&s->writing, false, memory_order_relaxed);
	atomic_store_explicit(&s->nread, 0, memory_order_relaxed);
	atomic_store_explicit(&s->nwrite, 0, memory_order_relaxed);
	atomic_store_explicit(&s->rtime, 0, memory_order_relaxed);
	atomic_store_explicit(&s->wtime, 0, memory_order_relaxed);
	return id;
}

static void
release_slot(struct socket_server *ss, int id) {
	pthread_mutex_lock(&ss->alloc_lock);
	if (!freeq_push(ss, SLOT_OF(id))) {
		/* out of memory: the slot is lost rather than corrupted */
		fprintf(stderr, "socket-server: cannot recycle socket slot %d\n", SLOT_OF(id));
	}
	pthread_mutex_unlock(&ss->alloc_lock);
}

/* an id a worker holds still names this socket; call under the lock */
static bool
alive(struct socket *s, int id) {
	return atomic_load_explicit(&s->id, memory_order_relaxed) == id && state_of(s) != S_FREE;
}

/* write buffers */

static void
wbuf_free(struct wbuf *b) {
	skynet_free(b->buffer);
	skynet_free(b);
}

static void
wlist_free(struct wlist *list) {
	struct wbuf *b = list->head;
	while (b) {
		struct wbuf *next = b->next;
		wbuf_free(b);
		b = next;
	}
	list->head = list->tail = NULL;
}

static void
wlist_append(struct wlist *list, struct wbuf *b) {
	b->next = NULL;
	if (list->head == NULL)
		list->head = list->tail = b;
	else {
		list->tail->next = b;
		list->tail = b;
	}
}

static bool
queue_empty(struct socket *s) {
	return s->high.head == NULL && s->low.head == NULL;
}

static void
free_sendbuffer(struct socket_sendbuffer *buf) {
	if (buf->type == SOCKET_BUFFER_MEMORY)
		skynet_free((void *)buf->buffer);
}

/* a queue entry holding bytes [offset, sz) of buf; NULL without memory */
static struct wbuf *
wbuf_new(struct socket_sendbuffer *buf, size_t offset, size_t size) {
	struct wbuf *b = skynet_malloc(size);
	if (b == NULL)
		return NULL;
	if (buf->type == SOCKET_BUFFER_MEMORY) {
		b->buffer = (void *)buf->buffer;
		b->ptr = (char *)buf->buffer + offset;
	} else {
		size_t left = buf->sz - offset;
		b->buffer = skynet_malloc(left ? left : 1);
		if (b->buffer == NULL) {
			skynet_free(b);
			return NULL;
		}
		memcpy(b->buffer, (const char *)buf->buffer + offset, left);
		b->ptr = b->buffer;
	}
	b->sz = buf->sz - offset;
	return b;
}

/* the pipe */

static void
send_request(struct socket_server *ss, struct request *req) {
	for (;;) {
		ssize_t n = write(ss->sendctrl_fd, req, sizeof(*req));
		if (n == (ssize_t)sizeof(*req))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		fprintf(stderr, "socket-server: request pipe write failed: %s\n",
			n < 0 ? strerror(errno) : "short write");
		return;
	}
}

static void
simple_request(struct socket_server *ss, enum request_type type, uintptr_t opaque, int id) {
	struct request req;
	memset(&req, 0, sizeof(req));
	req.type = type;
	req.opaque = opaque;
	req.id = id;
	send_request(ss, &req);
}

/* reads the next batch of requests; false when the pipe is empty */
static bool
read_requests(struct socket_server *ss) {
	char *p = (char *)ss->req;
	size_t got = 0;
	for (;;) {
		ssize_t n = read(ss->recvctrl_fd, p + got, sizeof(ss->req) - got);
		if (n > 0) {
			got += n;
			if (got % sizeof(struct request) == 0)
				break;
			continue; /* a request is never split by the writer: the rest is there */
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (got % sizeof(struct request) == 0)
			break;
	}
	ss->req_n = got / sizeof(struct request);
	ss->req_index = 0;
	return ss->req_n > 0;
}

/* creation and teardown */

struct socket_server *
socket_server_create(uint64_t (*clock)(void)) {
	int fd[2];
	poll_fd efd = sp_create();
	if (sp_invalid(efd)) {
		fprintf(stderr, "socket-server: create event pool failed.\n");
		return NULL;
	}
	if (pipe2(fd, O_CLOEXEC)) {
		sp_release(efd);
		fprintf(stderr, "socket-server: create socket pair failed.\n");
		return NULL;
	}
	struct socket_server *ss = skynet_calloc(1, sizeof(*ss));
	sp_nonblocking(fd[0]);
	if (sp_add(efd, fd[0], ss, true, false)) {
		fprintf(stderr, "socket-server: can't add server fd to event pool.\n");
		close(fd[0]);
		close(fd[1]);
		sp_release(efd);
		skynet_free(ss);
		return NULL;
	}
	/* a peer gone away must not kill the process on write */
	signal(SIGPIPE, SIG_IGN);
	ss->clock = clock;
	ss->time = clock();
	ss->efd = efd;
	ss->recvctrl_fd = fd[0];
	ss->sendctrl_fd = fd[1];
	ss->fresh = 1; /* no socket id 0 */
	pthread_mutex_init(&ss->alloc_lock, NULL);
	return ss;
}

void
socket_server_release(struct socket_server *ss) {
	for (int b = 0; b < BLOCK_COUNT; b++) {
		struct socket *block = atomic_load(&ss->block[b]);
		if (block == NULL)
			continue;
		for (int i = 0; i < BLOCK_SIZE; i++) {
			struct socket *s = &block[i];
			if (state_of(s) == S_FREE)
				continue;
			wlist_free(&s->high);
			wlist_free(&s->low);
			if (s->fd >= 0)
				close(s->fd);
		}
		skynet_free(block);
	}
	close(ss->sendctrl_fd);
	close(ss->recvctrl_fd);
	sp_release(ss->efd);
	pthread_mutex_destroy(&ss->alloc_lock);
	skynet_free(ss->freeq);
	skynet_free(ss->udpbuf);
	skynet_free(ss);
}

/* socket thread: epoll interest */

static void
set_interest(struct socket_server *ss, struct socket *s, bool read, bool write) {
	bool r = atomic_load_explicit(&s->reading, memory_order_relaxed);
	bool w = atomic_load_explicit(&s->writing, memory_order_relaxed);
	if (s->registered && r == read && w == write)
		return;
	int err = s->registered ? sp_enable(ss->efd, s->fd, s, read, write) : sp_add(ss->efd, s->fd, s, read, write);
	if (err) {
		fprintf(stderr, "socket-server: epoll_ctl fd %d: %s\n", s->fd, strerror(errno));
		return;
	}
	s->registered = true;
	atomic_store_explicit(&s->reading, read, memory_order_relaxed);
	atomic_store_explicit(&s->writing, write, memory_order_relaxed);
}

static bool
is_reading(struct socket *s) {
	return atomic_load_explicit(&s->reading, memory_order_relaxed);
}

static bool
is_writing(struct socket *s) {
	return atomic_load_explicit(&s->writing, memory_order_relaxed);
}

/* socket thread: results */

static int
report(struct socket_message *result, struct socket *s, int type, int ud, const char *data) {
	result->id = atomic_load_explicit(&s->id, memory_order_relaxed);
	result->opaque = owner_of(s);
	result->ud = ud;
	result->data = (char *)data;
	return type;
}

/* events still pending for a closed socket must not reach the next user of its slot */
static void
clear_events(struct socket_server *ss, struct socket *s) {
	for (int i = ss->event_index; i < ss->event_n; i++) {
		if (ss->ev[i].ud == s)
			ss->ev[i].ud = NULL;
	}
}

static void
backoff_remove(struct socket_server *ss, struct socket *s) {
	for (struct socket **p = &ss->backoff; *p; p = &(*p)->backoff_next) {
		if (*p == s) {
			*p = s->backoff_next;
			s->backoff_next = NULL;
			s->resting = false;
			return;
		}
	}
}

/* socket thread: read-side flow control (socket_server_throttle_reads) */

static void
throttle_remove(struct socket_server *ss, struct socket *s) {
	if (!s->throttled)
		return;
	for (struct socket **p = &ss->throttled; *p; p = &(*p)->throttled_next) {
		if (*p == s) {
			*p = s->throttled_next;
			break;
		}
	}
	s->throttled_next = NULL;
	s->throttled = false;
}

/* True when s, ready to be read, must wait for its owner: it is then out of
 * epoll's read interest until resume_throttled finds the owner caught up.
 * Only a socket whose owner asked for it (socket_server_holdreads: a gate,
 * which cuts what it reads into many messages for others) and that is
 * read in large chunks (a stream that fills the reads) is held: a few
 * queued reads of it are much memory, and its owner has plenty to do
 * meanwhile; small reads are cheap to queue, and holding them would
 * leave a quick owner idle for the wait.  A peer gone both ways is read at
 * once (what it sent, then its EOF). */
static bool
hold_reading(struct socket_server *ss, struct socket *s, bool hangup) {
	int limit = atomic_load_explicit(&s->hold_limit, memory_order_relaxed);
	if (ss->owner_busy == NULL || limit <= 0 || s->protocol != PROTOCOL_TCP ||
	    s->rsize < THROTTLE_READ_SIZE || hangup || !ss->owner_busy(owner_of(s), limit))
		return false;
	set_interest(ss, s, false, is_writing(s));
	if (!s->throttled) {
		s->throttled = true;
		s->throttled_next = ss->throttled;
		ss->throttled = s;
	}
	return true;
}

static void
resume_throttled(struct socket_server *ss) {
	struct socket **p = &ss->throttled;
	while (*p) {
		struct socket *s = *p;
		if (ss->owner_busy(owner_of(s), atomic_load_explicit(&s->hold_limit, memory_order_relaxed))) {
			p = &s->throttled_next;
			continue;
		}
		*p = s->throttled_next;
		s->throttled_next = NULL;
		s->throttled = false;
		if (state_of(s) == S_CONNECTED)
			set_interest(ss, s, true, is_writing(s));
	}
}

/* socket thread: the index of sockets by owner */

static struct socket **
owner_bucket(struct socket_server *ss, uintptr_t owner) {
	return &ss->owners[(owner ^ owner >> 10) & (OWNER_BUCKETS - 1)];
}

static void
unindex_socket(struct socket_server *ss, struct socket *s) {
	if (!s->indexed)
		return;
	for (struct socket **p = owner_bucket(ss, s->indexed_owner); *p; p = &(*p)->owner_next) {
		if (*p == s) {
			*p = s->owner_next;
			break;
		}
	}
	s->owner_next = NULL;
	s->indexed = false;
}

/* files s under its current owner */
static void
index_socket(struct socket_server *ss, struct socket *s) {
	uintptr_t owner = owner_of(s);
	if (s->indexed && s->indexed_owner == owner)
		return;
	unindex_socket(ss, s);
	struct socket **bucket = owner_bucket(ss, owner);
	s->owner_next = *bucket;
	*bucket = s;
	s->indexed_owner = owner;
	s->indexed = true;
}

/* frees the slot: queued data is dropped, the fd closed */
static void
force_close(struct socket_server *ss, struct socket *s) {
	socket_lock(s);
	struct wlist high = s->high, low = s->low;
	s->high.head = s->high.tail = NULL;
	s->low.head = s->low.tail = NULL;
	s->wb_size = 0;
	int fd = s->fd;
	s->fd = -1;
	set_state(s, S_FREE);
	socket_unlock(s);
	wlist_free(&high);
	wlist_free(&low);
	if (fd >= 0) {
		if (s->registered)
			sp_del(ss->efd, fd);
		close(fd);
	}
	s->registered = false;
	atomic_store_explicit(&s->reading, false, memory_order_relaxed);
	atomic_store_explicit(&s->writing, false, memory_order_relaxed);
	clear_events(ss, s);
	backoff_remove(ss, s);
	throttle_remove(ss, s);
	unindex_socket(ss, s);
	release_slot(ss, atomic_load_explicit(&s->id, memory_order_relaxed));
}

/* ends a socket, reporting CLOSE unless the owner already had it */
static int
close_report(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	bool reported = s->reported;
	report(result, s, SOCKET_CLOSE, 0, NULL);
	force_close(ss, s);
	return reported ? -1 : SOCKET_CLOSE;
}

/* ends a socket on an error, reporting it unless CLOSE was reported */
static int
error_report(struct socket_server *ss, struct socket *s, struct socket_message *result, const char *err) {
	bool reported = s->reported;
	report(result, s, SOCKET_ERR, 0, err);
	force_close(ss, s);
	return reported ? -1 : SOCKET_ERR;
}

static int
sockaddr_port(const union sockaddr_all *u) {
	return ntohs(u->s.sa_family == AF_INET6 ? u->v6.sin6_port : u->v4.sin_port);
}

static const char *
address_string(struct socket_server *ss, const union sockaddr_all *u, bool with_port) {
	char tmp[INET6_ADDRSTRLEN];
	const void *addr = u->s.sa_family == AF_INET6 ? (const void *)&u->v6.sin6_addr : (const void *)&u->v4.sin_addr;
	if (inet_ntop(u->s.sa_family, addr, tmp, sizeof(tmp)) == NULL)
		return "";
	if (with_port)
		snprintf(ss->strbuf, sizeof(ss->strbuf), "%s:%d", tmp, sockaddr_port(u));
	else
		snprintf(ss->strbuf, sizeof(ss->strbuf), "%s", tmp);
	return ss->strbuf;
}

static void
set_keepalive(int fd) {
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
}

/* gives an opened fd to its reserved slot */
static void
attach_fd(struct socket_server *ss, struct socket *s, int fd, int state, bool read) {
	socket_lock(s);
	s->fd = fd;
	set_state(s, state);
	bool queued = !queue_empty(s);
	socket_unlock(s);
	set_interest(ss, s, read, queued || state == S_CONNECTING);
}

/* socket thread: requests */

static struct socket *
request_socket(struct socket_server *ss, struct request *req) {
	struct socket *s = get_socket(ss, req->id);
	if (s == NULL || atomic_load_explicit(&s->id, memory_order_relaxed) != req->id || state_of(s) == S_FREE)
		return NULL;
	return s;
}

static int
open_connection(struct socket_server *ss, struct request *req, struct socket_message *result) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL || state_of(s) != S_RESERVED)
		return -1;
	index_socket(ss, s);
	if (req->u.open.error)
		return error_report(ss, s, result, gai_strerror(req->u.open.error));
	int err = 0;
	for (int i = 0; i < req->u.open.n; i++) {
		union sockaddr_all *addr = &req->u.open.addr[i];
		socklen_t len = addr->s.sa_family == AF_INET6 ? sizeof(addr->v6) : sizeof(addr->v4);
		int fd = socket(addr->s.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		set_keepalive(fd);
		if (connect(fd, &addr->s, len) == 0) {
			attach_fd(ss, s, fd, S_CONNECTED, true);
			return report(result, s, SOCKET_OPEN, 0, address_string(ss, addr, false));
		}
		if (errno == EINPROGRESS) {
			attach_fd(ss, s, fd, S_CONNECTING, false);
			return -1;
		}
		err = errno;
		close(fd);
	}
	return error_report(ss, s, result, strerror(err ? err : EADDRNOTAVAIL));
}

static int
open_listen(struct socket_server *ss, struct request *req, struct socket_message *result) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL || state_of(s) != S_RESERVED) {
		close(req->u.fd.fd);
		return -1;
	}
	index_socket(ss, s);
	socket_lock(s);
	s->fd = req->u.fd.fd;
	set_state(s, S_PLISTEN);
	socket_unlock(s);
	union sockaddr_all u;
	socklen_t len = sizeof(u);
	if (getsockname(s->fd, &u.s, &len))
		return error_report(ss, s, result, strerror(errno));
	return report(result, s, SOCKET_OPEN, sockaddr_port(&u), address_string(ss, &u, false));
}

static int
open_bind(struct socket_server *ss, struct request *req, struct socket_message *result) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL || state_of(s) != S_RESERVED)
		return -1;
	index_socket(ss, s);
	sp_nonblocking(req->u.fd.fd);
	socket_lock(s);
	s->bound = true;
	socket_unlock(s);
	attach_fd(ss, s, req->u.fd.fd, S_CONNECTED, true);
	return report(result, s, SOCKET_OPEN, 0, "binding");
}

static int
open_udp(struct socket_server *ss, struct request *req) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL || state_of(s) != S_RESERVED) {
		close(req->u.fd.fd);
		return -1;
	}
	index_socket(ss, s);
	attach_fd(ss, s, req->u.fd.fd, S_CONNECTED, true);
	return -1;
}

static int
start_socket(struct socket_server *ss, struct request *req, struct socket_message *result) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL)
		return -1;
	int state = state_of(s);
	atomic_store_explicit(&s->owner, req->opaque, memory_order_relaxed);
	index_socket(ss, s);
	switch (state) {
	case S_PACCEPT:
	case S_PLISTEN:
		set_state(s, state == S_PACCEPT ? S_CONNECTED : S_LISTEN);
		set_interest(ss, s, true, false);
		return report(result, s, SOCKET_OPEN, 0, "start");
	case S_LISTEN:
		if (!s->resting)
			set_interest(ss, s, true, false);
		return report(result, s, SOCKET_OPEN, 0, "start");
	case S_CONNECTED:
		if (!s->closing) { /* closing is only ever set by this thread */
			throttle_remove(ss, s); /* read now; held again if still busy */
			set_interest(ss, s, true, is_writing(s));
			return report(result, s, SOCKET_OPEN, 0, "transfer");
		}
		return -1;
	default:
		return -1;
	}
}

static void
pause_socket(struct socket_server *ss, struct request *req) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL)
		return;
	throttle_remove(ss, s); /* paused until started, whatever its owner does */
	int state = state_of(s);
	if (state == S_CONNECTED || state == S_LISTEN)
		set_interest(ss, s, false, is_writing(s));
}

static int
close_socket(struct socket_server *ss, struct request *req, struct socket_message *result, bool shutdown) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL)
		return -1;
	throttle_remove(ss, s);
	int state = state_of(s);
	if (shutdown || (state != S_CONNECTED && state != S_HALFCLOSE))
		return close_report(ss, s, result);
	socket_lock(s);
	bool empty = queue_empty(s);
	if (!empty)
		s->closing = true;
	socket_unlock(s);
	if (empty)
		return close_report(ss, s, result);
	/* flush first: stop reading, end the socket when the queue drains */
	set_state(s, S_HALFCLOSE);
	set_interest(ss, s, false, true);
	if (s->reported)
		return -1;
	s->reported = true;
	return report(result, s, SOCKET_CLOSE, 0, NULL);
}

/* the owner is gone: its sockets close without a report, except those
 * flushing after a close, which end once their queue is sent */
static void
drop_owner(struct socket_server *ss, uintptr_t owner) {
	struct socket *s = *owner_bucket(ss, owner);
	while (s) {
		struct socket *next = s->owner_next;
		if (s->indexed_owner == owner) {
			socket_lock(s);
			bool flushing = s->closing;
			socket_unlock(s);
			if (!flushing)
				force_close(ss, s);
		}
		s = next;
	}
}

/* nobody owns the socket until the next start: no owner's exit closes it */
static void
abandon_socket(struct socket_server *ss, struct request *req) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL || owner_of(s) != req->opaque)
		return;
	atomic_store_explicit(&s->owner, 0, memory_order_relaxed);
	index_socket(ss, s);
}

/* a send found the write queue over the limit */
static int
close_overflow(struct socket_server *ss, struct request *req, struct socket_message *result) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL)
		return -1;
	return error_report(ss, s, result, "write buffer overflow");
}

static void
trigger_write(struct socket_server *ss, struct request *req) {
	struct socket *s = request_socket(ss, req);
	if (s == NULL)
		return;
	int state = state_of(s);
	if (state != S_CONNECTED && state != S_HALFCLOSE)
		return;
	socket_lock(s);
	bool queued = !queue_empty(s);
	socket_unlock(s);
	if (queued)
		set_interest(ss, s, is_reading(s), true);
}

static int
handle_request(struct socket_server *ss, struct request *req, struct socket_message *result) {
	switch (req->type) {
	case REQ_OPEN:
		return open_connection(ss, req, result);
	case REQ_LISTEN:
		return open_listen(ss, req, result);
	case REQ_BIND:
		return open_bind(ss, req, result);
	case REQ_UDP:
		return open_udp(ss, req);
	case REQ_START:
		return start_socket(ss, req, result);
	case REQ_PAUSE:
		pause_socket(ss, req);
		return -1;
	case REQ_WAKE:
		if (ss->throttled)
			resume_throttled(ss);
		return -1;
	case REQ_CLOSE:
		return close_socket(ss, req, result, false);
	case REQ_SHUTDOWN:
		return close_socket(ss, req, result, true);
	case REQ_WAIT_WRITABLE:
		trigger_write(ss, req);
		return -1;
	case REQ_DROP_OWNER:
		drop_owner(ss, req->opaque);
		return -1;
	case REQ_ABANDON:
		abandon_socket(ss, req);
		return -1;
	case REQ_OVERFLOW:
		return close_overflow(ss, req, result);
	case REQ_WARN_QUEUE: {
		struct socket *s = request_socket(ss, req);
		return s ? report(result, s, SOCKET_WARNING, req->u.kb, NULL) : -1;
	}
	case REQ_EXIT:
		result->id = 0;
		result->opaque = 0;
		result->ud = 0;
		result->data = NULL;
		return SOCKET_EXIT;
	default:
		fprintf(stderr, "socket-server: unknown request %c.\n", req->type);
		return -1;
	}
}

/* socket thread: events */

static void
stat_read(struct socket_server *ss, struct socket *s, size_t n) {
	atomic_store_explicit(&s->nread, atomic_load_explicit(&s->nread, memory_order_relaxed) + n, memory_order_relaxed);
	atomic_store_explicit(&s->rtime, ss->time, memory_order_relaxed);
}

/* called under the lock: the only writers */
static void
stat_write(struct socket_server *ss, struct socket *s, size_t n) {
	atomic_store_explicit(&s->nwrite, atomic_load_explicit(&s->nwrite, memory_order_relaxed) + n, memory_order_relaxed);
	atomic_store_explicit(&s->wtime, ss->clock(), memory_order_relaxed);
}

static void
backoff_listener(struct socket_server *ss, struct socket *s) {
	set_interest(ss, s, false, false);
	if (s->resting)
		return;
	s->resting = true;
	s->backoff_next = ss->backoff;
	ss->backoff = s;
	ss->backoff_until = monotonic_ms() + ACCEPT_BACKOFF_MS;
}

static void
resume_listeners(struct socket_server *ss) {
	if (ss->backoff == NULL || monotonic_ms() < ss->backoff_until)
		return;
	while (ss->backoff) {
		struct socket *s = ss->backoff;
		ss->backoff = s->backoff_next;
		s->backoff_next = NULL;
		s->resting = false;
		set_interest(ss, s, true, false);
	}
}

static int
accept_error(struct socket_server *ss, struct socket *s, struct socket_message *result, int err) {
	/* no fd or slot now: rest the listener instead of spinning on it */
	backoff_listener(ss, s);
	if (s->accept_failing)
		return -1;
	s->accept_failing = true;
	return report(result, s, SOCKET_ERR, 0, strerror(err));
}

static int
accept_connection(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	union sockaddr_all u;
	socklen_t len = sizeof(u);
	int fd = accept4(s->fd, &u.s, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return -1;
		return accept_error(ss, s, result, errno);
	}
	int id = reserve_id(ss, owner_of(s), PROTOCOL_TCP);
	if (id < 0) {
		close(fd);
		return accept_error(ss, s, result, EMFILE);
	}
	s->accept_failing = false;
	set_keepalive(fd);
	struct socket *ns = get_socket(ss, id);
	index_socket(ss, ns);
	socket_lock(ns);
	ns->fd = fd;
	set_state(ns, S_PACCEPT);
	socket_unlock(ns);
	atomic_store_explicit(&s->nread, atomic_load_explicit(&s->nread, memory_order_relaxed) + 1, memory_order_relaxed);
	atomic_store_explicit(&s->rtime, ss->time, memory_order_relaxed);
	return report(result, s, SOCKET_ACCEPT, id, address_string(ss, &u, true));
}

/* a ready listener is accepted from until EAGAIN, ACCEPT_BATCH at most
 * in a row: then the other ready sockets run before it comes back */
static int
accept_batch(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	if (!is_reading(s)) { /* paused (or resting) since the event came */
		ss->accept_streak = 0;
		return -1;
	}
	int r = accept_connection(ss, s, result);
	if (r == SOCKET_ACCEPT && ++ss->accept_streak < ACCEPT_BATCH) {
		ss->event_index--; /* the same event again on the next call */
	} else {
		ss->accept_streak = 0;
	}
	return r;
}

static int
connect_done(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	int error = 0;
	socklen_t len = sizeof(error);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	if (error)
		return error_report(ss, s, result, strerror(error));
	socket_lock(s);
	set_state(s, S_CONNECTED);
	bool queued = !queue_empty(s);
	socket_unlock(s);
	set_interest(ss, s, true, queued);
	union sockaddr_all u;
	len = sizeof(u);
	const char *addr = getpeername(s->fd, &u.s, &len) == 0 ? address_string(ss, &u, false) : "";
	return report(result, s, SOCKET_OPEN, 0, addr);
}

static int
read_tcp(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	int sz = s->rsize;
	char *buffer = skynet_malloc(sz);
	ssize_t n = read(s->fd, buffer, sz);
	if (n < 0) {
		int err = errno;
		skynet_free(buffer);
		if (err == EINTR || err == EAGAIN)
			return -1;
		return error_report(ss, s, result, strerror(err));
	}
	if (n == 0) {
		skynet_free(buffer);
		/* half-close: the owner may still write, and closes when done */
		set_state(s, S_HALFCLOSE);
		set_interest(ss, s, false, is_writing(s));
		if (s->reported)
			return -1;
		s->reported = true;
		return report(result, s, SOCKET_CLOSE, 0, NULL);
	}
	if (n == sz && sz < MAX_READ_BUFFER)
		s->rsize = sz * 2;
	else if (sz > MIN_READ_BUFFER && n * 2 < sz)
		s->rsize = sz / 2;
	stat_read(ss, s, n);
	return report(result, s, SOCKET_DATA, (int)n, buffer);
}

static int
udp_address_size(int protocol) {
	return protocol == PROTOCOL_UDPv6 ? 1 + 2 + 16 : 1 + 2 + 4;
}

/* skynet's wire form of a UDP address: protocol, port, ip (network order) */
static int
encode_udp_address(int protocol, const union sockaddr_all *sa, uint8_t *out) {
	out[0] = (uint8_t)protocol;
	if (protocol == PROTOCOL_UDPv6) {
		memcpy(out + 1, &sa->v6.sin6_port, 2);
		memcpy(out + 3, &sa->v6.sin6_addr, 16);
	} else {
		memcpy(out + 1, &sa->v4.sin_port, 2);
		memcpy(out + 3, &sa->v4.sin_addr, 4);
	}
	return udp_address_size(protocol);
}

static socklen_t
decode_udp_address(int protocol, const uint8_t *addr, union sockaddr_all *sa) {
	if (addr[0] != protocol)
		return 0;
	memset(sa, 0, sizeof(*sa));
	if (protocol == PROTOCOL_UDPv6) {
		sa->v6.sin6_family = AF_INET6;
		memcpy(&sa->v6.sin6_port, addr + 1, 2);
		memcpy(&sa->v6.sin6_addr, addr + 3, 16);
		return sizeof(sa->v6);
	}
	sa->v4.sin_family = AF_INET;
	memcpy(&sa->v4.sin_port, addr + 1, 2);
	memcpy(&sa->v4.sin_addr, addr + 3, 4);
	return sizeof(sa->v4);
}

static int
read_udp(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	if (ss->udpbuf == NULL)
		ss->udpbuf = skynet_malloc(MAX_UDP_PACKAGE);
	union sockaddr_all sa;
	socklen_t len = sizeof(sa);
	ssize_t n = recvfrom(s->fd, ss->udpbuf, MAX_UDP_PACKAGE, 0, &sa.s, &len);
	if (n < 0) {
		int err = errno;
		if (err == EINTR || err == EAGAIN)
			return -1;
		return error_report(ss, s, result, strerror(err));
	}
	int asz = udp_address_size(s->protocol);
	char *data = skynet_malloc(n + asz);
	memcpy(data, ss->udpbuf, n);
	encode_udp_address(s->protocol, &sa, (uint8_t *)data + n);
	stat_read(ss, s, n);
	return report(result, s, SOCKET_UDP, (int)n, data);
}

/* frees fully sent buffers of list and advances a partly sent head */
static void
wlist_consume(struct wlist *list, size_t n) {
	while (n > 0) {
		struct wbuf *b = list->head;
		if (n < b->sz) {
			b->ptr += n;
			b->sz -= n;
			return;
		}
		n -= b->sz;
		list->head = b->next;
		wbuf_free(b);
	}
	if (list->head == NULL)
		list->tail = NULL;
}

/* 0: list sent, 1: the kernel buffer is full, -1: error (errno). Under the lock. */
static int
send_list_tcp(struct socket_server *ss, struct socket *s, struct wlist *list) {
	while (list->head) {
		struct iovec iov[IOV_BATCH];
		int n = 0;
		size_t total = 0;
		for (struct wbuf *b = list->head; b && n < IOV_BATCH; b = b->next, n++) {
			iov[n].iov_base = b->ptr;
			iov[n].iov_len = b->sz;
			total += b->sz;
		}
		ssize_t w = writev(s->fd, iov, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 1 : -1;
		}
		stat_write(ss, s, w);
		s->wb_size -= w;
		wlist_consume(list, w);
		if ((size_t)w < total)
			return 1;
	}
	return 0;
}

/* datagrams that fail are dropped; only a full buffer stops the list */
static int
send_list_udp(struct socket_server *ss, struct socket *s, struct wlist *list) {
	while (list->head) {
		struct wbuf_udp *u = (struct wbuf_udp *)list->head;
		ssize_t w = sendto(s->fd, u->b.ptr, u->b.sz, 0, &u->to.s, u->tolen);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 1;
		if (w >= 0)
			stat_write(ss, s, u->b.sz);
		s->wb_size -= u->b.sz;
		list->head = u->b.next;
		wbuf_free(&u->b);
	}
	list->tail = NULL;
	return 0;
}

/* high first; a low buffer cut in the middle moves to high to finish first */
static int
flush_queues(struct socket_server *ss, struct socket *s) {
	if (s->protocol != PROTOCOL_TCP) {
		int r = send_list_udp(ss, s, &s->high);
		return r ? r : send_list_udp(ss, s, &s->low);
	}
	int r = send_list_tcp(ss, s, &s->high);
	if (r)
		return r;
	r = send_list_tcp(ss, s, &s->low);
	struct wbuf *b = s->low.head;
	if (r == 1 && b && b->ptr != (char *)b->buffer) {
		s->low.head = b->next;
		if (s->low.head == NULL)
			s->low.tail = NULL;
		wlist_append(&s->high, b);
	}
	return r;
}

static int
write_ready(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	socket_lock(s);
	int r = flush_queues(ss, s);
	int err = errno;
	bool empty = queue_empty(s);
	bool drained = empty && s->warn_size > 0;
	if (drained)
		s->warn_size = 0;
	socket_unlock(s);
	if (r < 0)
		return error_report(ss, s, result, strerror(err));
	if (!empty)
		return -1;
	if (s->closing)
		return close_report(ss, s, result);
	set_interest(ss, s, is_reading(s), false);
	return drained ? report(result, s, SOCKET_WARNING, 0, NULL) : -1;
}

static int
socket_error(struct socket_server *ss, struct socket *s, struct socket_message *result) {
	int error = 0;
	socklen_t len = sizeof(error);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
		error = errno;
	return error_report(ss, s, result, strerror(error ? error : EPIPE));
}

static int
handle_event(struct socket_server *ss, struct event *e, struct socket_message *result) {
	struct socket *s = e->ud;
	switch (state_of(s)) {
	case S_CONNECTING:
		return connect_done(ss, s, result);
	case S_LISTEN:
		return accept_batch(ss, s, result);
	case S_FREE:
	case S_RESERVED:
		return -1;
	}
	if (e->error)
		return socket_error(ss, s, result);
	if (e->read) {
		e->read = false;
		if (is_reading(s) && hold_reading(ss, s, e->hangup)) {
			/* read once the owner has caught up */
		} else if (is_reading(s)) {
			int r = s->protocol == PROTOCOL_TCP ? read_tcp(ss, s, result) : read_udp(ss, s, result);
			if (r != -1) {
				if (e->write && state_of(s) != S_FREE)
					ss->event_index--; /* come back for the write half */
				return r;
			}
		} else if (e->hangup && !e->write) {
			/* gone both ways while we were not reading */
			return close_report(ss, s, result);
		}
	}
	if (e->write && state_of(s) != S_FREE && is_writing(s))
		return write_ready(ss, s, result);
	return -1;
}

int
socket_server_poll(struct socket_server *ss, struct socket_message *result, int *waited) {
	atomic_store_explicit(&ss->poll_thread, pthread_self(), memory_order_relaxed);
	for (;;) {
		if (ss->req_index < ss->req_n) {
			int r = handle_request(ss, &ss->req[ss->req_index++], result);
			if (r != -1)
				return r;
			continue;
		}
		if (ss->event_index == ss->event_n) {
			int timeout = ss->throttled ? THROTTLE_CHECK_MS : ss->backoff ? ACCEPT_BACKOFF_MS : -1;
			ss->event_n = sp_wait(ss->efd, ss->ev, MAX_EVENT, timeout);
			ss->event_index = 0;
			ss->time = ss->clock();
			if (waited)
				*waited = 1;
			resume_listeners(ss);
			if (ss->throttled)
				resume_throttled(ss);
			if (ss->event_n <= 0) {
				ss->event_n = 0;
				continue;
			}
		}
		struct event *e = &ss->ev[ss->event_index++];
		if (e->ud == NULL)
			continue;
		if (e->ud == ss) {
			read_requests(ss);
			continue;
		}
		int r = handle_event(ss, e, result);
		if (r != -1)
			return r;
	}
}

/* worker threads: requests */

void
socket_server_exit(struct socket_server *ss) {
	simple_request(ss, REQ_EXIT, 0, 0);
}

void
socket_server_close(struct socket_server *ss, uintptr_t opaque, int id) {
	simple_request(ss, REQ_CLOSE, opaque, id);
}

void
socket_server_shutdown(struct socket_server *ss, uintptr_t opaque, int id) {
	simple_request(ss, REQ_SHUTDOWN, opaque, id);
}

void
socket_server_start(struct socket_server *ss, uintptr_t opaque, int id) {
	simple_request(ss, REQ_START, opaque, id);
}

void
socket_server_pause(struct socket_server *ss, uintptr_t opaque, int id) {
	simple_request(ss, REQ_PAUSE, opaque, id);
}

void
socket_server_owner_ready(struct socket_server *ss) {
	simple_request(ss, REQ_WAKE, 0, 0);
}

void
socket_server_abandon(struct socket_server *ss, uintptr_t opaque, int id) {
	simple_request(ss, REQ_ABANDON, opaque, id);
}

void
socket_server_drop_owner(struct socket_server *ss, uintptr_t opaque) {
	/* the socket thread may end a service itself (its last reference
	 * dropped after a delivery): it must not wait on its own pipe */
	if (pthread_equal(atomic_load_explicit(&ss->poll_thread, memory_order_relaxed), pthread_self()))
		drop_owner(ss, opaque);
	else
		simple_request(ss, REQ_DROP_OWNER, opaque, 0);
}

void
socket_server_throttle_reads(struct socket_server *ss, socket_busy_fn busy) {
	ss->owner_busy = busy;
}

void
socket_server_limit_writes(struct socket_server *ss, size_t limit, socket_overflow_fn report) {
	ss->write_limit = limit;
	ss->report_overflow = report;
}

static int system_backlog = 0;

static void
read_somaxconn(void) {
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
	int n = 0;
	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	system_backlog = n > 0 ? n : DEFAULT_BACKLOG;
}

int
socket_server_max_backlog(void) {
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, read_somaxconn);
	return system_backlog;
}

static int
resolve(const char *host, int port, int socktype, int flags, struct addrinfo **list) {
	char portstr[16];
	struct addrinfo hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = flags;
	snprintf(portstr, sizeof(portstr), "%d", port);
	return getaddrinfo(host, portstr, &hints, list);
}

int
socket_server_connect(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	struct request req;
	memset(&req, 0, sizeof(req));
	struct addrinfo *list = NULL;
	req.u.open.error = resolve(addr, port, SOCK_STREAM, 0, &list);
	for (struct addrinfo *ai = list; ai && req.u.open.n < MAX_CONNECT_ADDR; ai = ai->ai_next) {
		if (ai->ai_addrlen <= sizeof(union sockaddr_all))
			memcpy(&req.u.open.addr[req.u.open.n++], ai->ai_addr, ai->ai_addrlen);
	}
	if (list)
		freeaddrinfo(list);
	int id = reserve_id(ss, opaque, PROTOCOL_TCP);
	if (id < 0)
		return -1;
	req.type = REQ_OPEN;
	req.id = id;
	req.opaque = opaque;
	send_request(ss, &req);
	return id;
}

/* a bound socket; -1 with errno on failure (EADDRNOTAVAIL when host does
 * not resolve) */
static int
bound_socket(const char *host, int port, int socktype, int *family) {
	if (host == NULL || host[0] == 0)
		host = "0.0.0.0";
	struct addrinfo *list = NULL;
	int gai = resolve(host, port, socktype, AI_PASSIVE, &list);
	if (gai) {
		if (gai != EAI_SYSTEM)
			errno = EADDRNOTAVAIL;
		return -1;
	}
	int fd = socket(list->ai_family, socktype | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, list->ai_addr, list->ai_addrlen)) {
			int err = errno;
			close(fd);
			errno = err;
			fd = -1;
		}
	}
	*family = list->ai_family;
	freeaddrinfo(list);
	return fd;
}

/* gives fd a socket id and asks the socket thread to take it (REQ_LISTEN
 * or REQ_BIND); -1 when no id is free */
static int
adopt_fd(struct socket_server *ss, uintptr_t opaque, int fd, enum request_type type) {
	int id = reserve_id(ss, opaque, PROTOCOL_TCP);
	if (id < 0)
		return -1;
	struct request req;
	memset(&req, 0, sizeof(req));
	req.type = type;
	req.id = id;
	req.opaque = opaque;
	req.u.fd.fd = fd;
	send_request(ss, &req);
	return id;
}

int
socket_server_listen(struct socket_server *ss, uintptr_t opaque, const char *addr, int port, int backlog) {
	int family;
	int fd = bound_socket(addr, port, SOCK_STREAM, &family);
	if (fd < 0)
		return -1;
	if (listen(fd, backlog) || sp_nonblocking(fd)) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	int id = adopt_fd(ss, opaque, fd, REQ_LISTEN);
	if (id < 0) {
		close(fd);
		errno = EMFILE; /* every socket id is in use */
	}
	return id;
}

int
socket_server_bind(struct socket_server *ss, uintptr_t opaque, int fd) {
	return adopt_fd(ss, opaque, fd, REQ_BIND);
}

void
socket_server_holdreads(struct socket_server *ss, int id, int limit) {
	struct socket *s = get_socket(ss, id);
	if (s == NULL)
		return;
	socket_lock(s);
	if (alive(s, id))
		atomic_store_explicit(&s->hold_limit, limit, memory_order_relaxed);
	socket_unlock(s);
}

void
socket_server_nodelay(struct socket_server *ss, int id) {
	struct socket *s = get_socket(ss, id);
	if (s == NULL)
		return;
	socket_lock(s);
	if (alive(s, id) && s->fd >= 0 && s->protocol == PROTOCOL_TCP) {
		int on = 1;
		setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
	socket_unlock(s);
}

/* worker threads: sending */

static bool
writable(struct socket *s, int id) {
	if (!alive(s, id) || s->closing || s->overflow)
		return false;
	int state = state_of(s);
	return state == S_RESERVED || state == S_CONNECTING || state == S_CONNECTED || state == S_HALFCLOSE;
}

/* bytes written straight away, 0 when the kernel takes none now, -1 on error */
static ssize_t
write_direct(struct socket *s, const void *data, size_t sz, const union sockaddr_all *to, socklen_t tolen) {
	for (;;) {
		ssize_t n = to ? sendto(s->fd, data, sz, 0, &to->s, tolen) : write(s->fd, data, sz);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
}

/* the warning threshold wb_size just crossed, in KB, or 0; under the lock */
static int
check_warning(struct socket *s) {
	if (s->wb_size < WARNING_SIZE || s->wb_size < s->warn_size)
		return 0;
	s->warn_size = s->warn_size ? s->warn_size * 2 : WARNING_SIZE * 2;
	return (int)((s->wb_size + 1023) / 1024);
}

/* a send would queue more than the limit: the data is dropped and the
 * socket thread closes the socket.  Called under the lock; unlocks. */
static void
refuse_overflow(struct socket_server *ss, struct socket *s, struct socket_sendbuffer *buf, size_t queued) {
	int id = buf->id;
	uintptr_t owner = owner_of(s);
	s->overflow = true;
	socket_unlock(s);
	free_sendbuffer(buf);
	simple_request(ss, REQ_OVERFLOW, owner, id);
	if (ss->report_overflow)
		ss->report_overflow(id, owner, queued, ss->write_limit);
}

/*
 * The common path of every send.  to: a UDP destination or NULL.
 * Writes directly when nothing is queued; queues the rest; tells the
 * socket thread when the queue stops being empty.
 */
static int
send_buffer(struct socket_server *ss, struct socket_sendbuffer *buf, bool high, const uint8_t *udp_address) {
	int id = buf->id;
	struct socket *s = get_socket(ss, id);
	if (s == NULL || buf->type == SOCKET_BUFFER_OBJECT) {
		free_sendbuffer(buf);
		return -1;
	}
	union sockaddr_all dest;
	const union sockaddr_all *to = NULL;
	socklen_t tolen = 0;
	socket_lock(s);
	if (!writable(s, id))
		goto fail;
	bool udp = s->protocol != PROTOCOL_TCP;
	if (udp_address) {
		if (!udp || (tolen = decode_udp_address(s->protocol, udp_address, &dest)) == 0)
			goto fail;
		to = &dest;
	} else if (udp) {
		if (!s->udp_peer_set)
			goto fail;
		to = &s->udp_peer;
		tolen = to->s.sa_family == AF_INET6 ? sizeof(to->v6) : sizeof(to->v4);
	}
	bool was_empty = queue_empty(s);
	size_t sent = 0;
	int state = state_of(s);
	if (was_empty && (state == S_CONNECTED || state == S_HALFCLOSE)) {
		ssize_t n = write_direct(s, buf->buffer, buf->sz, to, tolen);
		if (n < 0 && udp)
			goto fail; /* a datagram that cannot go is dropped */
		if (n > 0) {
			stat_write(ss, s, n);
			sent = n;
		}
		/* a TCP error is left for the socket thread to find on the next write */
		if (sent == buf->sz) {
			socket_unlock(s);
			free_sendbuffer(buf);
			return 0;
		}
	}
	size_t limit = ss->write_limit;
	if (limit && s->wb_size + (buf->sz - sent) > limit) {
		refuse_overflow(ss, s, buf, s->wb_size + (buf->sz - sent));
		return -1;
	}
	struct wbuf *b = wbuf_new(buf, sent, udp ? sizeof(struct wbuf_udp) : sizeof(struct wbuf));
	if (b == NULL)
		goto fail;
	if (udp) {
		struct wbuf_udp *u = (struct wbuf_udp *)b;
		u->to = *to;
		u->tolen = tolen;
	}
	/* a stream cut in the middle must finish before anything else */
	wlist_append(high || sent > 0 ? &s->high : &s->low, b);
	s->wb_size += b->sz;
	int warn_kb = check_warning(s);
	uintptr_t owner = owner_of(s);
	socket_unlock(s);
	if (was_empty)
		simple_request(ss, REQ_WAIT_WRITABLE, owner, id);
	if (warn_kb) {
		struct request req;
		memset(&req, 0, sizeof(req));
		req.type = REQ_WARN_QUEUE;
		req.id = id;
		req.u.kb = warn_kb;
		send_request(ss, &req);
	}
	return 0;
fail:
	socket_unlock(s);
	free_sendbuffer(buf);
	return -1;
}

int
socket_server_send(struct socket_server *ss, struct socket_sendbuffer *buf) {
	return send_buffer(ss, buf, true, NULL);
}

int
socket_server_send_lowpriority(struct socket_server *ss, struct socket_sendbuffer *buf) {
	return send_buffer(ss, buf, false, NULL);
}

/* UDP */

static int
udp_protocol(int family) {
	return family == AF_INET6 ? PROTOCOL_UDPv6 : PROTOCOL_UDP;
}

static int
add_udp(struct socket_server *ss, uintptr_t opaque, int fd, int family, const union sockaddr_all *peer) {
	sp_nonblocking(fd);
	int id = reserve_id(ss, opaque, udp_protocol(family));
	if (id < 0) {
		close(fd);
		return -1;
	}
	if (peer) {
		struct socket *s = get_socket(ss, id);
		socket_lock(s);
		s->udp_peer = *peer;
		s->udp_peer_set = true;
		socket_unlock(s);
	}
	struct request req;
	memset(&req, 0, sizeof(req));
	req.type = REQ_UDP;
	req.id = id;
	req.opaque = opaque;
	req.u.fd.fd = fd;
	send_request(ss, &req);
	return id;
}

int
socket_server_udp(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	int fd, family = AF_INET;
	if (addr || port) {
		fd = bound_socket(addr, port, SOCK_DGRAM, &family);
	} else {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -1;
	return add_udp(ss, opaque, fd, family, NULL);
}

static bool
resolve_udp(const char *addr, int port, union sockaddr_all *sa) {
	struct addrinfo *list = NULL;
	if (resolve(addr, port, SOCK_DGRAM, 0, &list))
		return false;
	bool ok = list->ai_addrlen <= sizeof(*sa);
	if (ok)
		memcpy(sa, list->ai_addr, list->ai_addrlen);
	freeaddrinfo(list);
	return ok;
}

int
socket_server_udp_dial(struct socket_server *ss, uintptr_t opaque, const char *addr, int port) {
	union sockaddr_all peer;
	if (!resolve_udp(addr, port, &peer))
		return -1;
	int fd = socket(peer.s.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	return add_udp(ss, opaque, fd, peer.s.sa_family, &peer);
}

int
socket_server_udp_connect(struct socket_server *ss, int id, const char *addr, int port) {
	union sockaddr_all peer;
	struct socket *s = get_socket(ss, id);
	if (s == NULL || !resolve_udp(addr, port, &peer))
		return -1;
	int r = -1;
	socket_lock(s);
	if (alive(s, id) && s->protocol == udp_protocol(peer.s.sa_family)) {
		s->udp_peer = peer;
		s->udp_peer_set = true;
		r = 0;
	}
	socket_unlock(s);
	return r;
}

int
socket_server_udp_send(struct socket_server *ss, const struct socket_udp_address *addr,
	struct socket_sendbuffer *buf) {
	return send_buffer(ss, buf, true, (const uint8_t *)addr);
}

const struct socket_udp_address *
socket_server_udp_address(struct socket_message *msg, int *addrsz) {
	const uint8_t *addr = (const uint8_t *)msg->data + msg->ud;
	if (addr[0] != PROTOCOL_UDP && addr[0] != PROTOCOL_UDPv6)
		return NULL;
	*addrsz = udp_address_size(addr[0]);
	return (const struct socket_udp_address *)addr;
}

/* statistics */

static int
info_type(struct socket *s, int state) {
	if (s->closing)
		return SOCKET_INFO_CLOSING;
	if (state == S_PLISTEN || state == S_LISTEN)
		return SOCKET_INFO_LISTEN;
	if (s->protocol != PROTOCOL_TCP)
		return SOCKET_INFO_UDP;
	return s->bound ? SOCKET_INFO_BIND : SOCKET_INFO_TCP;
}

/* fills si from a live socket; under the lock */
static void
fill_info(struct socket *s, int state, struct socket_info *si) {
	si->id = atomic_load_explicit(&s->id, memory_order_relaxed);
	si->type = info_type(s, state);
	si->opaque = owner_of(s);
	si->read = atomic_load_explicit(&s->nread, memory_order_relaxed);
	si->write = atomic_load_explicit(&s->nwrite, memory_order_relaxed);
	si->rtime = atomic_load_explicit(&s->rtime, memory_order_relaxed);
	si->wtime = atomic_load_explicit(&s->wtime, memory_order_relaxed);
	si->wbuffer = s->wb_size;
	si->reading = is_reading(s);
	si->writing = is_writing(s);
	si->name[0] = 0;
	union sockaddr_all u;
	socklen_t len = sizeof(u);
	int r = si->type == SOCKET_INFO_LISTEN ? getsockname(s->fd, &u.s, &len) : getpeername(s->fd, &u.s, &len);
	if (r == 0 && (u.s.sa_family == AF_INET || u.s.sa_family == AF_INET6)) {
		char tmp[INET6_ADDRSTRLEN];
		const void *a = u.s.sa_family == AF_INET6 ? (const void *)&u.v6.sin6_addr : (const void *)&u.v4.sin_addr;
		if (inet_ntop(u.s.sa_family, a, tmp, sizeof(tmp)))
			snprintf(si->name, sizeof(si->name), "%s:%d", tmp, sockaddr_port(&u));
	}
}

struct socket_info *
socket_server_info(struct socket_server *ss) {
	struct socket_info *list = NULL;
	struct socket_info *si = NULL;
	for (int b = 0; b < BLOCK_COUNT; b++) {
		struct socket *block = atomic_load_explicit(&ss->block[b], memory_order_acquire);
		if (block == NULL)
			continue;
		for (int i = 0; i < BLOCK_SIZE; i++) {
			struct socket *s = &block[i];
			if (si == NULL && (si = skynet_malloc(sizeof(*si))) == NULL)
				return list;
			socket_lock(s);
			int state = state_of(s);
			bool live = state != S_FREE && state != S_RESERVED && s->fd >= 0;
			if (live)
				fill_info(s, state, si);
			socket_unlock(s);
			if (live) {
				si->next = list;
				list = si;
				si = NULL;
			}
		}
	}
	skynet_free(si);
	return list;
}

void
socket_info_release(struct socket_info *si) {
	while (si) {
		struct socket_info *next = si->next;
		skynet_free(si);
		si = next;
	}
}
