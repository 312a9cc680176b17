/*
 * lib/migrate/cli.c: the `sentia-migrate` command (usage and help below;
 * procedure in docs/MIGRATIONS.md). The migration logic is lib/migrate/migrate.c;
 * this file reads the command line and the environment, finds the folder and
 * presents the results.
 *
 * Output: `up` logs JSON lines on stdout like every Sentia program. `status`
 * prints its table (or one JSON object with --json) on stdout and sends its
 * log lines to stderr, so its stdout stays parseable.
 * Exit codes: 0 ok, 1 migration error, 2 usage, 78 bad configuration.
 */
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pg.h"
#include "lib/process.h"
#include "lib/startup.h"
#include "lib/migrate/functions.h"
#include "lib/migrate/migrate.h"

enum { MIGRATE_EXIT_OK = 0, MIGRATE_EXIT_FAILED = 1, MIGRATE_EXIT_USAGE = 2 };
enum { MIGRATE_DIR_SEARCH_UP = 5 }; /* the program's folder and four above it */

static const char migrate_synopsis[] =
    "usage: sentia-migrate [--dir DIR] up\n"
    "       sentia-migrate [--dir DIR] [--json] status\n"
    "       sentia-migrate --help\n";
static const char migrate_help[] =
    "\n"
    "  up          apply pending migrations in version order, each file in its own\n"
    "              transaction, under an advisory lock so that replicas starting\n"
    "              together apply each file once; refuses to run when an applied\n"
    "              file changed or disappeared\n"
    "              then re-apply the SQL functions of functions/*.sql whose bytes\n"
    "              changed, all in one transaction\n"
    "  status      list every migration: ok, CHANGED, MISSING FILE, pending or OUT\n"
    "              OF ORDER; exits 1 when `up` would refuse to run; then every\n"
    "              function file: ok, changed or pending\n"
    "  --dir DIR   the migrations folder (default: $MIGRATIONS_DIR, else ./migrations,\n"
    "              else migrations/ two levels above this program)\n"
    "  --json      status as one JSON object\n"
    "\n"
    "Environment: DATABASE_URL (required), MIGRATIONS_DIR, APP_ENV, LOG_LEVEL,\n"
    "PII_REDACTION_ENABLED, SLOW_QUERY_MS.\n"
    "Exit codes: 0 ok, 1 migration error, 2 usage, 78 bad configuration.\n";

/*
 * What this program reads. The common variables it uses are declared here
 * rather than taken from config_common_vars, which requires REDIS_URL: a
 * migration must be able to run before Redis exists.
 */
static const struct config_var migrate_config_vars[] = {
    {"APP_ENV", CONFIG_ENUM, "development", 0, 0, 0, "development|test|production", false},
    {"LOG_LEVEL", CONFIG_ENUM, "info", 0, 0, 0, "debug|info|warn|error", false},
    {"PII_REDACTION_ENABLED", CONFIG_BOOL, "true", 0, 0, 0, NULL, false},
    {"SLOW_QUERY_MS", CONFIG_INT, "5000", 0, 1, 3600000, NULL, false},
    {"DATABASE_URL", CONFIG_URL_POSTGRES, NULL, CONFIG_ENV_ALL, 0, 0, NULL, true},
    {"MIGRATIONS_DIR", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};
static const struct config_var *const migrate_config_tables[] = {migrate_config_vars, NULL};

enum migrate_command { MIGRATE_CMD_NONE, MIGRATE_CMD_UP, MIGRATE_CMD_STATUS };

struct migrate_cli {
    enum migrate_command command;
    const char *dir; /* --dir, or NULL */
    bool json;
    bool help;
};

/* ---- command line ------------------------------------------------------- */

/* Parses argv into cli. Returns 0, or -1 with *why (static text). */
static int migrate_cli_parse(int argc, char **argv, struct migrate_cli *cli,
                             const char **why)
{
    memset(cli, 0, sizeof *cli);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli->help = true;
        } else if (strcmp(a, "--json") == 0) {
            cli->json = true;
        } else if (strcmp(a, "--dir") == 0) {
            if (++i == argc || argv[i][0] == '\0') {
                *why = "--dir needs a folder";
                return -1;
            }
            cli->dir = argv[i];
        } else if (strncmp(a, "--dir=", 6) == 0 && a[6] != '\0') {
            cli->dir = a + 6;
        } else if (a[0] == '-') {
            *why = "unknown option";
            return -1;
        } else if (cli->command != MIGRATE_CMD_NONE) {
            *why = "one command at a time";
            return -1;
        } else if (strcmp(a, "up") == 0 || strcmp(a, "status") == 0) {
            cli->command = a[0] == 'u' ? MIGRATE_CMD_UP : MIGRATE_CMD_STATUS;
        } else {
            *why = "unknown command (expected up or status)";
            return -1;
        }
    }
    if (cli->help)
        return 0;
    if (cli->command == MIGRATE_CMD_NONE) {
        *why = "missing command (up or status)";
        return -1;
    }
    if (cli->json && cli->command != MIGRATE_CMD_STATUS) {
        *why = "--json applies to status only";
        return -1;
    }
    return 0;
}

