/*
 * worker/jobs/autoscale.h: what main.c needs of the ops.autoscale family
 * (worker/jobs/autoscale.c) besides its struct job_family: the start-up
 * check of its SCALE_* policy variables.
 */
#ifndef SENTIA_WORKER_JOBS_AUTOSCALE_H
#define SENTIA_WORKER_JOBS_AUTOSCALE_H

#include "lib/buf.h"

/* Appends "SCALE_…: why" to err when the SCALE_* variables (read through
 * get, which falls back to defaults) do not make a valid policy. */
void jobs_autoscale_config_check(const char *(*get)(const char *name), struct buf *err);

#endif
