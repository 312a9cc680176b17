/*
 * lib/config.h: configuration from the environment only (DESIGN.md §6).
 *
 * Each program describes the variables it reads in tables of struct
 * config_var (name, type, default, in which APP_ENVs it is required, bounds).
 * config_load() reads and validates every variable at once and reports *all*
 * problems in one message, so an operator fixes a deployment in one go; the
 * programs then exit 78 (EX_CONFIG). Values of variables marked `secret` never
 * appear in a message. With APP_ENV=production every CONFIG_URL_HTTP value
 * must be https:// or name a loopback host (provider base URLs,
 * PUBLIC_BASE_URL; lib/url.h url_is_private_transport, docs/SECURITY.md).
 *
 * After a successful load the typed getters never fail: asking for a name that
 * is not in the tables is a programming error and aborts.
 *
 * Ownership: config_load() returns a struct config the caller frees with
 * config_free(); strings returned by getters live as long as it. On failure the
 * message is a new string the caller frees.
 */
#ifndef SENTIA_LIB_CONFIG_H
#define SENTIA_LIB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum config_env {
    CONFIG_ENV_DEVELOPMENT = 1,
    CONFIG_ENV_TEST = 2,
    CONFIG_ENV_PRODUCTION = 4,
};
#define CONFIG_ENV_ALL (CONFIG_ENV_DEVELOPMENT | CONFIG_ENV_TEST | CONFIG_ENV_PRODUCTION)

enum config_type {
    CONFIG_STR,
    CONFIG_INT,      /* decimal, within [min, max] */
    CONFIG_BOOL,     /* true/false, 1/0, yes/no, on/off */
    CONFIG_ENUM,     /* one of `choices`, "a|b|c" */
    CONFIG_URL_REDIS,    /* redis://[user:pass@]host[:port][/db] */
    CONFIG_URL_POSTGRES, /* postgres(ql)://… */
    CONFIG_URL_HTTP,     /* http(s)://host…; production: https:// or loopback */
};

struct config_var {
    const char *name;     /* NULL ends a table */
    enum config_type type;
    const char *def;      /* default text, or NULL for none */
    unsigned required_in; /* mask of enum config_env */
    long long min, max;   /* CONFIG_INT bounds */
    const char *choices;  /* CONFIG_ENUM */
    bool secret;          /* value never shown */
};

/* Variables every Sentia program reads. */
extern const struct config_var config_common_vars[];

struct config;

/* Where values come from: getenv in production, a table in tests. */
typedef const char *(*config_getter)(const char *name, void *ctx);

/*
 * Loads the NULL-terminated list of tables. Returns 0 and *out, or -1 and
 * *errors ("…: A is required; B must be …"), caller-freed.
 */
int config_load(const struct config_var *const *tables, config_getter get,
                void *ctx, struct config **out, char **errors);
void config_free(struct config *cfg);

enum config_env config_env(const struct config *cfg);
const char *config_env_name(const struct config *cfg);
/* The value, the default, or NULL when neither is set. */
const char *config_str(const struct config *cfg, const char *name);
long long config_int(const struct config *cfg, const char *name);
bool config_bool(const struct config *cfg, const char *name);
/* True when the variable was set in the environment (not defaulted). */
bool config_is_set(const struct config *cfg, const char *name);

#endif
