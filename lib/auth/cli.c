/*
 * lib/auth/cli.c: sentia-admin, the command line for what an admin needs
 * before any dashboard login exists — API keys (docs/AUTH.md):
 *
 *   sentia-admin [--json] keys create --name N --role R
 *   sentia-admin [--json] keys list
 *   sentia-admin [--json] keys revoke ID
 *
 * DATABASE_URL comes from the environment. A new key is printed once and
 * never stored in clear. create and revoke write an audit_log row (auth kind
 * "cli", subject "cli:<user>") in the same statement as the change.
 * Log lines go to stderr so stdout carries only the answer.
 * Exit codes (as sentia-queue): 0 ok, 1 not found, 2 usage, 3 database
 * unreachable or failing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/apikey.h"
#include "lib/mem.h"
#include "lib/pg.h"
#include "lib/process.h"

enum { ADMIN_OK = 0, ADMIN_NOT_FOUND = 1, ADMIN_USAGE = 2, ADMIN_DB = 3, ADMIN_NAME_MAX = 100 };

static const char admin_help[] =
    "usage: sentia-admin [--json] keys create --name NAME --role ROLE\n"
    "       sentia-admin [--json] keys list\n"
    "       sentia-admin [--json] keys revoke ID\n"
    "\n"
    "  keys create   a new API key; it is printed once and stored only as SHA-256\n"
    "  keys list     every key: id, name, role, creator, created, last used, revoked\n"
    "  keys revoke   revoke key ID (refused by the API within 60 s)\n"
    "\n"
    "ROLE is viewer, operator, manager or admin. DATABASE_URL comes from the environment.\n"
    "Exit codes: 0 ok, 1 not found, 2 usage, 3 database unreachable.\n";

struct admin {
    bool json;
    const char *verb;
    const char *name, *role, *id;
    PGconn *db;
    char actor[128];
};

static const char admin_create_sql[] =
    "WITH k AS (INSERT INTO api_keys (name, role, key_hash, created_by)"
    "           VALUES ($1, $2, $3, $4)"
    "           RETURNING id, name, role, created_by, created_at),"
    " a AS (INSERT INTO audit_log (subject, role, auth_kind, action, target, outcome)"
    "        SELECT $4, 'admin', 'cli', 'api_key.create', 'api_key:' || id, 'ok' FROM k)"
    " SELECT id::text, name, role, created_by,"
    "        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM k";

static const char admin_list_sql[] =
    "SELECT id::text, name, role, created_by,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM api_keys ORDER BY id";

/* Revokes once; an already revoked key keeps its first revocation. */
static const char admin_revoke_sql[] =
    "WITH k AS (SELECT id, revoked_at IS NOT NULL AS was FROM api_keys WHERE id = $1::bigint),"
    " r AS (UPDATE api_keys SET revoked_at = now(), revoked_by = $2"
    "        WHERE id = (SELECT id FROM k) AND revoked_at IS NULL RETURNING id),"
    " a AS (INSERT INTO audit_log (subject, role, auth_kind, action, target, outcome)"
    "        SELECT $2, 'admin', 'cli', 'api_key.revoke', 'api_key:' || id,"
    "               CASE WHEN was THEN 'already_revoked' ELSE 'ok' END FROM k)"
    " SELECT id::text, was FROM k";

/* ---- output ------------------------------------------------------------------ */

static void admin_print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    printf("%s\n", text ? text : "null");
    free(text);
    json_decref(doc);
}

static json_t *admin_str_or_null(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static int admin_usage(const char *why)
{
    fprintf(stderr, "sentia-admin: %s (see sentia-admin --help)\n", why);
    return ADMIN_USAGE;
}

/* Runs a statement; NULL (after a message) when it failed. */
static PGresult *admin_exec(struct admin *a, const char *sql, int n, const char *const *params)
{
    PGresult *res = pg_exec_params(a->db, sql, n, params);
    if (res != NULL && pg_result_ok(res))
        return res;
    char *msg = pg_error_text(a->db, res);
    fprintf(stderr, "sentia-admin: %s\n", msg);
    free(msg);
    PQclear(res);
    return NULL;
}

/* ---- commands ---------------------------------------------------------------- */

static int admin_create(struct admin *a)
{
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    const char *params[] = {a->name, a->role, hash, a->actor};
    PGresult *res = admin_exec(a, admin_create_sql, 4, params);
    if (res == NULL)
        return ADMIN_DB;
    if (a->json) {
        admin_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", PQgetvalue(res, 0, 0),
                                   "name", PQgetvalue(res, 0, 1), "role", PQgetvalue(res, 0, 2),
                                   "created_by", PQgetvalue(res, 0, 3), "created_at",
                                   PQgetvalue(res, 0, 4), "key", key));
    } else {
        printf("created API key %s (%s, role %s)\n%s\n", PQgetvalue(res, 0, 0),
               PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), key);
        printf("This key is shown once: store it now. Use it as: Authorization: Bearer <key>\n");
    }
    PQclear(res);
    return ADMIN_OK;
}

static void admin_list_text(const PGresult *res)
{
    printf("%-6s %-24s %-9s %-20s %-20s %-20s %s\n", "ID", "NAME", "ROLE", "CREATED",
           "LAST USED", "REVOKED", "CREATED BY");
    for (int i = 0; i < PQntuples(res); i++) {
        const char *f[7];
        for (int c = 0; c < 7; c++)
            f[c] = PQgetisnull(res, i, c) ? "-" : PQgetvalue(res, i, c);
        printf("%-6s %-24s %-9s %-20s %-20s %-20s %s\n", f[0], f[1], f[2], f[4], f[5], f[6],
               f[3]);
    }
}

