/*
 * lib/process.c: the process struct and its defaults (see process.h).
 */
#include "lib/process.h"

#include <strings.h>

#include "lib/config.h"

static const char *const process_level_names[] = {"debug", "info", "warn", "error", "off"};

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
    if (process_log_level_parse(config_str(cfg, "LOG_LEVEL"), &process.log_level) != 0)
        process.log_level = LOG_LEVEL_INFO;
    process.pii_redaction = config_bool(cfg, "PII_REDACTION_ENABLED");
    process.slow_query_ms = (int)config_int(cfg, "SLOW_QUERY_MS");
}

int process_log_level_parse(const char *name, enum log_level *out)
{
    for (int i = LOG_LEVEL_DEBUG; i <= LOG_LEVEL_OFF; i++)
        if (strcasecmp(name, process_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    if (strcasecmp(name, "warning") == 0) {
        *out = LOG_LEVEL_WARN;
        return 0;
    }
    return -1;
}

const char *process_log_level_name(enum log_level level)
{
    return process_level_names[level];
}
