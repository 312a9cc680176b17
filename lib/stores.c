/*
 * lib/stores.c: parsing the Shopify stores from the environment (see
 * stores.h). libc only, so every program and layer can use it.
 */
#include "lib/stores.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/url.h"

enum { STORES_VAR_MAX = 96, STORES_ERROR_MAX = 2048 };

struct stores_err {
    char text[STORES_ERROR_MAX];
    size_t len;
};

static void stores_fail(struct stores_err *e, const char *fmt, ...)
{
    if (e->len + 3 >= sizeof e->text)
        return;
    if (e->len > 0)
        e->len += (size_t)snprintf(e->text + e->len, sizeof e->text - e->len, "; ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->text + e->len, sizeof e->text - e->len, fmt, ap);
    va_end(ap);
    e->len += n > 0 ? (size_t)n : 0;
    if (e->len >= sizeof e->text)
        e->len = sizeof e->text - 1;
}

static char *stores_dup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d == NULL)
        abort();
    memcpy(d, s, n);
    return d;
}

/* The variable SHOPIFY_<NAME>_<what> (NAME upper-cased), or SHOPIFY_<what> for "default". */
static const char *stores_var(stores_getter get, void *ctx, const char *store, const char *what)
{
    char name[STORES_VAR_MAX];
    if (store == NULL) {
        snprintf(name, sizeof name, "SHOPIFY_%s", what);
    } else {
        int n = snprintf(name, sizeof name, "SHOPIFY_");
        for (const char *p = store; *p && (size_t)n + 1 < sizeof name; p++)
            name[n++] = (char)toupper((unsigned char)*p);
        snprintf(name + n, sizeof name - (size_t)n, "_%s", what);
    }
    const char *v = get(name, ctx);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* A shop domain: lower-case letters, digits, '-' and '.', ending .myshopify.com. */
static bool stores_shop_valid(const char *d)
{
    static const char suffix[] = ".myshopify.com";
    size_t n = strlen(d), k = sizeof suffix - 1;
    if (n <= k || n > 255 || strcasecmp(d + n - k, suffix) != 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)d[i]) && d[i] != '-' && d[i] != '.')
            return false;
    return true;
}

static bool stores_currency_valid(const char *c)
{
    return strlen(c) == 3 && isupper((unsigned char)c[0]) && isupper((unsigned char)c[1]) &&
           isupper((unsigned char)c[2]);
}

/* APP_ENV=production: base URLs must be https:// (lib/config.h). */
static bool stores_production(stores_getter get, void *ctx)
{
    const char *env = get("APP_ENV", ctx);
    return env != NULL && strcmp(env, "production") == 0;
}

/* Fills one store; `store` NULL reads the single-store variables. */
static void stores_read_one(stores_getter get, void *ctx, const char *store,
                            struct stores_store *out, struct stores_err *e)
{
    const char *label = store ? store : STORES_DEFAULT_NAME;
    const char *shop = stores_var(get, ctx, store, "SHOP");
    const char *token = stores_var(get, ctx, store, "ACCESS_TOKEN");
    const char *cur = stores_var(get, ctx, store, "CURRENCY");
    const char *secret = stores_var(get, ctx, store, "WEBHOOK_SECRET");
    const char *base = stores_var(get, ctx, store, "API_BASE");
    char upper[STORES_NAME_MAX + 1];
    snprintf(out->name, sizeof out->name, "%s", label);
    for (size_t i = 0; i <= strlen(out->name); i++)
        upper[i] = (char)toupper((unsigned char)out->name[i]);
    if (shop == NULL && store != NULL)
        stores_fail(e, "SHOPIFY_%s_SHOP is required for store \"%s\"", upper, label);
    else if (shop != NULL && !stores_shop_valid(shop))
        stores_fail(e, "the shop of store \"%s\" must be a *.myshopify.com domain", label);
    if (cur != NULL && !stores_currency_valid(cur))
        stores_fail(e, "the currency of store \"%s\" must be 3 upper-case letters", label);
    if (base != NULL && stores_production(get, ctx) && !url_is_private_transport(base))
        stores_fail(e, "the API base of store \"%s\" must be an https:// URL in production",
                    label);
    if (store != NULL && secret == NULL)
        secret = stores_var(get, ctx, NULL, "WEBHOOK_SECRET");
    out->shop = shop ? stores_dup(shop) : NULL;
    for (char *p = out->shop; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    out->access_token = token ? stores_dup(token) : NULL;
    out->currency = stores_dup(cur ? cur : "GBP");
    out->webhook_secret = secret ? stores_dup(secret) : NULL;
    if (base != NULL) {
        out->api_base = stores_dup(base);
    } else if (out->shop != NULL) {
        char b[STORES_VAR_MAX * 4];
        snprintf(b, sizeof b, "https://%s/admin/api/%s", out->shop, STORES_API_VERSION);
        out->api_base = stores_dup(b);
    }
}

static bool stores_name_valid(const char *n, size_t len)
{
    if (len == 0 || len > STORES_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)n[i]) && !isdigit((unsigned char)n[i]) && n[i] != '_')
            return false;
    return true;
}