static bool migrate_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * The migrations folder: --dir, MIGRATIONS_DIR, ./migrations, or the
 * source tree's migrations/ seen from <build dir>/lib/migrate/sentia-migrate
 * (the nearest migrations/ up to four folders above the program). Returns a
 * new string, or NULL when none of the defaults exists.
 */
static char *migrate_find_dir(const struct migrate_cli *cli, const struct config *cfg)
{
    const char *env = config_str(cfg, "MIGRATIONS_DIR");
    char exe[PATH_MAX], real[PATH_MAX];
    if (cli->dir != NULL)
        return mem_strdup(cli->dir);
    if (env != NULL)
        return mem_strdup(env);
    if (migrate_is_dir("migrations"))
        return mem_strdup("migrations");
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *found = NULL;
    for (int up = 0; up < MIGRATE_DIR_SEARCH_UP && found == NULL; up++) {
        char *slash = strrchr(exe, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
        char *guess = mem_printf("%s/migrations", exe);
        if (realpath(guess, real) != NULL && migrate_is_dir(real))
            found = mem_strdup(real);
        free(guess);
    }
    return found;
}

/* Reports a failure: on stderr for people, and as a log line. */
static void migrate_cli_fail(const char *err)
{
    if (process.log_fd != STDERR_FILENO)
        log_error(NULL, "%s", err);
    fprintf(stderr, "sentia-migrate: %s\n", err);
}

/* Finds the folder and loads it and its functions/. Returns 0, or -1 and *err. */
static int migrate_cli_load(const struct migrate_cli *cli, const struct config *cfg,
                            char **dir, struct migrate_set *set,
                            struct migrate_functions *fns, char **err)
{
    *dir = migrate_find_dir(cli, cfg);
    if (*dir == NULL) {
        *err = mem_strdup("no migrations folder: pass --dir DIR or set MIGRATIONS_DIR "
                          "(looked for ./migrations and migrations/ next to the build)");
        return -1;
    }
    if (migrate_set_load(*dir, set, err) != 0)
        return -1;
    return migrate_functions_load(*dir, fns, err);
}

/* Reads where the database stands on each function file (status). */
static int migrate_cli_read_functions(const char *url, struct migrate_functions *fns,
                                      char **err)
{
    PGconn *c = NULL;
    if (fns->n == 0)
        return 0;
    if (pg_connect(url, PG_CONNECT_ATTEMPTS, &c, err) != 0)
        return -1;
    int rc = migrate_functions_read(c, fns, err);
    PQfinish(c);
    return rc;
}

/* ---- status output ------------------------------------------------------ */

static void migrate_print_table(const struct migrate_plan *plan, const char *dir)
{
    int width = 4;
    for (size_t i = 0; i < plan->n; i++) {
        const struct migrate_entry *e = &plan->entries[i];
        int len = (int)strlen(e->file ? e->file->name : e->record->name);
        width = len > width ? len : width;
    }
    printf("migrations in %s\n\n", dir);
    printf("%-8s %-*s  %-20s  %s\n", "VERSION", width, "NAME", "APPLIED AT", "CHECKSUM");
    for (size_t i = 0; i < plan->n; i++) {
        const struct migrate_entry *e = &plan->entries[i];
        char version[24];
        snprintf(version, sizeof version, "%04lld", e->version);
        printf("%-8s %-*s  %-20s  %s\n", version, width,
               e->file ? e->file->name : e->record->name,
               e->record ? e->record->applied_at : "-", migrate_state_label(e->state));
    }
    printf("\n%zu applied, %zu pending", plan->count[MIGRATE_APPLIED],
           plan->count[MIGRATE_PENDING]);
    if (plan->count[MIGRATE_CHANGED])
        printf(", %zu CHANGED", plan->count[MIGRATE_CHANGED]);
    if (plan->count[MIGRATE_MISSING])
        printf(", %zu MISSING FILE", plan->count[MIGRATE_MISSING]);
    if (plan->count[MIGRATE_OUT_OF_ORDER])
        printf(", %zu OUT OF ORDER", plan->count[MIGRATE_OUT_OF_ORDER]);
    printf("\n");
}

static void migrate_print_functions(const struct migrate_functions *fns, const char *dir)
{
    int width = 4;
    if (fns->n == 0)
        return;
    for (size_t i = 0; i < fns->n; i++) {
        int len = (int)strlen(fns->files[i].name);
        width = len > width ? len : width;
    }
    printf("\nfunctions in %s/functions\n\n", dir);
    printf("%-*s  %-20s  %s\n", width, "NAME", "APPLIED AT", "STATE");
    for (size_t i = 0; i < fns->n; i++) {
        const struct migrate_function *f = &fns->files[i];
        printf("%-*s  %-20s  %s\n", width, f->name, f->applied_at ? f->applied_at : "-",
               migrate_function_state(f));
    }
}

/* One migration as a JSON object (a new reference). */
static json_t *migrate_entry_json(const struct migrate_entry *e)
{
    const struct migrate_file *f = e->file;
    const struct migrate_record *r = e->record;
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(e->version));
    json_object_set_new(o, "name", json_string(f ? f->name : r->name));
    json_object_set_new(o, "file", f ? json_string(f->filename) : json_null());
    json_object_set_new(o, "state", json_string(migrate_state_name(e->state)));
    json_object_set_new(o, "applied_at", r ? json_string(r->applied_at) : json_null());
    json_object_set_new(o, "duration_ms",
                        r && r->duration_ms >= 0 ? json_integer(r->duration_ms) : json_null());
    json_object_set_new(o, "checksum", f ? json_string(f->checksum) : json_null());
    json_object_set_new(o, "recorded_checksum", r ? json_string(r->checksum) : json_null());
    return o;
}

