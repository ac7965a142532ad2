#ifndef SKYNET_CONFIG_H
#define SKYNET_CONFIG_H

/* Both print one line "error: config: ..." and exit with status 1 when the
 * config is unusable. */

/* reads the config file into the env (skynet_getenv) */
void skynet_config_load(const char *file);

/* once the defaults are in the env: the start service (when the bootstrap
 * is skynet's) and the preload file exist and compile */
void skynet_config_check(const char *file);

#endif