/* Reads every store named in the list into s. */
static void stores_read_list(stores_getter get, void *ctx, const char *list, struct stores *s,
                             struct stores_err *e)
{
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        const char *a = p, *b = p + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        char name[STORES_NAME_MAX + 1];
        if (!stores_name_valid(a, (size_t)(b - a))) {
            stores_fail(e, "SHOPIFY_STORES entry \"%.*s\" must be 1-32 of [a-z0-9_]",
                        (int)((size_t)(b - a) > 40 ? 40 : (size_t)(b - a)), a);
        } else if (s->n == STORES_MAX) {
            stores_fail(e, "SHOPIFY_STORES lists more than %d stores", STORES_MAX);
            return;
        } else {
            snprintf(name, sizeof name, "%.*s", (int)(b - a), a);
            if (stores_by_name(s, name) != NULL)
                stores_fail(e, "SHOPIFY_STORES names \"%s\" twice", name);
            else
                stores_read_one(get, ctx, name, &s->v[s->n++], e);
        }
        p += len + (p[len] == ',');
    }
}

/* Two stores may not share a shop domain: a webhook would not know its store. */
static void stores_check_shops(const struct stores *s, struct stores_err *e)
{
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = i + 1; j < s->n; j++)
            if (s->v[i].shop && s->v[j].shop && strcmp(s->v[i].shop, s->v[j].shop) == 0)
                stores_fail(e, "stores \"%s\" and \"%s\" have the same shop", s->v[i].name,
                            s->v[j].name);
}

int stores_load(stores_getter get, void *ctx, struct stores *out, char **error)
{
    struct stores_err e = {.len = 0};
    memset(out, 0, sizeof *out);
    const char *list = get("SHOPIFY_STORES", ctx);
    out->listed = list != NULL && strspn(list, " \t,") != strlen(list);
    if (out->listed)
        stores_read_list(get, ctx, list, out, &e);
    else
        stores_read_one(get, ctx, NULL, &out->v[out->n++], &e);
    stores_check_shops(out, &e);
    if (e.len == 0)
        return 0;
    *error = stores_dup(e.text);
    stores_dispose(out);
    return -1;
}

void stores_dispose(struct stores *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].shop);
        free(s->v[i].access_token);
        free(s->v[i].currency);
        free(s->v[i].webhook_secret);
        free(s->v[i].api_base);
    }
    memset(s, 0, sizeof *s);
}

const struct stores_store *stores_by_shop(const struct stores *s, const char *domain,
                                          size_t len)
{
    for (size_t i = 0; i < s->n; i++) {
        const char *shop = s->v[i].shop;
        if (shop != NULL && strlen(shop) == len && strncasecmp(shop, domain, len) == 0)
            return &s->v[i];
    }
    return NULL;
}

const struct stores_store *stores_by_name(const struct stores *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}
