/*
 * api/routes/apikeys.c: API keys and the audit log for admins (see
 * apikeys.h). Rows come out of Postgres as JSON already shaped to the
 * contract (json_build_object), so C only pages and answers.
 */
#include "api/routes/apikeys.h"

#include <stdio.h>
#include <string.h>

#include "api/routes/qcall.h"
#include "lib/auth/apikey.h"
#include "lib/auth/auth.h"
#include "lib/mem.h"

#define APIKEYS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define APIKEYS_ROW                                                                      \
    "json_build_object('id', id, 'name', name, 'role', role, 'created_by', created_by, " \
    "'created_at', " APIKEYS_TS("created_at") ", 'last_used_at', " APIKEYS_TS(          \
        "last_used_at") ", 'revoked_at', " APIKEYS_TS("revoked_at") ", 'revoked_by', revoked_by)"

static const char create_sql[] =
    "INSERT INTO api_keys (name, role, key_hash, created_by) VALUES ($1, $2, $3, $4) "
    "RETURNING " APIKEYS_ROW;

static const char list_sql[] =
    "SELECT " APIKEYS_ROW " FROM api_keys WHERE ($1 = '' OR id < $1::bigint) "
    "AND ($2 = '' OR (revoked_at IS NOT NULL) = ($2 = 'true')) ORDER BY id DESC LIMIT $3::int";

static const char revoke_sql[] =
    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()), "
    "revoked_by = COALESCE(revoked_by, $2) WHERE id = $1::bigint RETURNING " APIKEYS_ROW;

static const char audit_sql[] =
    "SELECT json_build_object('id', id, 'at', " APIKEYS_TS("at") ", 'subject', subject, "
    "'role', role, 'auth', auth_kind, 'action', action, 'target', target, 'request_id', "
    "request_id, 'outcome', outcome, 'detail', detail) FROM audit_log "
    "WHERE ($1 = '' OR id < $1::bigint) AND ($2 = '' OR action = $2) "
    "AND ($3 = '' OR subject = $3) AND ($4 = '' OR outcome = $4) "
    "AND ($5 = '' OR at >= $5::timestamptz) AND ($6 = '' OR at < $6::timestamptz) "
    "ORDER BY id DESC LIMIT $7::int";

/* ---- answers from rows ------------------------------------------------------ */

static json_t *apikeys_row(PGresult *res, int i)
{
    return json_loads(PQgetvalue(res, i, 0), 0, NULL);
}

/* {"items": rows[0..limit), "next_cursor": id of the last when there are more}. */
static void apikeys_page(struct qcall *c, PGresult *res)
{
    int n = PQntuples(res), limit = (int)c->arg;
    json_t *items = json_array();
    for (int i = 0; i < n && i < limit; i++)
        json_array_append_new(items, apikeys_row(res, i));
    json_t *next = json_null();
    if (n > limit && limit > 0) {
        json_t *last = json_array_get(items, (size_t)limit - 1);
        char cur[32];
        snprintf(cur, sizeof cur, "%lld", (long long)json_integer_value(json_object_get(last, "id")));
        next = json_string(cur);
    }
    qcall_answer_read(c, json_pack("{soso}", "items", items, "next_cursor", next));
}

/* ---- POST ------------------------------------------------------------------ */

static void apikeys_on_created(struct qcall *c, PGresult *res)
{
    json_t *row = PQntuples(res) == 1 ? apikeys_row(res, 0) : NULL;
    if (row == NULL) {
        qcall_fail(c, 500, "internal_error", "the key was not stored");
        return;
    }
    snprintf(c->target, sizeof c->target, "api_key:%lld",
             (long long)json_integer_value(json_object_get(row, "id")));
    json_object_set_new(row, "key", json_string(c->data));
    qcall_answer(c, 201, row);
}

