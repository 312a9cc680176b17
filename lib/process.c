/*
 * lib/process.c: the process struct and its defaults (see process.h).
 */
#include "lib/process.h"

#include "lib/config.h"

struct process process = {
    .service = "sentia",
    .log_level = LOG_LEVEL_INFO,
    .pii_redaction = true,
    .log_fd = 1,
    .slow_query_ms = 5000,
};

void process_configure(const struct config *cfg, const char *service)
{
    process.service = service;
    if (log_level_parse(config_str(cfg, "LOG_LEVEL"), &process.log_level) != 0)
        process.log_level = LOG_LEVEL_INFO;
    process.pii_redaction = config_bool(cfg, "PII_REDACTION_ENABLED");
    process.slow_query_ms = (int)config_int(cfg, "SLOW_QUERY_MS");
}
