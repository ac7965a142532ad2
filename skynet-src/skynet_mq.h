#ifndef SKYNET_MESSAGE_QUEUE_H
#define SKYNET_MESSAGE_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct skynet_message {
	uint32_t source;
	int session;
	void *data;
	size_t sz; /* the message type lives in the top 8 bits */
};

#define MESSAGE_TYPE_MASK (SIZE_MAX >> 8)
#define MESSAGE_TYPE_SHIFT ((sizeof(size_t) - 1) * 8)

struct message_queue;

void skynet_globalmq_push(struct message_queue *queue);
struct message_queue *skynet_globalmq_pop(void);
int skynet_globalmq_empty(void);

struct message_queue *skynet_mq_create(uint32_t handle);
void skynet_mq_mark_release(struct message_queue *q);

typedef void (*message_drop)(struct skynet_message *, void *);

void skynet_mq_release(struct message_queue *q, message_drop drop_func, void *ud);
uint32_t skynet_mq_handle(struct message_queue *);
/* names the owner of a queue made before its handle; before it is scheduled */
void skynet_mq_set_handle(struct message_queue *, uint32_t handle);

/* 0 on success, 1 when the queue is empty */
int skynet_mq_pop(struct message_queue *q, struct skynet_message *message);
void skynet_mq_push(struct message_queue *q, struct skynet_message *message);

/* the new overload threshold crossed since the last call, or 0 */
int skynet_mq_overload(struct message_queue *q);
int skynet_mq_length(struct message_queue *q);

void skynet_mq_init(void);
/* frees the released queues still in the global queue once no worker runs */
void skynet_mq_exit(void);

#endif