static void apikeys_create_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    json_t *name = json_object_get(c->body, "name"), *role = json_object_get(c->body, "role");
    enum api_role parsed;
    const char *n = json_string_value(name), *ro = json_string_value(role);
    bool name_ok = n && strlen(n) >= 1 && strlen(n) <= 100;
    for (size_t i = 0; name_ok && n[i]; i++)
        name_ok = n[i] >= 0x20 && n[i] <= 0x7e;
    if (name == NULL || role == NULL) {
        qcall_fail(c, 400, "missing_field", "name and role are required");
        return;
    }
    if (!name_ok || ro == NULL || api_role_parse(ro, strlen(ro), &parsed) != 0) {
        qcall_fail(c, 400, "invalid_field",
                   "name: 1-100 printable characters; role: viewer, operator, manager or admin");
        return;
    }
    char *key = mem_calloc(1, AUTH_APIKEY_LEN + 1);
    char hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    c->data = key; /* freed with c; never stored, never logged */
    const char *params[4] = {n, ro, hash, c->caller.subject};
    qcall_pg(c, create_sql, 4, params, apikeys_on_created);
}

void apikeys_create(struct api_call *call)
{
    static const char *const fields[] = {"name", "role", NULL};
    qcall_command_begin(call, "api_key.create", "api_key", fields, apikeys_create_go);
}

/* ---- GET list ----------------------------------------------------------------- */

static void apikeys_on_list(struct qcall *c, PGresult *res)
{
    apikeys_page(c, res);
}

void apikeys_list(struct api_call *call)
{
    static const char *const allowed[] = {"revoked", "cursor", "limit", NULL};
    struct qcall_page page;
    struct qcall *c = qcall_begin_pg_query(call, allowed, &page);
    if (c == NULL)
        return;
    const char *revoked = json_string_value(json_object_get(page.query, "revoked"));
    if (revoked && strcmp(revoked, "true") != 0 && strcmp(revoked, "false") != 0) {
        json_decref(page.query);
        qcall_fail(c, 400, "invalid_parameter", "revoked must be true or false");
        return;
    }
    const char *params[3] = {page.cursor ? page.cursor : "", revoked ? revoked : "", page.limit};
    qcall_pg(c, list_sql, 3, params, apikeys_on_list);
    json_decref(page.query);
}

/* ---- DELETE ------------------------------------------------------------------ */

static void apikeys_on_revoked(struct qcall *c, PGresult *res)
{
    if (PQntuples(res) != 1) {
        qcall_fail(c, 404, "not_found", "no such API key");
        return;
    }
    struct auth *auth = c->data;
    if (auth != NULL)
        auth_apikeys_forget(auth_apikeys_of(auth), c->id);
    qcall_answer(c, 200, apikeys_row(res, 0));
}

static void apikeys_keep(void *data)
{
    (void)data; /* the process's struct auth: borrowed */
}

static void apikeys_revoke_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    c->data = api_ctx_auth(c->pending.req); /* armed: the request is alive */
    c->free_data = apikeys_keep;
    const char *params[2] = {c->id, c->caller.subject};
    qcall_pg(c, revoke_sql, 2, params, apikeys_on_revoked);
}

void apikeys_revoke(struct api_call *call)
{
    const char *id = api_call_param(call, "id");
    char target[64];
    if (strlen(id) > 19 || strspn(id, "0123456789") != strlen(id) || id[0] == '0') {
        api_respond_error(call->req, 400, "invalid_parameter", "id must be a positive integer");
        return;
    }
    snprintf(target, sizeof target, "api_key:%s", id);
    qcall_command_begin(call, "api_key.revoke", target, NULL, apikeys_revoke_go);
}

/* ---- GET audit ------------------------------------------------------------------ */

static void apikeys_on_audit(struct qcall *c, PGresult *res)
{
    apikeys_page(c, res);
}

void apikeys_audit(struct api_call *call)
{
    static const char *const allowed[] = {"action", "subject", "outcome", "from", "to",
                                          "cursor", "limit", NULL};
    struct qcall_page page;
    struct qcall *c = qcall_begin_pg_query(call, allowed, &page);
    if (c == NULL)
        return;
    const char *v[5];
    static const char *const names[] = {"action", "subject", "outcome", "from", "to"};
    for (size_t i = 0; i < 5; i++) {
        v[i] = json_string_value(json_object_get(page.query, names[i]));
        if (v[i] == NULL)
            v[i] = "";
    }
    const char *params[7] = {page.cursor ? page.cursor : "", v[0], v[1], v[2], v[3], v[4],
                             page.limit};
    qcall_pg(c, audit_sql, 7, params, apikeys_on_audit);
    json_decref(page.query);
}
