/*
 * worker/core/registry.c: job type → handler and family (see registry.h).
 */
#include "worker/core/registry.h"

#include <stddef.h>
#include <string.h>

const struct job_handler *registry_find(const struct job_family *const *families,
                                        const char *type)
{
    for (size_t f = 0; families && families[f]; f++)
        for (const struct job_handler *h = families[f]->handlers; h->type; h++)
            if (strcmp(h->type, type) == 0)
                return h;
    return NULL;
}

const struct job_family *registry_family_of(const struct job_family *const *families,
                                            const char *type)
{
    for (size_t f = 0; families && families[f]; f++) {
        size_t n = strlen(families[f]->name);
        if (strncmp(type, families[f]->name, n) == 0 && type[n] == '.')
            return families[f];
    }
    return NULL;
}
