/*
 * worker/providers/amazon.h: Amazon SP-API Orders (v0) and Login with Amazon
 * as the order sync uses them (shared/external-apis.md §7, §12). Pure: token
 * requests and answers, request URLs, verdicts on answers, and the mapping
 * of getOrders / getOrderItems pages into rows for jsonb_to_recordset
 * (sync_upsert_orders, migrations/0007_stores_amazon_privacy.sql). No I/O.
 *
 * Token: POST {AMAZON_LWA_URL} (default https://api.amazon.com/auth/o2/token),
 *   form grant_type=refresh_token&refresh_token=…&client_id=…&client_secret=…
 *   → {"access_token":"Atza|…","token_type":"bearer","expires_in":3600}.
 *   Cache it until expires_in − AMAZON_TOKEN_EARLY_MS. 400 {"error":
 *   "invalid_grant"} (or invalid_client, unauthorized_client): the
 *   credentials are dead → the integration is unauthorised.
 * Calls: header x-amz-access-token: <access_token>.
 *   GET {base}/orders/v0/orders?MarketplaceIds=A,B&LastUpdatedAfter=<cursor −
 *       AMAZON_OVERLAP_MS, UTC "Z">&MaxResultsPerPage=N[&NextToken=<escaped>]
 *       (the same filters on every page: NextToken only pages).
 *   GET {base}/orders/v0/orders/{AmazonOrderId}/orderItems[?NextToken=…]
 *   base: AMAZON_SP_API_BASE when set, else the region's endpoint
 *   (na, eu, fe → https://sellingpartnerapi-<region>.amazon.com).
 *
 * Verdicts (amazon_judge):
 *   2xx            → AMAZON_OK
 *   429            → AMAZON_WAIT for 1/rate seconds: the rate from the
 *                    x-amzn-RateLimit-Limit header when readable, else the
 *                    operation's documented rate (getOrders 0.0167/s → 60 s,
 *                    getOrderItems 0.5/s → 2 s). No attempt is spent.
 *   401, 403       → AMAZON_UNAUTHORISED (integration unauthorised, job dead)
 *   5xx, 408, 0    → AMAZON_RETRY (0 = transport failure or timeout)
 *   other 4xx      → AMAZON_REJECTED with errors[0].code/message
 *
 * Rows:
 *   order {external_id (AmazonOrderId), account (MarketplaceId, else the
 *          caller's), status, external_status (OrderStatus), currency,
 *          total (OrderTotal.Amount as decimal text; "0" and the
 *          marketplace's currency when absent, as on Pending orders),
 *          placed_at (PurchaseDate), updated_at (LastUpdateDate),
 *          cancelled_at (LastUpdateDate when Canceled, else null), raw}
 *     status: Pending, PendingAvailability → pending; Unshipped,
 *     PartiallyShipped, Shipped, InvoiceUnconfirmed → confirmed; Canceled,
 *     Unfulfillable → cancelled; any other → pending (external_status keeps
 *     Amazon's word).
 *   line  {line_no, sku (SellerSKU, "" when none), asin, external_line_id
 *          (OrderItemId), name (Title, else the ASIN), quantity
 *          (QuantityOrdered), line_total (ItemPrice.Amount: price × quantity;
 *          null when absent, as on Pending orders), currency}
 *   Money is decimal text from Amazon's string, never a double.
 *
 * Cursor: a page moves the high-water mark to its newest LastUpdateDate;
 *   the last page of a pass may move it to the answer's LastUpdatedBefore
 *   (every order updated before it was listed); never backwards, never past
 *   now. The next pass asks from the mark − AMAZON_OVERLAP_MS.
 *
 * Ownership: char * results and json rows/arrays are the caller's (new
 * references); struct amazon_token / amazon_orders_page / amazon_items_page
 * are freed with their dispose functions.
 */
