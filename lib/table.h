/*
 * lib/table.h: plain-text tables for command-line tools: columns sized to
 * their widest cell (counted in UTF-8 characters), numbers right-aligned.
 * Cells often hold strings from Redis or a provider (a job's last_error, a
 * queue or worker name): table_add() shows their control characters as
 * visible escapes (table_escape), so nothing a job carries reaches the
 * operator's terminal as an escape sequence.
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
/*
 * A copy of s safe for a terminal, caller frees: C0 controls, DEL and bytes
 * that are not valid UTF-8 become \xHH, C1 controls (U+0080–U+009F) \u00HH,
 * a backslash \\; valid printable UTF-8 is kept as it is.
 */
char *table_escape(const char *s);
/* Adds a row of ncols cells (NULL prints as "-"), escaped by table_escape. */
void table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
