/*
 * lib/startup.h: the one way a Sentia program loads its configuration at
 * start-up: the tables from the environment, then the program's own check
 * of what the tables cannot express (WORKER_QUEUES syntax, cross-variable
 * rules). Every problem of both is reported in one message — logged, and
 * printed on stderr — and the program exits 78 (EX_CONFIG).
 */
#ifndef SENTIA_LIB_STARTUP_H
#define SENTIA_LIB_STARTUP_H

#include "lib/buf.h"
#include "lib/config.h"

enum { STARTUP_EXIT_CONFIG = 78 };

/* Appends problems to err, "; "-separated; cfg is NULL when the tables
 * themselves did not load. */
typedef void (*startup_check_fn)(const struct config *cfg, struct buf *err, void *ctx);

/*
 * Loads `tables` from getenv and runs `check` (may be NULL). Returns the
 * configuration (config_free it), or does not return: exit 78 with
 * "invalid configuration (APP_ENV=…): <every problem>".
 */
struct config *startup_config_or_exit(const struct config_var *const *tables,
                                      startup_check_fn check, void *ctx);

#endif