/* One function file as a JSON object (a new reference). */
static json_t *migrate_function_json(const struct migrate_function *f)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "name", f->name, "file", f->filename,
                     "state", migrate_function_state(f), "checksum", f->checksum,
                     "recorded_checksum", f->recorded, "applied_at", f->applied_at);
}

static void migrate_print_json(const struct migrate_plan *plan,
                               const struct migrate_functions *fns, const char *dir)
{
    json_t *root = json_object(), *list = json_array(), *flist = json_array();
    for (size_t i = 0; i < plan->n; i++)
        json_array_append_new(list, migrate_entry_json(&plan->entries[i]));
    for (size_t i = 0; i < fns->n; i++)
        json_array_append_new(flist, migrate_function_json(&fns->files[i]));
    json_object_set_new(root, "dir", json_string(dir));
    json_object_set_new(root, "migrations", list);
    json_object_set_new(root, "functions", flist);
    for (int s = MIGRATE_APPLIED; s <= MIGRATE_OUT_OF_ORDER; s++)
        json_object_set_new(root, migrate_state_name((enum migrate_state)s),
                            json_integer((json_int_t)plan->count[s]));
    json_dumpf(root, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(root);
}

/* ---- commands ----------------------------------------------------------- */

static int migrate_cli_status(const struct migrate_cli *cli, const struct config *cfg)
{
    const char *url = config_str(cfg, "DATABASE_URL");
    struct migrate_set set = {0};
    struct migrate_functions fns = {0};
    struct migrate_plan plan = {0};
    char *dir = NULL, *err = NULL;
    int rc = MIGRATE_EXIT_FAILED;
    if (migrate_cli_load(cli, cfg, &dir, &set, &fns, &err) != 0 ||
        migrate_status(url, &set, &plan, &err) != 0)
        goto done;
    if (migrate_cli_read_functions(url, &fns, &err) != 0) {
        migrate_plan_dispose(&plan);
        goto done;
    }
    if (cli->json) {
        migrate_print_json(&plan, &fns, dir);
    } else {
        migrate_print_table(&plan, dir);
        migrate_print_functions(&fns, dir);
    }
    err = migrate_plan_problems(&plan);
    rc = err == NULL ? MIGRATE_EXIT_OK : MIGRATE_EXIT_FAILED;
    migrate_plan_dispose(&plan);
done:
    if (err != NULL)
        migrate_cli_fail(err);
    free(err);
    free(dir);
    migrate_functions_dispose(&fns);
    migrate_set_dispose(&set);
    return rc;
}

/* migrate_up's `after`: the function files, under the same lock. */
struct migrate_cli_fns {
    struct migrate_functions *fns;
    size_t applied;
};

static int migrate_cli_functions_up(PGconn *c, void *data, char **err)
{
    struct migrate_cli_fns *f = data;
    return migrate_functions_up(c, f->fns, &f->applied, err);
}

static int migrate_cli_up(const struct migrate_cli *cli, const struct config *cfg)
{
    const char *url = config_str(cfg, "DATABASE_URL");
    struct migrate_set set = {0};
    struct migrate_functions fns = {0};
    struct migrate_cli_fns fn_run = {&fns, 0};
    struct migrate_after after = {migrate_cli_functions_up, &fn_run};
    char *dir = NULL, *err = NULL, *target = NULL;
    size_t applied = 0;
    int rc = MIGRATE_EXIT_FAILED;
    if (migrate_cli_load(cli, cfg, &dir, &set, &fns, &err) != 0)
        goto done;
    target = pg_describe(url);
    log_info(LOG_FIELDS(LF_STR("dir", dir), LF_INT("files", set.n),
                        LF_STR("database", target)),
             "migrating");
    if (migrate_up(url, &set, &applied, &after, &err) != 0)
        goto done;
    log_info(LOG_FIELDS(LF_INT("applied", applied), LF_INT("files", set.n),
                        LF_INT("functions_applied", fn_run.applied),
                        LF_INT("function_files", fns.n)),
             "migrations up to date");
    rc = MIGRATE_EXIT_OK;
done:
    if (err != NULL)
        migrate_cli_fail(err);
    free(err);
    free(target);
    free(dir);
    migrate_functions_dispose(&fns);
    migrate_set_dispose(&set);
    return rc;
}

int main(int argc, char **argv)
{
    struct migrate_cli cli;
    const char *why = NULL;
    if (migrate_cli_parse(argc, argv, &cli, &why) != 0) {
        fprintf(stderr, "sentia-migrate: %s\n%s", why, migrate_synopsis);
        return MIGRATE_EXIT_USAGE;
    }
    if (cli.help) {
        fputs(migrate_synopsis, stdout);
        fputs(migrate_help, stdout);
        return MIGRATE_EXIT_OK;
    }
    process.service = "sentia-migrate";
    if (cli.command == MIGRATE_CMD_STATUS)
        process.log_fd = STDERR_FILENO;
    struct config *cfg = startup_config_or_exit(migrate_config_tables, NULL, NULL);
    process_configure(cfg, "sentia-migrate");
    int rc = cli.command == MIGRATE_CMD_UP ? migrate_cli_up(&cli, cfg)
                                           : migrate_cli_status(&cli, cfg);
    config_free(cfg);
    return rc;
}
