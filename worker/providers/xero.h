/*
 * worker/providers/xero.h: Xero's OAuth2 token endpoint and Accounting API as the sync
 * uses them (shared/external-apis.md §5). Pure: request bodies, URLs, token
 * answers, and the mapping of invoices and contacts into rows for
 * jsonb_to_recordset (migrations/0004_integrations.sql).
 *
 * Token refresh: POST {XERO_IDENTITY_URL}, Basic client_id:client_secret,
 * form grant_type=refresh_token&refresh_token=…; the answer carries a new
 * access_token (expires_in s) and a NEW refresh_token (rotation). A 400
 * {"error":"invalid_grant"} means the refresh token is dead: re-authorise.
 *
 * Listing: GET {XERO_API_BASE}/Invoices?page=N&pageSize=P&order=UpdatedDateUTC
 * (ascending), headers Authorization: Bearer, xero-tenant-id,
 * If-Modified-Since: <cursor − overlap, UTC>; a page shorter than P is the
 * last. Contacts likewise. One resource: GET {base}/Invoices/{id}.
 *
 * Rows:
 *   invoices {invoice_id, type (ACCREC|ACCPAY), invoice_number, contact_id,
 *             status, issued_on, due_on, fully_paid_on, currency,
 *             currency_rate, subtotal (tax-exclusive), total_tax, total,
 *             amount_due, amount_paid, amount_credited, updated_at, raw}
 *   contacts {contact_id, name, email, is_customer, is_supplier, status,
 *             updated_at, raw}
 */
#ifndef SENTIA_WORKER_XERO_H
#define SENTIA_WORKER_XERO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/providers/provider.h"

enum {
    XERO_PAGE_SIZE_MAX = 1000,     /* Xero's largest pageSize */
    XERO_TOKEN_MAX = 8192,         /* a JWT access token is ~1.5 KiB */
    XERO_OVERLAP_MS = 1000,
    XERO_TOKEN_EARLY_MS = 60000,   /* refresh a minute before expiry */
};

enum xero_resource { XERO_INVOICES, XERO_CONTACTS };

struct xero_token {
    char *access_token;   /* caller frees both */
    char *refresh_token;
    int64_t expires_in_s;
};

/* "grant_type=refresh_token&refresh_token=<escaped>"; caller frees. */
char *xero_refresh_form(const char *refresh_token);
/*
 * Reads a token answer. Returns 0 and *out; -1 with why for an unusable
 * answer. *invalid_grant is set for {"error":"invalid_grant"}.
 */
int xero_token_parse(long status, const char *body, size_t len, struct xero_token *out,
                     bool *invalid_grant, char *why, size_t why_size);
void xero_token_dispose(struct xero_token *t);

/* The list URL of page `page` (1-based). */
char *xero_page_url(const char *base, enum xero_resource r, int page, int page_size);
/* If-Modified-Since value for a cursor ("" when cursor_ms < 0). */
void xero_if_modified_since(int64_t cursor_ms, char out[32]);
/*
 * A webhook event → the resource and the URL of the one record, built from
 * base and the event's resourceId (never the event's own URL, so the token
 * goes to XERO_API_BASE only). -1 with why when the event is unusable.
 */
int xero_event_target(const json_t *event, const char *base, enum xero_resource *r,
                      char **url, const char **why);

json_t *xero_invoice_row(const json_t *inv, struct provider_map *m);
json_t *xero_contact_row(const json_t *c, struct provider_map *m);
/*
 * A page body → rows (new array) and *count (records on the page, to tell
 * a short page). NULL and why when the body is unusable.
 */
json_t *xero_page_rows(enum xero_resource r, const char *body, size_t len, int page_size,
                       size_t *count, char *why, size_t why_size);

#endif
