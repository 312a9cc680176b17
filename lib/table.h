/*
 * lib/table.h: plain-text tables for command-line tools: columns sized to
 * their widest cell (counted in UTF-8 characters), numbers right-aligned.
 *
 * Ownership: the table copies every header and cell; table_free() frees all.
 */
#ifndef SENTIA_LIB_TABLE_H
#define SENTIA_LIB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct table;

/* headers: ncols strings; a header starting with '>' is right-aligned. */
struct table *table_create(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (NULL prints as "-"). */
void table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
