#ifndef SKYNET_ENV_H
#define SKYNET_ENV_H

/* the value of key, or NULL; the string stays valid while the node runs */
const char *skynet_getenv(const char *key);
void skynet_setenv(const char *key, const char *value);

void skynet_env_init(void);
void skynet_env_exit(void);

#endif
