/*
 * api/routes/table.h: sentia-api's route table — every route row and the
 * webhook sources (api/hooks/sources.h) — as the data the router is built
 * from (api/router.h). Adding a route is one row here plus its handler.
 *
 * Only main.c (and tests) include this header: the table sits above every
 * handler, the router below them all.
 */
#ifndef SENTIA_API_ROUTES_TABLE_H
#define SENTIA_API_ROUTES_TABLE_H

#include "api/router.h"

/* Fills *t with the static table (borrowed pointers into static data). */
void routes_table(struct api_table *t);

#endif
