/*
 * worker/core/registry.h: job type → handler, over the family table main.c
 * composes (worker/jobs/jobs.h). A type belongs to one family only; an
 * unknown type goes to dead with reason "unknown_type". The lookup is a
 * linear scan: a few dozen types, one strcmp each, per job.
 */
#ifndef SENTIA_WORKER_CORE_REGISTRY_H
#define SENTIA_WORKER_CORE_REGISTRY_H

#include "worker/core/handler.h"

/* The handler of `type` in the NULL-terminated `families`, or NULL. */
const struct job_handler *registry_find(const struct job_family *const *families,
                                        const char *type);
/* The family whose job types start with "<name>.", or NULL. */
const struct job_family *registry_family_of(const struct job_family *const *families,
                                            const char *type);

#endif
