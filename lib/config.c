/*
 * lib/config.c: environment configuration, validated all at once (config.h).
 */
#include "lib/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/url.h"

/* The whole error report stays readable: a few dozen problems at most. */
enum { CONFIG_ERRORS_MAX = 8192 };

const struct config_var config_common_vars[] = {
    {"APP_ENV", CONFIG_ENUM, "development", 0, 0, 0,
     "development|test|production", false},
    {"LOG_LEVEL", CONFIG_ENUM, "info", 0, 0, 0, "debug|info|warn|error", false},
    {"PII_REDACTION_ENABLED", CONFIG_BOOL, "true", 0, 0, 0, NULL, false},
    {"QUEUE_PREFIX", CONFIG_STR, "sentia", 0, 0, 0, NULL, false},
    {"SLOW_QUERY_MS", CONFIG_INT, "5000", 0, 1, 3600000, NULL, false},
    {"REDIS_URL", CONFIG_URL_REDIS, NULL, CONFIG_ENV_ALL, 0, 0, NULL, true},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

struct config_value {
    const struct config_var *var;
    const char *text; /* points into env or owned copy below */
    char *owned;
    bool set;
};

struct config {
    struct config_value *values;
    size_t n;
    enum config_env env;
};

/* ---- validation --------------------------------------------------------- */

static bool config_parse_int(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || isspace((unsigned char)*s))
        return false;
    *out = v;
    return true;
}

static int config_parse_bool(const char *s)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

static bool config_in_choices(const char *s, const char *choices)
{
    size_t len = strlen(s);
    for (const char *c = choices; *c;) {
        size_t n = strcspn(c, "|");
        if (n == len && strncmp(c, s, n) == 0)
            return true;
        c += n + (c[n] == '|');
    }
    return false;
}

/* Checks a URL's scheme and host; returns NULL or a static reason. */
static const char *config_check_url(const char *s, enum config_type type)
{
    struct url u;
    const char *why = NULL;
    if (url_parse(s, &u, &why) != 0)
        return why;
    if (type == CONFIG_URL_REDIS && strcmp(u.scheme, "rediss") == 0)
        why = "TLS (rediss://) is not supported by hiredis 0.14: use redis://";
    else if (type == CONFIG_URL_REDIS && strcmp(u.scheme, "redis") != 0)
        why = "scheme must be redis://";
    else if (type == CONFIG_URL_POSTGRES && strcmp(u.scheme, "postgres") != 0 &&
             strcmp(u.scheme, "postgresql") != 0)
        why = "scheme must be postgres:// or postgresql://";
    else if (type == CONFIG_URL_HTTP && strcmp(u.scheme, "http") != 0 &&
             strcmp(u.scheme, "https") != 0)
        why = "scheme must be http:// or https://";
    else if (type != CONFIG_URL_POSTGRES && (u.host == NULL || u.host[0] == '\0'))
        why = "missing host";
    else if (type == CONFIG_URL_REDIS && u.path && strlen(u.path) > 1) {
        long long db;
        if (!config_parse_int(u.path + 1, &db) || db < 0 || db > 15)
            why = "database must be a number from 0 to 15 (redis://host:port/N)";
    }
    url_dispose(&u);
    return why;
}

/* Appends "NAME must …" for a malformed value; never shows secrets. */
static void config_complain(struct buf *err, const struct config_var *v,
                            const char *text, const char *what)
{
    if (err->len > 0)
        buf_puts(err, "; ");
    buf_printf(err, "%s %s", v->name, what);
    if (!v->secret)
        buf_printf(err, " (got \"%.80s\")", text);
}

static void config_check_value(struct buf *err, const struct config_var *v,
                               const char *text)
{
    long long n;
    const char *why;
    char what[160];
    switch (v->type) {
    case CONFIG_STR:
        break;
    case CONFIG_INT:
        if (!config_parse_int(text, &n) || n < v->min || n > v->max) {
            snprintf(what, sizeof what, "must be an integer from %lld to %lld",
                     v->min, v->max);
            config_complain(err, v, text, what);
        }
        break;
    case CONFIG_BOOL:
        if (config_parse_bool(text) < 0)
            config_complain(err, v, text, "must be true or false");
        break;
    case CONFIG_ENUM:
        if (!config_in_choices(text, v->choices)) {
            snprintf(what, sizeof what, "must be one of %s", v->choices);
            config_complain(err, v, text, what);
        }
        break;
    case CONFIG_URL_REDIS:
    case CONFIG_URL_POSTGRES:
    case CONFIG_URL_HTTP:
        if ((why = config_check_url(text, v->type)) != NULL) {
            snprintf(what, sizeof what, "is not a valid URL: %s", why);
            config_complain(err, v, text, what);
        }
        break;
    }
}

