/*
 * lib/process.c: the process struct and its defaults (see process.h).
 */
#include "lib/process.h"

struct process process = {
    .service = "sentia",
    .log_level = LOG_LEVEL_INFO,
    .pii_redaction = true,
    .log_fd = 1,
};
