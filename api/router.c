/*
 * api/router.c: the router built from a route table, and its matcher (see
 * router.h; the table itself is api/routes/table.c).
 *
 * Matching is a scan of at most API_ROUTES_MAX rows, each compared segment
 * by segment with an early exit on the first differing byte: for today's
 * tables that is as fast as a hash and keeps the order rule simple.
 */
#include "api/router.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

struct api_router {
    struct api_route rows[API_ROUTES_MAX];
    size_t n;
    const struct api_source *sources; /* borrowed from the table */
    size_t nsources;
};

/* ---- checks ------------------------------------------------------------- */

bool api_router_pattern_valid(const char *p)
{
    size_t params = 0;
    if (p == NULL || p[0] != '/')
        return false;
    for (const char *s = p + 1; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 && s[0] == '/')
            return false; /* empty segment */
        if (s[0] == '{') {
            if (n < 3 || s[n - 1] != '}' || n - 2 > API_PARAM_NAME_MAX || ++params > API_PARAMS_MAX)
                return false;
            for (size_t i = 1; i + 1 < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
                    return false;
        } else if (strcspn(s, "{}") < n) {
            return false;
        }
        s += n + (s[n] == '/');
    }
    return true;
}

/* Adds a row (id and label set); -1 with *error when it does not fit. */
static int api_router_add(struct api_router *r, const struct api_route *row, const char **error)
{
    if (r->n == API_ROUTES_MAX) {
        *error = "more than API_ROUTES_MAX routes";
        return -1;
    }
    if (!api_router_pattern_valid(row->pattern) || row->handler == NULL || row->methods == 0) {
        *error = "a route has a malformed pattern, no handler or no method";
        return -1;
    }
    struct api_route *out = &r->rows[r->n];
    *out = *row;
    out->id = out->label = (unsigned)r->n;
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->rows[i].pattern, row->pattern) != 0)
            continue;
        if (r->rows[i].methods & row->methods) {
            *error = "two routes share a method and a pattern";
            return -1;
        }
        if (out->label == out->id)
            out->label = r->rows[i].label;
    }
    r->n++;
    return 0;
}

/* Adds one POST row of class webhook per path of source src. */
static int api_router_add_source(struct api_router *r, const struct api_source *src, int index,
                                 const char **error)
{
    for (size_t p = 0; p < API_SOURCE_PATHS_MAX && src->paths[p].path; p++) {
        struct api_route row = {API_POST, src->paths[p].path, API_CLASS_WEBHOOK,
                                src->paths[p].handler, index, 0, 0};
        if (api_router_add(r, &row, error) != 0)
            return -1;
    }
    return 0;
}

int api_router_create(const struct api_table *t, struct api_router **out, const char **error)
{
    struct api_router *r = mem_calloc(1, sizeof *r);
    for (size_t i = 0; i < t->nrows; i++)
        if (api_router_add(r, &t->rows[i], error) != 0)
            goto fail;
    if (t->nsources > API_SOURCES_MAX) {
        *error = "more than API_SOURCES_MAX webhook sources";
        goto fail;
    }
    for (size_t s = 0; s < t->nsources; s++)
        if (api_router_add_source(r, &t->sources[s], (int)s, error) != 0)
            goto fail;
    r->sources = t->sources;
    r->nsources = t->nsources;
    *out = r;
    return 0;
fail:
    free(r);
    return -1;
}

void api_router_free(struct api_router *r)
{
    free(r);
}

size_t api_router_count(const struct api_router *r)
{
    return r->n;
}

size_t api_router_source_count(const struct api_router *r)
{
    return r->nsources;
}

const char *api_router_source_name(const struct api_router *r, unsigned src)
{
    return src < r->nsources ? r->sources[src].name : "unknown";
}

const struct api_route *api_router_row(const struct api_router *r, size_t id)
{
    return id < r->n ? &r->rows[id] : NULL;
}

/* ---- matching ----------------------------------------------------------- */

