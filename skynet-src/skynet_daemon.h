#ifndef SKYNET_DAEMON_H
#define SKYNET_DAEMON_H

/* forks into the background and writes pidfile; 1 on failure (logged) */
int daemon_init(const char *pidfile);
int daemon_exit(const char *pidfile);

#endif