static int admin_list(struct admin *a)
{
    PGresult *res = admin_exec(a, admin_list_sql, 0, NULL);
    if (res == NULL)
        return ADMIN_DB;
    if (!a->json) {
        admin_list_text(res);
        PQclear(res);
        return ADMIN_OK;
    }
    static const char *const names[] = {"id", "name", "role", "created_by", "created_at",
                                        "last_used_at", "revoked_at"};
    json_t *keys = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *k = json_object();
        for (int c = 0; c < 7; c++)
            json_object_set_new(k, names[c], admin_str_or_null(res, i, c));
        json_array_append_new(keys, k);
    }
    admin_print_json(json_pack("{s:o}", "keys", keys));
    PQclear(res);
    return ADMIN_OK;
}

static int admin_revoke(struct admin *a)
{
    const char *params[] = {a->id, a->actor};
    PGresult *res = admin_exec(a, admin_revoke_sql, 2, params);
    if (res == NULL)
        return ADMIN_DB;
    int found = PQntuples(res) == 1;
    bool was = found && strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    if (a->json)
        admin_print_json(json_pack("{s:s, s:b, s:b}", "id", a->id, "found", found,
                                   "already_revoked", was));
    else if (!found)
        fprintf(stderr, "sentia-admin: no API key with id %s\n", a->id);
    else
        printf("API key %s %s\n", a->id, was ? "was already revoked" : "revoked");
    PQclear(res);
    return found ? ADMIN_OK : ADMIN_NOT_FOUND;
}

/* ---- command line -------------------------------------------------------------- */

static bool admin_id_ok(const char *s)
{
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 18 && s[n] == '\0';
}

/* Reads "--name V" / "--name=V" style options after the verb. */
static int admin_parse_opts(struct admin *a, int argc, char **argv, int i)
{
    for (; i < argc; i++) {
        const char *o = argv[i], **slot = NULL;
        if (strcmp(o, "--json") == 0) {
            a->json = true;
            continue;
        }
        if (strcmp(o, "--name") == 0)
            slot = &a->name;
        else if (strcmp(o, "--role") == 0)
            slot = &a->role;
        else if (o[0] != '-' && a->id == NULL) {
            a->id = o;
            continue;
        } else
            return admin_usage("unknown option or extra argument");
        if (++i == argc)
            return admin_usage("an option lacks its value");
        *slot = argv[i];
    }
    return ADMIN_OK;
}

static int admin_check(const struct admin *a)
{
    if (strcmp(a->verb, "create") == 0) {
        if (a->id != NULL || a->name == NULL || a->role == NULL)
            return admin_usage("keys create takes --name NAME --role ROLE");
        if (a->name[0] == '\0' || strlen(a->name) > ADMIN_NAME_MAX)
            return admin_usage("NAME must be 1-100 characters");
        if (auth_role_parse(a->role) == AUTH_ROLE_NONE)
            return admin_usage("ROLE must be viewer, operator, manager or admin");
        return ADMIN_OK;
    }
    if (strcmp(a->verb, "list") == 0)
        return a->id || a->name || a->role ? admin_usage("keys list takes no argument") : ADMIN_OK;
    if (strcmp(a->verb, "revoke") == 0) {
        if (a->name || a->role || a->id == NULL || !admin_id_ok(a->id))
            return admin_usage("keys revoke takes one numeric ID");
        return ADMIN_OK;
    }
    return admin_usage("unknown keys command (create, list, revoke)");
}

static int admin_parse(struct admin *a, int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(admin_help, stdout);
            return -1;
        }
        if (strcmp(argv[i], "--json") != 0)
            return admin_usage("unknown option");
        a->json = true;
    }
    if (i + 1 >= argc || strcmp(argv[i], "keys") != 0)
        return admin_usage("expected: keys create|list|revoke");
    a->verb = argv[i + 1];
    int rc = admin_parse_opts(a, argc, argv, i + 2);
    return rc != ADMIN_OK ? rc : admin_check(a);
}

static int admin_run(struct admin *a)
{
    const char *url = getenv("DATABASE_URL");
    char *err = NULL;
    if (url == NULL || url[0] == '\0')
        return admin_usage("DATABASE_URL is not set");
    if (pg_connect(url, 1, &a->db, &err) != 0) {
        fprintf(stderr, "sentia-admin: %s\n", err);
        free(err);
        return ADMIN_DB;
    }
    int rc = a->verb[0] == 'c' ? admin_create(a) : a->verb[0] == 'l' ? admin_list(a)
                                                                      : admin_revoke(a);
    PQfinish(a->db);
    return rc;
}

int main(int argc, char **argv)
{
    struct admin a = {0};
    process.service = "sentia-admin";
    process.log_fd = 2;
    process.log_level = LOG_LEVEL_WARN;
    int rc = admin_parse(&a, argc, argv);
    if (rc < 0)
        return ADMIN_OK;
    if (rc != ADMIN_OK)
        return rc;
    const char *user = getenv("USER");
    snprintf(a.actor, sizeof a.actor, "cli:%.100s", user && user[0] ? user : "unknown");
    return admin_run(&a);
}
