/*
 * worker/core/queues.c: parsing and printing WORKER_QUEUES (see queues.h).
 */
#include "worker/core/queues.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The item [s, s+len) without surrounding blanks. */
static void queues_trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

/* Parses one "name:count" item into q; 0, or -1 with why. */
static int queues_item(const char *s, size_t len, struct worker_queue_spec *q,
                       char *why, size_t why_size)
{
    const char *colon = memchr(s, ':', len);
    size_t nlen = colon ? (size_t)(colon - s) : len;
    char name[QUEUE_NAME_MAX + 2] = "", count[16] = "";
    if (colon == NULL || nlen == 0 || nlen > QUEUE_NAME_MAX ||
        len - nlen - 1 == 0 || len - nlen - 1 >= sizeof count) {
        snprintf(why, why_size, "\"%.*s\" is not NAME:COUNT", (int)(len > 80 ? 80 : len), s);
        return -1;
    }
    memcpy(name, s, nlen);
    memcpy(count, colon + 1, len - nlen - 1);
    char *end = NULL;
    long n = strtol(count, &end, 10);
    if (!queue_name_valid(name)) {
        snprintf(why, why_size, "\"%s\" is not a queue name (1-64 of A-Z a-z 0-9 _ . -)", name);
        return -1;
    }
    if (*end != '\0' || !isdigit((unsigned char)count[0]) || n < 1 || n > WORKER_SLOTS_MAX) {
        snprintf(why, why_size, "the count of \"%s\" must be an integer from 1 to %d",
                 name, WORKER_SLOTS_MAX);
        return -1;
    }
    memcpy(q->name, name, nlen + 1);
    q->slots = (int)n;
    return 0;
}

int worker_queues_parse(const char *text, struct worker_queue_spec out[WORKER_QUEUES_MAX],
                        size_t *n, char *why, size_t why_size)
{
    *n = 0;
    for (const char *p = text ? text : "";;) {
        size_t len = strcspn(p, ",");
        const char *item = p;
        size_t ilen = len;
        queues_trim(&item, &ilen);
        if (*n == WORKER_QUEUES_MAX) {
            snprintf(why, why_size, "at most %d queues", WORKER_QUEUES_MAX);
            return -1;
        }
        if (queues_item(item, ilen, &out[*n], why, why_size) != 0)
            return -1;
        for (size_t i = 0; i < *n; i++)
            if (strcmp(out[i].name, out[*n].name) == 0) {
                snprintf(why, why_size, "\"%s\" is listed twice", out[i].name);
                return -1;
            }
        (*n)++;
        if (p[len] == '\0')
            return 0;
        p += len + 1;
    }
}

void worker_queues_format(const struct worker_queue_spec *q, size_t n, char *buf,
                          size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s:%d", i ? "," : "", q[i].name,
                         q[i].slots);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
