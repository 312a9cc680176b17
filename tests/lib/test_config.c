/*
 * tests/lib/test_config.c: configuration loading — defaults, typed getters,
 * per-APP_ENV required sets, URL validation, and one message for all errors
 * that never shows a secret.
 */
#include <stdlib.h>

#include "lib/config.h"
#include "tests/test.h"

static const struct config_var test_vars[] = {
    {"PORT", CONFIG_INT, "8080", 0, 1, 65535, NULL, false},
    {"DATABASE_URL", CONFIG_URL_POSTGRES, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, true},
    {"PUBLIC_BASE_URL", CONFIG_URL_HTTP, "http://localhost:8080", 0, 0, 0, NULL, false},
    {"TWILIO_AUTH_TOKEN", CONFIG_STR, NULL, CONFIG_ENV_PRODUCTION, 0, 0, NULL, true},
    {"ENABLE_HSTS", CONFIG_BOOL, "false", 0, 0, 0, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};
static const struct config_var *const test_tables[] = {config_common_vars, test_vars, NULL};

/* Environment as a NULL-terminated list of "NAME", "value" pairs. */
static const char *from_list(const char *name, void *ctx)
{
    const char *const *kv = ctx;
    for (; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

TEST(defaults_and_typed_getters)
{
    const char *env[] = {"REDIS_URL", "redis://127.0.0.1:6390/2", "ENABLE_HSTS", "yes", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(test_tables, from_list, env, &cfg, &err), 0);
    CHECK_INT(config_int(cfg, "PORT"), 8080);
    CHECK(config_bool(cfg, "ENABLE_HSTS"));
    CHECK(!config_bool(cfg, "PII_REDACTION_ENABLED") == false);
    CHECK_STR(config_str(cfg, "LOG_LEVEL"), "info");
    CHECK_STR(config_str(cfg, "QUEUE_PREFIX"), "sentia");
    CHECK(config_str(cfg, "TWILIO_AUTH_TOKEN") == NULL);
    CHECK(!config_is_set(cfg, "PORT"));
    CHECK(config_is_set(cfg, "REDIS_URL"));
    CHECK_INT(config_env(cfg), CONFIG_ENV_DEVELOPMENT);
    config_free(cfg);
}

TEST(production_requires_its_set_and_reports_all_at_once)
{
    const char *env[] = {"APP_ENV", "production", "PORT", "99999",
                         "PUBLIC_BASE_URL", "ftp://x", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(test_tables, from_list, env, &cfg, &err), -1);
    CHECK(strstr(err, "APP_ENV=production") != NULL);
    CHECK(strstr(err, "REDIS_URL is required") != NULL);
    CHECK(strstr(err, "DATABASE_URL is required") != NULL);
    CHECK(strstr(err, "TWILIO_AUTH_TOKEN is required") != NULL);
    CHECK(strstr(err, "PORT must be an integer from 1 to 65535 (got \"99999\")") != NULL);
    CHECK(strstr(err, "PUBLIC_BASE_URL is not a valid URL") != NULL);
    free(err);
}

TEST(malformed_urls_are_named_and_secrets_hidden)
{
    const char *env[] = {"REDIS_URL", "rediss://:hunter2@cache:6380",
                         "DATABASE_URL", "mysql://u:s3cret@db/app",
                         "LOG_LEVEL", "loud", "APP_ENV", "staging", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(test_tables, from_list, env, &cfg, &err), -1);
    CHECK(strstr(err, "REDIS_URL is not a valid URL: TLS (rediss://)") != NULL);
    CHECK(strstr(err, "DATABASE_URL is not a valid URL: scheme must be postgres") != NULL);
    CHECK(strstr(err, "LOG_LEVEL must be one of debug|info|warn|error (got \"loud\")") != NULL);
    CHECK(strstr(err, "APP_ENV must be one of") != NULL);
    CHECK(strstr(err, "hunter2") == NULL);
    CHECK(strstr(err, "s3cret") == NULL);
    free(err);
}

TEST(bad_bool_and_int_text)
{
    const char *env[] = {"REDIS_URL", "redis://localhost", "ENABLE_HSTS", "maybe",
                         "PORT", " 80", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(test_tables, from_list, env, &cfg, &err), -1);
    CHECK(strstr(err, "ENABLE_HSTS must be true or false") != NULL);
    CHECK(strstr(err, "PORT must be an integer") != NULL);
    free(err);
}

TEST(redis_db_number_checked)
{
    const char *env[] = {"REDIS_URL", "redis://localhost:6379/x", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(test_tables, from_list, env, &cfg, &err), -1);
    CHECK(strstr(err, "database must be a number") != NULL);
    free(err);
}

TEST(production_refuses_http_base_urls)
{
    static const struct config_var vars[] = {
        {"SHOPIFY_API_BASE", CONFIG_URL_HTTP, NULL, 0, 0, 0, NULL, false},
        {"TWILIO_API_BASE", CONFIG_URL_HTTP, "https://api.twilio.com", 0, 0, 0, NULL, false},
        {"XERO_API_BASE", CONFIG_URL_HTTP, NULL, 0, 0, 0, NULL, false},
        {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    };
    const struct config_var *const tables[] = {config_common_vars, vars, NULL};
    const char *prod[] = {"APP_ENV", "production", "REDIS_URL", "redis://r:6379",
                          "SHOPIFY_API_BASE", "http://shop.example/admin",
                          "TWILIO_API_BASE", "HTTP://api.twilio.com",
                          "XERO_API_BASE", "https://api.xero.com/api.xro/2.0", NULL};
    struct config *cfg = NULL;
    char *err = NULL;
    CHECK_INT(config_load(tables, from_list, prod, &cfg, &err), -1);
    CHECK(strstr(err, "SHOPIFY_API_BASE must be an https:// URL in production") != NULL);
    CHECK(strstr(err, "TWILIO_API_BASE must be an https:// URL in production") != NULL);
    CHECK(strstr(err, "XERO_API_BASE") == NULL);
    free(err);
    /* the same http:// fakes are fine in test and development */
    const char *test[] = {"APP_ENV", "test", "REDIS_URL", "redis://r:6379",
                          "SHOPIFY_API_BASE", "http://127.0.0.1:9/admin", NULL};
    CHECK_INT(config_load(tables, from_list, test, &cfg, &err), 0);
    config_free(cfg);
    /* loopback never leaves the machine: production benchmarks against local fakes */
    const char *loop[] = {"APP_ENV", "production", "REDIS_URL", "redis://r:6379",
                          "SHOPIFY_API_BASE", "http://127.0.0.1:9/admin",
                          "XERO_API_BASE", "http://localhost:9/x", NULL};
    CHECK_INT(config_load(tables, from_list, loop, &cfg, &err), 0);
    config_free(cfg);
    const char *dev[] = {"REDIS_URL", "redis://r:6379",
                         "SHOPIFY_API_BASE", "http://127.0.0.1:9/admin", NULL};
    CHECK_INT(config_load(tables, from_list, dev, &cfg, &err), 0);
    config_free(cfg);
}