/*
 * In production every http(s) URL must be https:// (or name a loopback host):
 * a provider's base URL carries its credentials (Basic auth, bearer tokens,
 * signed requests) and PUBLIC_BASE_URL is what Twilio signs. Tests and
 * development keep their http:// fakes anywhere.
 */
static void config_check_production(struct buf *err, const struct config_var *v,
                                    const char *text, enum config_env env)
{
    if (env != CONFIG_ENV_PRODUCTION || v->type != CONFIG_URL_HTTP ||
        config_check_url(text, v->type) != NULL || url_is_private_transport(text))
        return;
    config_complain(err, v, text, "must be an https:// URL in production");
}

/* ---- loading ------------------------------------------------------------ */

static size_t config_count(const struct config_var *const *tables)
{
    size_t n = 0;
    for (size_t t = 0; tables[t]; t++)
        for (const struct config_var *v = tables[t]; v->name; v++)
            n++;
    return n;
}

static enum config_env config_env_of(const char *text)
{
    if (text && strcmp(text, "production") == 0)
        return CONFIG_ENV_PRODUCTION;
    if (text && strcmp(text, "test") == 0)
        return CONFIG_ENV_TEST;
    return CONFIG_ENV_DEVELOPMENT;
}

int config_load(const struct config_var *const *tables, config_getter get,
                void *ctx, struct config **out, char **errors)
{
    struct config *cfg = mem_calloc(1, sizeof *cfg);
    struct buf err;
    buf_init(&err, CONFIG_ERRORS_MAX);
    cfg->values = mem_calloc(config_count(tables), sizeof *cfg->values);
    const char *app_env = get("APP_ENV", ctx);
    cfg->env = config_env_of(app_env);
    for (size_t t = 0; tables[t]; t++) {
        for (const struct config_var *v = tables[t]; v->name; v++) {
            struct config_value *val = &cfg->values[cfg->n++];
            const char *text = get(v->name, ctx);
            val->var = v;
            val->set = text != NULL && text[0] != '\0';
            if (val->set) {
                val->owned = mem_strdup(text);
                val->text = val->owned;
                config_check_value(&err, v, text);
                config_check_production(&err, v, text, cfg->env);
            } else if (v->required_in & cfg->env) {
                buf_printf(&err, "%s%s is required", err.len ? "; " : "",
                           v->name);
            } else {
                val->text = v->def;
            }
        }
    }
    if (err.len == 0) {
        buf_dispose(&err);
        *out = cfg;
        return 0;
    }
    *errors = mem_printf("invalid configuration (APP_ENV=%s): %s",
                         app_env && *app_env ? app_env : "development",
                         buf_str(&err));
    buf_dispose(&err);
    config_free(cfg);
    return -1;
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n; i++)
        free(cfg->values[i].owned);
    free(cfg->values);
    free(cfg);
}

/* ---- getters ------------------------------------------------------------ */

static const struct config_value *config_find(const struct config *cfg,
                                              const char *name)
{
    for (size_t i = 0; i < cfg->n; i++)
        if (strcmp(cfg->values[i].var->name, name) == 0)
            return &cfg->values[i];
    fprintf(stderr, "config: %s is not declared in any table\n", name);
    abort();
}

enum config_env config_env(const struct config *cfg)
{
    return cfg->env;
}

const char *config_env_name(const struct config *cfg)
{
    return cfg->env == CONFIG_ENV_PRODUCTION ? "production"
           : cfg->env == CONFIG_ENV_TEST     ? "test"
                                             : "development";
}

const char *config_str(const struct config *cfg, const char *name)
{
    return config_find(cfg, name)->text;
}

long long config_int(const struct config *cfg, const char *name)
{
    const struct config_value *v = config_find(cfg, name);
    long long n = 0;
    if (v->text && !config_parse_int(v->text, &n))
        n = 0;
    return n;
}

bool config_bool(const struct config *cfg, const char *name)
{
    const struct config_value *v = config_find(cfg, name);
    return v->text != NULL && config_parse_bool(v->text) == 1;
}

bool config_is_set(const struct config *cfg, const char *name)
{
    return config_find(cfg, name)->set;
}
