/* The core's view of the socket thread (implemented over socket_server). */
#ifndef SKYNET_SOCKET_H
#define SKYNET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

struct skynet_context;

#define SKYNET_SOCKET_TYPE_DATA 1
#define SKYNET_SOCKET_TYPE_CONNECT 2
#define SKYNET_SOCKET_TYPE_CLOSE 3
#define SKYNET_SOCKET_TYPE_ACCEPT 4
#define SKYNET_SOCKET_TYPE_ERROR 5
#define SKYNET_SOCKET_TYPE_UDP 6
#define SKYNET_SOCKET_TYPE_WARNING 7

/* the payload of a PTYPE_SOCKET message */
struct skynet_socket_message {
	int type;
	int id;
	int ud;
	char *buffer; /* NULL when the data follows this struct (padding) */
};

void skynet_socket_init(void);
void skynet_socket_exit(void);
void skynet_socket_free(void);
/* runs one round of the socket thread: 0 when the server exits, -1 for an
 * event with nothing to report, 1 when a message was delivered */
int skynet_socket_poll(void);

#endif
