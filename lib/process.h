/*
 * lib/process.h: the one global of a Sentia process (STYLE.md 8).
 *
 * Settings every module may read but that are not worth threading through
 * every call: the service name and logging policy. main() fills it once from
 * the configuration, before any thread starts; afterwards it is read-only, so
 * threads share it without locks. Everything else (loops, pools, config) is
 * passed explicitly.
 */
#ifndef SENTIA_LIB_PROCESS_H
#define SENTIA_LIB_PROCESS_H

#include <stdbool.h>

/* Log levels (lib/log.h writes the lines; the process says which pass). */
enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
    LOG_LEVEL_OFF,
};

struct process {
    const char *service;      /* "sentia-api", "sentia-worker", … */
    enum log_level log_level; /* lines below it are dropped */
    bool pii_redaction;       /* mask phones, e-mails, bodies in logs */
    int log_fd;               /* where JSON lines go (stdout) */
    int slow_query_ms;        /* Postgres queries slower than this warn */
};

extern struct process process;

struct config;
/* Fills the struct from the common variables (config_common_vars). */
void process_configure(const struct config *cfg, const char *service);

/* "debug"/"info"/"warn"/"error" (any case; "warning" too) → level; 0, or -1
 * if unknown. */
int process_log_level_parse(const char *name, enum log_level *out);
/* The level's name as log lines spell it. */
const char *process_log_level_name(enum log_level level);

#endif
