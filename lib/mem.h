/*
 * lib/mem.h: the out-of-memory policy, decided once (STYLE.md 13).
 *
 * Small internal allocations go through these wrappers, which abort the
 * process with a log-free message on failure: a server that cannot allocate a
 * few hundred bytes cannot do anything useful, and every caller checking NULL
 * would only add untested paths. Anything sized by input (request bodies,
 * Redis replies, provider pages) must be checked against a named limit before
 * it reaches these functions.
 *
 * Ownership: every pointer returned is owned by the caller and released with
 * free().
 */
#ifndef SENTIA_LIB_MEM_H
#define SENTIA_LIB_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates the copy. */
char *mem_strndup(const char *s, size_t n);
/* printf into a new string; aborts on failure. */
char *mem_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