#ifndef SENTIA_WORKER_PROVIDERS_AMAZON_H
#define SENTIA_WORKER_PROVIDERS_AMAZON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    AMAZON_PAGE_MAX = 100,             /* MaxResultsPerPage: 1..100 */
    AMAZON_MARKETPLACES_MAX = 50,      /* MarketplaceIds per call */
    AMAZON_MARKETPLACE_ID_MAX = 32,
    AMAZON_ORDER_ID_MAX = 64,
    AMAZON_TOKEN_MAX = 2048,           /* LWA access tokens: ≤ 2048 bytes */
    AMAZON_NEXT_TOKEN_MAX = 8192,
    AMAZON_ITEMS_MAX = 1000,           /* order items kept per order */
    AMAZON_QUANTITY_MAX = 1000000,     /* QuantityOrdered 0..this; 0 (a Pending
                                          order's line) is left out by sync_upsert_orders */
    AMAZON_LINE_NO_MAX = AMAZON_ITEMS_MAX * 100, /* first line number of an items page */
    AMAZON_TOKEN_EARLY_MS = 60000,     /* refresh a minute before expiry (the SDK's) */
    AMAZON_OVERLAP_MS = 300000,        /* ask 5 min before the high-water mark */
    AMAZON_FRESH_MS = 120000,          /* LastUpdatedBefore ≥ 2 min before now */
    AMAZON_BACKFILL_DAYS = 730,        /* orders older than two years are not returned */
    AMAZON_WAIT_MIN_MS = 1000,
    AMAZON_WAIT_MAX_MS = 600000,
    AMAZON_WHY_MAX = 256,
};

enum amazon_operation { AMAZON_GET_ORDERS, AMAZON_GET_ORDER_ITEMS };

enum amazon_verdict {
    AMAZON_OK,
    AMAZON_WAIT,
    AMAZON_RETRY,
    AMAZON_UNAUTHORISED,
    AMAZON_REJECTED,
};

struct amazon_outcome {
    enum amazon_verdict verdict;
    long status;
    int64_t wait_ms;              /* AMAZON_WAIT */
    char message[AMAZON_WHY_MAX]; /* why, for logs and last_error */
};

struct amazon_token {
    char *access_token; /* caller frees (amazon_token_dispose) */
    int64_t expires_in_s;
};

/* ---- configuration and URLs ------------------------------------------------- */

/* The documented rate (requests/s) of an operation: 0.0167 or 0.5. */
double amazon_default_rate(enum amazon_operation op);
/* The SP-API base: override when non-empty (trailing '/' removed), else the
 * region's endpoint ("na", "eu", "fe"; case-insensitive). NULL and *why for
 * an unknown region. Caller frees. */
char *amazon_api_base(const char *region, const char *override, const char **why);
/* "A1,A2" → validated and normalised (no spaces) into a new string; NULL and
 * *why when empty, more than AMAZON_MARKETPLACES_MAX, or an id is not
 * [A-Z0-9]{1,32}. */
char *amazon_marketplace_list(const char *ids, const char **why);
/* The currency of a known marketplace id (ATVPDKIKX0DER → "USD", …), or NULL. */
const char *amazon_marketplace_currency(const char *marketplace_id);

/* The LWA refresh form body; caller frees. */
char *amazon_token_form(const char *refresh_token, const char *client_id,
                        const char *client_secret);
/*
 * Reads an LWA answer. 0 and *out; -1 with why otherwise. *invalid_grant is
 * set when the credentials themselves are refused (invalid_grant,
 * invalid_client, unauthorized_client): re-authorise, do not retry.
 */
int amazon_token_parse(long status, const char *body, size_t len, struct amazon_token *out,
                       bool *invalid_grant, char *why, size_t why_size);
/* When a token obtained at issued_ms (epoch ms, taken before the request)
 * must be replaced: issued_ms + expires_in − AMAZON_TOKEN_EARLY_MS (the
 * SDK's cache rule), never before issued_ms. */
