/*
 * tests/lib/migrate/test_migrate.c: the parts of lib/migrate/migrate.c that need no
 * server: file names, reading a folder (order, checksums, every problem
 * reported at once), and comparing a folder with schema_migrations rows.
 * Includes the .c to reach its statics; folders are made under /tmp and
 * removed by each case.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "tests/test.h"
#include "lib/migrate/migrate.c"

/* A fresh empty folder under /tmp; the caller frees the path. */
static char *make_dir(void)
{
    static int seq;
    char *dir = mem_printf("/tmp/sentia-test-migrate.%ld.%d", (long)getpid(), seq++);
    if (mkdir(dir, 0700) != 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = mem_printf("%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
    free(path);
}

static void put(const char *dir, const char *name, const char *text)
{
    write_file(dir, name, text, strlen(text));
}

/* Removes the folder's files, the folder, and frees the path. */
static void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = mem_printf("%s/%s", dir, e->d_name);
        unlink(path);
        free(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
    free(dir);
}

TEST(name_parse_accepts_migrations)
{
    long long v = 0;
    size_t off = 0, len = 0;
    CHECK_INT(migrate_name_parse("0001_foundation.sql", &v, &off, &len), MIGRATE_NAME_MIGRATION);
    CHECK_INT(v, 1);
    CHECK_INT(off, 5);
    CHECK_INT(len, 10);
    CHECK_INT(migrate_name_parse("20240101_add_orders_2.sql", &v, &off, &len), MIGRATE_NAME_MIGRATION);
    CHECK_INT(v, 20240101);
    CHECK_INT(migrate_name_parse("123456789012345678_x.sql", &v, &off, &len), MIGRATE_NAME_MIGRATION);
    CHECK_INT(v, 123456789012345678LL);
}

TEST(name_parse_refuses_near_misses_and_ignores_other_files)
{
    long long v = 0;
    size_t off = 0, len = 0;
    static const char *const invalid[] = {
        "foo.sql", "001_short.sql", "0001-dash.sql", "0001_Upper.sql", "0001_.sql",
        "0001.sql", "0001_x.SQL", "0001_x y.sql", ".sql", "1234567890123456789_big.sql",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        bool refused = migrate_name_parse(invalid[i], &v, &off, &len) == MIGRATE_NAME_INVALID;
        if (!refused)
            printf("  not refused: %s\n", invalid[i]);
        CHECK(refused);
    }
    CHECK_INT(migrate_name_parse("README.md", &v, &off, &len), MIGRATE_NAME_OTHER);
    CHECK_INT(migrate_name_parse("0001_x.sql.orig", &v, &off, &len), MIGRATE_NAME_OTHER);
    CHECK_INT(migrate_name_parse(".gitkeep", &v, &off, &len), MIGRATE_NAME_OTHER);
}

TEST(set_load_orders_by_version_with_checksums)
{
    char *dir = make_dir();
    CHECK(dir != NULL);
    put(dir, "0010_ten.sql", "SELECT 10;\n");
    put(dir, "0002_two.sql", "abc");
    put(dir, "0001_one.sql", "SELECT 1;\n");
    put(dir, "README.md", "ignored");
    struct migrate_set set = {0};
    char *err = NULL;
    int rc = migrate_set_load(dir, &set, &err);
    remove_dir(dir);
    CHECK_INT(rc, 0);
    CHECK_INT(set.n, 3);
    CHECK_INT(set.files[0].version, 1);
    CHECK_INT(set.files[1].version, 2);
    CHECK_INT(set.files[2].version, 10);
    CHECK_STR(set.files[1].name, "two");
    CHECK_STR(set.files[1].filename, "0002_two.sql");
    CHECK_STR(set.files[1].sql, "abc");
    CHECK_STR(set.files[1].checksum,
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(strstr(set.files[2].path, "/0010_ten.sql") != NULL);
    migrate_set_dispose(&set);
}

TEST(set_load_reports_every_problem)
{
    char *dir = make_dir();
    CHECK(dir != NULL);
    put(dir, "0001_one.sql", "SELECT 1;");
    put(dir, "01_typo.sql", "SELECT 2;");
    put(dir, "foo.sql", "SELECT 3;");
    put(dir, "0003_a.sql", "SELECT 4;");
    put(dir, "00003_b.sql", "SELECT 5;");
    write_file(dir, "0004_nul.sql", "SELECT\0 6;", 10);
    struct migrate_set set = {0};
    char *err = NULL;
    int rc = migrate_set_load(dir, &set, &err);
    remove_dir(dir);
    CHECK_INT(rc, -1);
    CHECK_INT(set.n, 0);
    bool ok = strstr(err, "01_typo.sql is not a migration file name") &&
              strstr(err, "foo.sql is not a migration file name") &&
              strstr(err, "have the same version 3") &&
              strstr(err, "0004_nul.sql: contains a NUL byte");
    if (!ok)
        printf("  err: %s\n", err);
    free(err);
    CHECK(ok);
}

TEST(set_load_missing_folder)
{
    struct migrate_set set = {0};
    char *err = NULL;
    CHECK_INT(migrate_set_load("/nonexistent/migrations", &set, &err), -1);
    CHECK(strstr(err, "cannot open the migrations folder /nonexistent/migrations") != NULL);
    free(err);
}

/* A file as migrate_set_load would make it, with a given checksum. */
static struct migrate_file fake_file(long long version, const char *name, char c)
{
    struct migrate_file f = {.version = version, .name = (char *)name};
    f.filename = f.path = (char *)name;
    memset(f.checksum, c, MIGRATE_CHECKSUM_LEN);
    return f;
}

static struct migrate_record fake_record(long long version, const char *name, char c)
{
    struct migrate_record r = {.version = version, .name = mem_strdup(name),
                               .applied_at = mem_strdup("2026-01-01T00:00:00Z")};
    r.checksum = mem_alloc(MIGRATE_CHECKSUM_LEN + 1);
    memset(r.checksum, c, MIGRATE_CHECKSUM_LEN);
    r.checksum[MIGRATE_CHECKSUM_LEN] = '\0';
    return r;
}

TEST(plan_merges_folder_and_table)
{
    struct migrate_file files[] = {fake_file(1, "one", 'a'), fake_file(2, "two", 'b'),
                                   fake_file(4, "four", 'd'), fake_file(7, "seven", 'e')};
    struct migrate_set set = {files, 4};
    struct migrate_plan plan = {0};
    plan.records = mem_calloc(4, sizeof *plan.records);
    plan.records[0] = fake_record(1, "one", 'a');
    plan.records[1] = fake_record(2, "two", '9'); /* file changed */
    plan.records[2] = fake_record(3, "three", 'c'); /* file gone */
    plan.records[3] = fake_record(5, "five", 'f'); /* file gone */
    plan.nrecords = 4;
    migrate_plan_merge(&plan, &set);
    char *problems = migrate_plan_problems(&plan);
    CHECK_INT(plan.n, 6);
    CHECK_INT(plan.entries[0].state, MIGRATE_APPLIED);
    CHECK_INT(plan.entries[1].state, MIGRATE_CHANGED);
    CHECK_INT(plan.entries[2].state, MIGRATE_MISSING);
    CHECK_INT(plan.entries[3].state, MIGRATE_OUT_OF_ORDER); /* 4 < 5 applied */
    CHECK_INT(plan.entries[4].state, MIGRATE_MISSING);
    CHECK_INT(plan.entries[5].state, MIGRATE_PENDING);
    CHECK_INT(plan.count[MIGRATE_MISSING], 2);
    migrate_plan_dispose(&plan);
    bool ok = problems && strstr(problems, "refusing to migrate: ") == problems &&
              strstr(problems, "two was changed after it was applied (recorded sha256 9999") &&
              strstr(problems, "version 3 (0003_three.sql) is recorded") &&
              strstr(problems, "four is pending but version 5 is already applied") &&
              !strstr(problems, "seven");
    if (!ok)
        printf("  problems: %s\n", problems ? problems : "(none)");
    free(problems);
    CHECK(ok);
}

TEST(plan_renamed_file_counts_as_changed)
{
    struct migrate_file files[] = {fake_file(1, "new_name", 'a')};
    struct migrate_set set = {files, 1};
    struct migrate_plan plan = {0};
    plan.records = mem_calloc(1, sizeof *plan.records);
    plan.records[0] = fake_record(1, "old_name", 'a');
    plan.nrecords = 1;
    migrate_plan_merge(&plan, &set);
    char *problems = migrate_plan_problems(&plan);
    CHECK_INT(plan.entries[0].state, MIGRATE_CHANGED);
    migrate_plan_dispose(&plan);
    bool ok = problems && strstr(problems, "which was applied as 0001_old_name.sql");
    free(problems);
    CHECK(ok);
}

TEST(plan_all_applied_or_pending_has_no_problems)
{
    struct migrate_file files[] = {fake_file(1, "one", 'a'), fake_file(2, "two", 'b')};
    struct migrate_set set = {files, 2};
    struct migrate_plan plan = {0};
    plan.records = mem_calloc(1, sizeof *plan.records);
    plan.records[0] = fake_record(1, "one", 'a');
    plan.nrecords = 1;
    migrate_plan_merge(&plan, &set);
    CHECK_INT(plan.count[MIGRATE_APPLIED], 1);
    CHECK_INT(plan.count[MIGRATE_PENDING], 1);
    CHECK(migrate_plan_problems(&plan) == NULL);
    migrate_plan_dispose(&plan);
}
