/*
 * lib/startup.c: configuration at start-up, or exit 78 (see startup.h).
 */
#include "lib/startup.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/mem.h"

enum { STARTUP_ERRORS_MAX = 8192 };

static const char *startup_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* Logs and prints the one message, frees what it holds, exits 78. */
static void startup_fail(struct config *cfg, struct buf *err)
{
    log_error(NULL, "%s", buf_str(err));
    fprintf(stderr, "%s\n", buf_str(err));
    buf_dispose(err);
    config_free(cfg);
    exit(STARTUP_EXIT_CONFIG);
}

struct config *startup_config_or_exit(const struct config_var *const *tables,
                                      startup_check_fn check, void *ctx)
{
    struct config *cfg = NULL;
    char *errors = NULL;
    struct buf err;
    buf_init(&err, STARTUP_ERRORS_MAX);
    bool loaded = config_load(tables, startup_getenv, NULL, &cfg, &errors) == 0;
    if (!loaded) {
        buf_puts(&err, errors); /* "invalid configuration (APP_ENV=…): …" */
        free(errors);
    }
    size_t before = err.len;
    if (check != NULL)
        check(loaded ? cfg : NULL, &err, ctx);
    if (err.len == 0) {
        buf_dispose(&err);
        return cfg;
    }
    if (loaded && before == 0) {
        char *all = mem_printf("invalid configuration (APP_ENV=%s): %s", config_env_name(cfg),
                               buf_str(&err));
        buf_reset(&err);
        buf_puts(&err, all);
        free(all);
    }
    startup_fail(cfg, &err);
    return NULL;
}
