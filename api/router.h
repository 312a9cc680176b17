/*
 * api/router.h: the route table of sentia-api (DESIGN.md §2, §5) and the
 * matcher that finds a request's row.
 *
 * A row is (methods, path pattern, class, handler). A pattern is a path
 * whose segments are literal or one `{name}` parameter, which matches one
 * non-empty segment ("/api/v1/orders/{id}"). Rows are tried in table order
 * and the first whose pattern and method match wins: list a literal route
 * before a pattern that would also match it. GET rows answer HEAD too.
 *
 * The class says which gates apply (api/gate.h):
 *   probe    no authentication, no rate limit, served in maintenance
 *   public   no authentication; maintenance and rate limit apply
 *   webhook  the provider's signature (the hook checks it); served in
 *            maintenance; rate tokens are spent only on failed verification
 *   metrics  METRICS_TOKEN or the operator role; served in maintenance;
 *            rate tokens spent only on failed authentication
 *   viewer … admin: an authenticated caller with that role or above
 *
 * The router's rows are a table's static rows (api/routes/table.c) followed
 * by one row per path of every webhook source (api/hooks/sources.c), so
 * adding a route is one row plus its handler, and adding a source is one
 * file plus one row in the sources table. The router never includes those
 * folders: main.c hands it the table (struct api_table), which keeps the
 * arrow api/routes, api/hooks → api/ctx.h → api/ one way. A row's pattern is also its `route` label in the
 * HTTP metrics and the access log: label cardinality is bounded by the
 * table (any other path is "other").
 *
 * Ownership: api_router_create() returns a router freed by
 * api_router_free(); it is read-only once created and shared by threads.
 */
#ifndef SENTIA_API_ROUTER_H
#define SENTIA_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    API_ROUTES_MAX = 64,               /* rows, so metrics arrays are fixed */
    API_ROUTE_OTHER = API_ROUTES_MAX,  /* the metrics label id of unknown paths */
    API_ROUTE_LABELS = API_ROUTES_MAX + 1,
    API_SOURCES_MAX = 16,              /* webhook sources, so their counters are fixed */
    API_SOURCE_PATHS_MAX = 2,          /* paths of one source (Twilio: inbound, status) */
    API_PARAMS_MAX = 4,                /* {param}s in one pattern */
    API_PARAM_NAME_MAX = 32,
};

enum api_method {
    API_GET = 1 << 0, /* and HEAD */
    API_POST = 1 << 1,
    API_PUT = 1 << 2,
    API_PATCH = 1 << 3,
    API_DELETE = 1 << 4,
};

enum api_class {
    API_CLASS_PROBE,
    API_CLASS_PUBLIC,
    API_CLASS_WEBHOOK,
    API_CLASS_METRICS,
    API_CLASS_VIEWER,
    API_CLASS_OPERATOR,
    API_CLASS_MANAGER,
    API_CLASS_ADMIN,
};

struct api_call;
typedef void api_handler_fn(struct api_call *call);

struct api_route {
    unsigned methods;       /* enum api_method bits */
    const char *pattern;    /* also the metrics label */
    enum api_class cls;
    api_handler_fn *handler;
    int source;             /* webhook rows: index in the table's sources; else -1 */
    unsigned id;            /* index in the router (set by the router) */
    unsigned label;         /* id of the first row with the same pattern */
};

/*
 * A webhook source (api/hooks/sources.h): its name, the `source` label of
 * the webhook counters, and the paths it posts to, each with its handler.
 */
struct api_source {
    const char *name;
    struct {
        const char *path;
        api_handler_fn *handler;
    } paths[API_SOURCE_PATHS_MAX]; /* unused entries: path NULL */
};

/* What the router is built from: borrowed, must outlive the router. */
struct api_table {
    const struct api_route *rows;
    size_t nrows;
    const struct api_source *sources;
    size_t nsources;
};

/* One {param} of a matched path: the name from the pattern, the segment. */
struct api_param {
    char name[API_PARAM_NAME_MAX + 1];
    const char *value; /* points into the matched path, not NUL-terminated */
    size_t len;
};

struct api_match {
    const struct api_route *route; /* the row for path and method, or NULL */
    const struct api_route *first; /* the first row for the path, any method */
    unsigned allowed;              /* methods of every row for the path */
    size_t nparams;
    struct api_param params[API_PARAMS_MAX];
};

struct api_router;

/*
 * Builds the router from t's rows and webhook sources, and checks every row
 * (pattern syntax, a handler, no duplicate method and pattern, at most
 * API_ROUTES_MAX rows, API_SOURCES_MAX sources). Returns 0, or -1 with
 * *error (a static text naming the problem). t is borrowed for the
 * router's life.
 */
int api_router_create(const struct api_table *t, struct api_router **out, const char **error);
void api_router_free(struct api_router *r);

size_t api_router_count(const struct api_router *r);
/* The webhook sources, in label order, and the name of source src. */
size_t api_router_source_count(const struct api_router *r);
const char *api_router_source_name(const struct api_router *r, unsigned src);
const struct api_route *api_router_row(const struct api_router *r, size_t id);

/*
 * Matches path[0..len) (no query) and method[0..mlen) against the rows into
 * *m. m->route is NULL when no row fits both: then m->allowed == 0 means no
 * such path (404), otherwise the method is not allowed (405, or a CORS
 * preflight for OPTIONS).
 */
void api_router_match(const struct api_router *r, const char *path, size_t len,
                      const char *method, size_t mlen, struct api_match *m);

/* "probe", "public", "webhook", "metrics", "viewer", … */
const char *api_class_name(enum api_class cls);

/*
 * Writes every row as a JSON array of {"methods":[…],"path","class"} to out
 * (sentia-api --routes: the contract test compares it with
 * docs/openapi.yaml). Returns 0, or -1 when the table is invalid.
 */
int api_router_dump(const struct api_table *t, FILE *out);

/* True when pattern is well-formed (see above; {name} is [a-z_]+). */
bool api_router_pattern_valid(const char *pattern);
/* True when path[0..len) fits pattern; its {param}s go to m->params. */
bool api_router_pattern_match(const char *pattern, const char *path, size_t len,
                              struct api_match *m);

/* The metrics label id of path (the first row of any method), or API_ROUTE_OTHER. */
unsigned api_router_label(const struct api_router *r, const char *path, size_t len);

/* The label text of a label id ("other" for API_ROUTE_OTHER). */
const char *api_router_label_text(const struct api_router *r, unsigned label);

/* "GET, HEAD, POST, OPTIONS" for a method mask (a static string's copy into out). */
void api_methods_text(unsigned methods, char *out, size_t size);

/* The enum api_method bit of method[0..len) (HEAD → API_GET), or 0. */
unsigned api_method_bit(const char *method, size_t len);

#endif