bool api_router_pattern_match(const char *pat, const char *path, size_t len, struct api_match *m)
{
    size_t j = 0;
    m->nparams = 0;
    while (*pat) {
        if (*pat != '{') {
            if (j >= len || path[j] != *pat)
                return false;
            pat++;
            j++;
            continue;
        }
        const char *close = strchr(pat, '}');
        size_t start = j;
        while (j < len && path[j] != '/')
            j++;
        if (j == start)
            return false;
        struct api_param *p = &m->params[m->nparams++];
        snprintf(p->name, sizeof p->name, "%.*s", (int)(close - pat - 1), pat + 1);
        p->value = path + start;
        p->len = j - start;
        pat = close + 1;
    }
    return j == len;
}

unsigned api_method_bit(const char *method, size_t len)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {{"GET", API_GET},   {"HEAD", API_GET},     {"POST", API_POST},
                   {"PUT", API_PUT},   {"PATCH", API_PATCH}, {"DELETE", API_DELETE}};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (strlen(methods[i].name) == len && memcmp(methods[i].name, method, len) == 0)
            return methods[i].bit;
    return 0;
}

void api_router_match(const struct api_router *r, const char *path, size_t len,
                      const char *method, size_t mlen, struct api_match *m)
{
    unsigned bit = api_method_bit(method, mlen);
    struct api_match probe;
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < r->n; i++) {
        const struct api_route *row = &r->rows[i];
        if (!api_router_pattern_match(row->pattern, path, len, &probe))
            continue;
        m->allowed |= row->methods;
        if (m->first == NULL)
            m->first = row;
        if (m->route == NULL && (row->methods & bit)) {
            memcpy(m->params, probe.params, sizeof probe.params);
            m->nparams = probe.nparams;
            m->route = row;
        }
    }
}

unsigned api_router_label(const struct api_router *r, const char *path, size_t len)
{
    struct api_match probe;
    for (size_t i = 0; i < r->n; i++)
        if (api_router_pattern_match(r->rows[i].pattern, path, len, &probe))
            return r->rows[i].label;
    return API_ROUTE_OTHER;
}

const char *api_router_label_text(const struct api_router *r, unsigned label)
{
    return label < r->n ? r->rows[label].pattern : "other";
}

void api_methods_text(unsigned methods, char *out, size_t size)
{
    static const struct {
        unsigned bit;
        const char *text;
    } order[] = {{API_GET, "GET, HEAD, "}, {API_POST, "POST, "}, {API_PUT, "PUT, "},
                 {API_PATCH, "PATCH, "},  {API_DELETE, "DELETE, "}};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (methods & order[i].bit)
            n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s", order[i].text);
    snprintf(out + (n < size ? n : size - 1), n < size ? size - n : 1, "OPTIONS");
}

/* ---- the table as data -------------------------------------------------- */

const char *api_class_name(enum api_class cls)
{
    static const char *const names[] = {"probe",  "public",   "webhook", "metrics",
                                        "viewer", "operator", "manager", "admin"};
    return (unsigned)cls < sizeof names / sizeof *names ? names[cls] : "unknown";
}

static json_t *api_row_json(const struct api_route *row)
{
    static const struct {
        unsigned bit;
        const char *name;
    } methods[] = {{API_GET, "GET"}, {API_POST, "POST"}, {API_PUT, "PUT"},
                   {API_PATCH, "PATCH"}, {API_DELETE, "DELETE"}};
    json_t *m = json_array();
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (row->methods & methods[i].bit)
            json_array_append_new(m, json_string(methods[i].name));
    return json_pack("{sossss}", "methods", m, "path", row->pattern, "class",
                     api_class_name(row->cls));
}

int api_router_dump(const struct api_table *t, FILE *out)
{
    struct api_router *r = NULL;
    const char *why = NULL;
    if (api_router_create(t, &r, &why) != 0) {
        fprintf(stderr, "invalid route table: %s\n", why);
        return -1;
    }
    json_t *rows = json_array();
    for (size_t i = 0; i < r->n; i++)
        json_array_append_new(rows, api_row_json(&r->rows[i]));
    json_dumpf(rows, out, JSON_INDENT(1));
    fputc('\n', out);
    json_decref(rows);
    api_router_free(r);
    return 0;
}