int64_t amazon_token_good_until(const struct amazon_token *t, int64_t issued_ms);
void amazon_token_dispose(struct amazon_token *t);

/* LastUpdatedAfter for a high-water mark: cursor_ms − AMAZON_OVERLAP_MS,
 * or now − AMAZON_BACKFILL_DAYS when cursor_ms < 0, never after
 * now − AMAZON_FRESH_MS; "YYYY-MM-DDTHH:MM:SSZ". */
void amazon_updated_after(int64_t cursor_ms, int64_t now_ms, char out[32]);
/* getOrders URL; next_token NULL or "" for the first page. page_size is
 * clamped to 1..AMAZON_PAGE_MAX. */
char *amazon_orders_url(const char *base, const char *marketplaces, const char *updated_after,
                        int page_size, const char *next_token);
/* getOrderItems URL; NULL when order_id is not a usable id. */
char *amazon_items_url(const char *base, const char *order_id, const char *next_token);

/* ---- answers ----------------------------------------------------------------------- */

/* Judges an answer: rate_limit = the x-amzn-RateLimit-Limit header or NULL;
 * body (may be NULL) gives the message of an error answer. */
void amazon_judge(enum amazon_operation op, long status, const char *rate_limit,
                  const char *body, size_t len, struct amazon_outcome *out);
/* 1/rate in ms, clamped to [AMAZON_WAIT_MIN_MS, AMAZON_WAIT_MAX_MS]; -1 when
 * the header is absent or not a positive decimal. */
int64_t amazon_rate_wait_ms(const char *rate_limit);

/* ---- dates ---------------------------------------------------------------------------- */

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" → epoch ms; 0 or -1. */
int amazon_iso_ms(const char *s, int64_t *ms);
/* epoch ms → "YYYY-MM-DDTHH:MM:SSZ" (seconds, UTC). */
void amazon_format_iso(int64_t ms, char out[32]);

/* ---- pages ---------------------------------------------------------------------------- */

struct amazon_orders_page {
    json_t *rows;               /* order rows (see above), no "lines" key */
    char *next_token;           /* NULL on the last page */
    int64_t max_updated_ms;     /* newest LastUpdateDate on the page; -1 when empty */
    int64_t updated_before_ms;  /* LastUpdatedBefore when ISO 8601; else -1 */
};

/*
 * A getOrders body → rows. account: used when an order has no MarketplaceId.
 * -1 and why when the body is not the documented envelope, holds more than
 * AMAZON_PAGE_MAX orders, or any order is unusable ("order <i>: <field>
 * <problem>"): a page is mapped whole or not at all.
 */
int amazon_orders_page_parse(const char *body, size_t len, const char *account,
                             struct amazon_orders_page *out, char *why, size_t why_size);
void amazon_orders_page_dispose(struct amazon_orders_page *p);

struct amazon_items_page {
    char order_id[AMAZON_ORDER_ID_MAX + 1];
    json_t *lines;     /* line rows, numbered from first_line_no */
    char *next_token;  /* NULL on the last page */
};

/*
 * A getOrderItems body → lines numbered from first_line_no (1 on the first
 * page; then 1 + the lines already read). -1 and why like the orders page;
 * also when its AmazonOrderId is not expect_order_id (when given).
 */
int amazon_items_page_parse(const char *body, size_t len, const char *expect_order_id,
                            int first_line_no, struct amazon_items_page *out, char *why,
                            size_t why_size);
void amazon_items_page_dispose(struct amazon_items_page *p);

/* ---- cursor ------------------------------------------------------------------------------ */

/*
 * The high-water mark after a page: max(cursor_ms, page.max_updated_ms), and
 * on the pass's last page also page.updated_before_ms; a candidate after
 * now_ms is ignored (a date from the future never moves the mark), and the
 * mark never goes below cursor_ms.
 */
int64_t amazon_cursor_advance(int64_t cursor_ms, const struct amazon_orders_page *page,
                              bool last_page, int64_t now_ms);

#endif
