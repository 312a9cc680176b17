/*
 * worker/providers/amazon.c: Amazon SP-API Orders v0 and LWA rules — token
 * requests and answers, URLs, verdicts, page mapping, the cursor (see
 * amazon.h).
 */
#include "worker/providers/amazon.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/http.h"
#include "lib/mem.h"

/* ---- small checks ---------------------------------------------------------------- */

/* 1..max bytes, each accepted by ok(). */
static bool amazon_text_ok(const char *s, size_t max, int (*ok)(int))
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    return true;
}

static int amazon_marketplace_char(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int amazon_order_id_char(int c)
{
    return isalnum(c) || c == '-';
}

static bool amazon_currency_ok(const char *s)
{
    return s && strlen(s) == 3 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) &&
           isupper((unsigned char)s[2]);
}

/* Unsigned decimal text as numeric(14, 2) takes it: 1–12 digits, then
 * optionally '.' and 1–4 digits (the database rounds to cents). */
static bool amazon_amount_ok(const char *s)
{
    size_t whole = s ? strspn(s, "0123456789") : 0;
    if (whole == 0 || whole > 12)
        return false;
    if (s[whole] == '\0')
        return true;
    size_t frac = strspn(s + whole + 1, "0123456789");
    return s[whole] == '.' && frac >= 1 && frac <= 4 && s[whole + 1 + frac] == '\0';
}

/* ---- configuration and URLs ---------------------------------------------------------- */

double amazon_default_rate(enum amazon_operation op)
{
    return op == AMAZON_GET_ORDERS ? 0.0167 : 0.5;
}

char *amazon_api_base(const char *region, const char *override, const char **why)
{
    static const char *const regions[] = {"na", "eu", "fe"};
    if (override && override[0]) {
        size_t n = strlen(override);
        while (n > 0 && override[n - 1] == '/')
            n--;
        return mem_strndup(override, n);
    }
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (region && strcasecmp(region, regions[i]) == 0)
            return mem_printf("https://sellingpartnerapi-%s.amazon.com", regions[i]);
    *why = "AMAZON_REGION is not na, eu or fe";
    return NULL;
}

char *amazon_marketplace_list(const char *ids, const char **why)
{
    char *copy = mem_strdup(ids ? ids : ""), *save = NULL, *out = mem_calloc(1, strlen(copy) + 1);
    size_t count = 0;
    *why = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t && !*why; t = strtok_r(NULL, ", ", &save)) {
        if (!amazon_text_ok(t, AMAZON_MARKETPLACE_ID_MAX, amazon_marketplace_char))
            *why = "a marketplace id is not [A-Z0-9]{1,32}";
        else if (++count > AMAZON_MARKETPLACES_MAX)
            *why = "more than 50 marketplace ids";
        else
            strcat(strcat(out, count > 1 ? "," : ""), t);
    }
    if (!*why && count == 0)
        *why = "no marketplace id";
    free(copy);
    if (*why) {
        free(out);
        return NULL;
    }
    return out;
}

const char *amazon_marketplace_currency(const char *marketplace_id)
{
    /* shared/external-apis.md §12.3's regions; the common marketplaces. */
    static const char *const table[][2] = {
        {"ATVPDKIKX0DER", "USD"}, {"A2EUQ1WTGCTBG2", "CAD"}, {"A1AM78C64UM0Y8", "MXN"},
        {"A2Q3Y263D00KWC", "BRL"}, {"A1F83G8C2ARO7P", "GBP"}, {"A1PA6795UKMFR9", "EUR"},
        {"A13V1IB3VIYZZH", "EUR"}, {"APJ6JRA9NG5V4", "EUR"},  {"A1RKKUPIHCS9HS", "EUR"},
        {"A1805IZSGTT6HS", "EUR"}, {"AMEN7PMS3EDWL", "EUR"},  {"A28R8C7NBKEWEA", "EUR"},
        {"A2NODRKZP88ZB9", "SEK"}, {"A1C3SOZRARQ6R3", "PLN"}, {"A33AVAJ2PDY3EV", "TRY"},
        {"A2VIGQ35RCS4UG", "AED"}, {"A21TJRUUN4KGV", "INR"},  {"A1VC38T7YXB528", "JPY"},
        {"A39IBJ37TRP1C6", "AUD"}, {"A19VAU5U5O7RUS", "SGD"}, {"AE08WJ6YKNBMC", "ZAR"},
        {"A17E79C6D8DWNP", "SAR"}, {"ARBP9OOSHTCHU", "EGP"},
    };
    for (size_t i = 0; marketplace_id && i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i][0], marketplace_id) == 0)
            return table[i][1];
    return NULL;
}

char *amazon_token_form(const char *refresh_token, const char *client_id,
                        const char *client_secret)
{
    char *rt = http_form_escape(refresh_token), *id = http_form_escape(client_id);
    char *secret = http_form_escape(client_secret);
    char *form = mem_printf("grant_type=refresh_token&refresh_token=%s&client_id=%s"
                            "&client_secret=%s", rt, id, secret);
    free(rt);
    free(id);
    free(secret);
    return form;
}

static int amazon_token_char(int c)
{
    return isgraph(c);
}

/* The error codes that mean the credentials themselves are refused. */
static bool amazon_grant_refused(const char *err)
{
    return err && (strcmp(err, "invalid_grant") == 0 || strcmp(err, "invalid_client") == 0 ||
                   strcmp(err, "unauthorized_client") == 0);
}

int amazon_token_parse(long status, const char *body, size_t len, struct amazon_token *out,
                       bool *invalid_grant, char *why, size_t why_size)
{
    json_t *doc = json_loadb(body ? body : "", body ? len : 0, 0, NULL);
    const char *err = json_string_value(json_object_get(doc, "error"));
    const char *access = json_string_value(json_object_get(doc, "access_token"));
    json_t *exp = json_object_get(doc, "expires_in");
    int rc = -1;
    memset(out, 0, sizeof *out);
    *invalid_grant = status >= 400 && status < 500 && amazon_grant_refused(err);
    if (status != 200)
        snprintf(why, why_size, "LWA answered HTTP %ld%s%.64s", status, err ? ": " : "",
                 err ? err : "");
    else if (!amazon_text_ok(access, AMAZON_TOKEN_MAX, amazon_token_char))
        snprintf(why, why_size, "LWA answer lacks a usable access_token");
    else if (!json_is_integer(exp) || json_integer_value(exp) <= 0 ||
             json_integer_value(exp) > 86400)
        snprintf(why, why_size, "LWA answer lacks a usable expires_in");
    else {
        out->access_token = mem_strdup(access);
        out->expires_in_s = json_integer_value(exp);
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

int64_t amazon_token_good_until(const struct amazon_token *t, int64_t issued_ms)
{
    int64_t until = issued_ms + t->expires_in_s * 1000 - AMAZON_TOKEN_EARLY_MS;
    return until > issued_ms ? until : issued_ms;
}

void amazon_token_dispose(struct amazon_token *t)
{
    free(t->access_token);
    t->access_token = NULL;
}

void amazon_updated_after(int64_t cursor_ms, int64_t now_ms, char out[32])
{
    int64_t at = cursor_ms >= 0 ? cursor_ms - AMAZON_OVERLAP_MS
                                : now_ms - (int64_t)AMAZON_BACKFILL_DAYS * 86400000;
    if (at > now_ms - AMAZON_FRESH_MS)
        at = now_ms - AMAZON_FRESH_MS;
    amazon_format_iso(at < 0 ? 0 : at, out);
}

char *amazon_orders_url(const char *base, const char *marketplaces, const char *updated_after,
                        int page_size, const char *next_token)
{
    int size = page_size < 1 ? 1 : page_size > AMAZON_PAGE_MAX ? AMAZON_PAGE_MAX : page_size;
    char *ids = http_form_escape(marketplaces), *after = http_form_escape(updated_after);
    char *next = next_token && next_token[0] ? http_form_escape(next_token) : NULL;
    char *url = mem_printf("%s/orders/v0/orders?MarketplaceIds=%s&LastUpdatedAfter=%s"
                           "&MaxResultsPerPage=%d%s%s", base, ids, after, size,
                           next ? "&NextToken=" : "", next ? next : "");
    free(ids);
    free(after);
    free(next);
    return url;
}

char *amazon_items_url(const char *base, const char *order_id, const char *next_token)
{
    if (!amazon_text_ok(order_id, AMAZON_ORDER_ID_MAX, amazon_order_id_char))
        return NULL;
    char *next = next_token && next_token[0] ? http_form_escape(next_token) : NULL;
    char *url = mem_printf("%s/orders/v0/orders/%s/orderItems%s%s", base, order_id,
                           next ? "?NextToken=" : "", next ? next : "");
    free(next);
    return url;
}

/* ---- answers ------------------------------------------------------------------------------ */

int64_t amazon_rate_wait_ms(const char *rate_limit)
{
    char *end = NULL;
    if (rate_limit == NULL || !isdigit((unsigned char)rate_limit[0]))
        return -1;
    errno = 0;
    double rate = strtod(rate_limit, &end);
    if (errno != 0 || end == rate_limit || *end != '\0' || !(rate > 0))
        return -1;
    double ms = 1000.0 / rate;
    if (ms < AMAZON_WAIT_MIN_MS)
        return AMAZON_WAIT_MIN_MS;
    return ms > AMAZON_WAIT_MAX_MS ? AMAZON_WAIT_MAX_MS : (int64_t)(ms + 0.999);
}

/* "code: message" of the first entry of {"errors":[…]}, into out. */
static void amazon_error_text(const char *body, size_t len, char *out, size_t size)
{
    json_t *doc = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
    const char *code = json_string_value(json_object_get(first, "code"));
    const char *msg = json_string_value(json_object_get(first, "message"));
    out[0] = '\0';
    if (code || msg)
        snprintf(out, size, "%.64s%s%.160s", code ? code : "", code && msg ? ": " : "",
                 msg ? msg : "");
    json_decref(doc);
}

/* The verdict of a status (429's wait is the caller's). */
static enum amazon_verdict amazon_verdict_of(long status)
{
    if (status >= 200 && status < 300)
        return AMAZON_OK;
    if (status == 429)
        return AMAZON_WAIT;
    if (status == 401 || status == 403)
        return AMAZON_UNAUTHORISED;
    if (status == 0 || status == 408 || status >= 500)
        return AMAZON_RETRY;
    return AMAZON_REJECTED;
}

void amazon_judge(enum amazon_operation op, long status, const char *rate_limit,
                  const char *body, size_t len, struct amazon_outcome *out)
{
    char detail[AMAZON_WHY_MAX];
    memset(out, 0, sizeof *out);
    out->status = status;
    out->verdict = amazon_verdict_of(status);
    if (out->verdict == AMAZON_OK)
        return;
    if (out->verdict == AMAZON_WAIT && (out->wait_ms = amazon_rate_wait_ms(rate_limit)) < 0)
        out->wait_ms = (int64_t)(1000.0 / amazon_default_rate(op) + 0.999);
    amazon_error_text(body, len, detail, sizeof detail);
    snprintf(out->message, sizeof out->message, "%s answered HTTP %ld%s%s",
             op == AMAZON_GET_ORDERS ? "getOrders" : "getOrderItems", status,
             detail[0] ? ": " : "", detail);
}

/* ---- dates ---------------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t amazon_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s into *v; false when any is not a digit. */
static bool amazon_digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

/* The zone at s ("Z" or "±HH:MM", then the end) → offset minutes. */
static bool amazon_zone(const char *s, int *minutes)
{
    int h, m;
    if (s[0] == 'Z')
        return *minutes = 0, s[1] == '\0';
    if ((s[0] != '+' && s[0] != '-') || !amazon_digits(s + 1, 2, &h) || s[3] != ':' ||
        !amazon_digits(s + 4, 2, &m) || s[6] != '\0' || h > 23 || m > 59)
        return false;
    *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

int amazon_iso_ms(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, sec, frac = 0, zone;
    size_t n = s ? strlen(s) : 0;
    if (n < 20 || !amazon_digits(s, 4, &y) || s[4] != '-' || !amazon_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !amazon_digits(s + 8, 2, &d) || s[10] != 'T' ||
        !amazon_digits(s + 11, 2, &h) || s[13] != ':' || !amazon_digits(s + 14, 2, &mi) ||
        s[16] != ':' || !amazon_digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        size_t k = strspn(++p, "0123456789");
        if (k == 0 || k > 9)
            return -1;
        for (size_t i = 0; i < 3; i++)
            frac = frac * 10 + (i < k ? p[i] - '0' : 0);
        p += k;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        !amazon_zone(p, &zone))
        return -1;
    int64_t secs = amazon_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - zone * 60;
    *ms = secs * 1000 + frac;
    return 0;
}

/* epoch ms → UTC text, with milliseconds when with_ms. */
static void amazon_format(int64_t ms, bool with_ms, char out[32])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000, days = secs / 86400;
    int64_t rem = secs - days * 86400;
    if (rem < 0)
        rem += 86400, days--;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1), m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    int n = snprintf(out, 32, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
                     (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
    if (with_ms)
        snprintf(out + n, (size_t)(32 - n), ".%03dZ", (int)(ms - secs * 1000));
    else
        snprintf(out + n, (size_t)(32 - n), "Z");
}

void amazon_format_iso(int64_t ms, char out[32])
{
    amazon_format(ms, false, out);
}

/* ---- mapping ------------------------------------------------------------------------------------ */

/* Where a page's mapping stands: the first failure wins. */
struct amazon_map {
    const char *what; /* "order", "item" */
    size_t index;
    char *why;
    size_t why_size;
    bool failed;
};

static bool amazon_fail(struct amazon_map *m, const char *field, const char *problem)
{
    if (!m->failed)
        snprintf(m->why, m->why_size, "%s %zu: %s %s", m->what, m->index, field, problem);
    m->failed = true;
    return false;
}

/* QuantityOrdered out of 0..AMAZON_QUANTITY_MAX (the message names the range). */
static bool amazon_quantity_fail(struct amazon_map *m)
{
    char problem[64];
    snprintf(problem, sizeof problem, "is not a whole number 0..%d", AMAZON_QUANTITY_MAX);
    return amazon_fail(m, "QuantityOrdered", problem);
}

/* A required (or optional: NULL when absent) non-empty string member. */
static const char *amazon_str(struct amazon_map *m, const json_t *o, const char *key,
                              bool required)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);
    if ((v == NULL || json_is_null(v)) && !required)
        return NULL;
    if (s == NULL || s[0] == '\0' || strlen(s) > 1024)
        return amazon_fail(m, key, v ? "is not a usable string" : "is missing"), NULL;
    return s;
}

/* A date member → UTC text with ms into out, and its ms. */
static bool amazon_date(struct amazon_map *m, const json_t *o, const char *key, char out[32],
                        int64_t *ms)
{
    const char *s = amazon_str(m, o, key, true);
    if (s == NULL)
        return false;
    if (amazon_iso_ms(s, ms) != 0)
        return amazon_fail(m, key, "is not an ISO 8601 date");
    amazon_format(*ms, true, out);
    return true;
}

/* A Money member {"CurrencyCode","Amount"}; absent → both NULL and true. */
static bool amazon_money(struct amazon_map *m, const json_t *o, const char *key,
                         const char **currency, const char **amount)
{
    json_t *v = json_object_get(o, key);
    *currency = *amount = NULL;
    if (v == NULL || json_is_null(v))
        return true;
    *currency = json_string_value(json_object_get(v, "CurrencyCode"));
    *amount = json_string_value(json_object_get(v, "Amount"));
    if (!json_is_object(v) || !amazon_currency_ok(*currency))
        return amazon_fail(m, key, "has no ISO 4217 CurrencyCode");
    if (!amazon_amount_ok(*amount))
        return amazon_fail(m, key, "Amount is not a decimal string");
    return true;
}

/* Amazon's OrderStatus → ours. */
static const char *amazon_status(const char *s)
{
    static const char *const confirmed[] = {"Unshipped", "PartiallyShipped", "Shipped",
                                            "InvoiceUnconfirmed"};
    if (strcmp(s, "Canceled") == 0 || strcmp(s, "Unfulfillable") == 0)
        return "cancelled";
    for (size_t i = 0; i < sizeof confirmed / sizeof confirmed[0]; i++)
        if (strcmp(s, confirmed[i]) == 0)
            return "confirmed";
    return "pending";
}

/* The order's marketplace (validated) or the caller's account. */
static const char *amazon_order_account(struct amazon_map *m, const json_t *o,
                                        const char *account)
{
    const char *id = amazon_str(m, o, "MarketplaceId", false);
    if (id && !amazon_text_ok(id, AMAZON_MARKETPLACE_ID_MAX, amazon_marketplace_char))
        return amazon_fail(m, "MarketplaceId", "is not [A-Z0-9]{1,32}"), NULL;
    if (id == NULL && (account == NULL || account[0] == '\0'))
        return amazon_fail(m, "MarketplaceId", "is missing"), NULL;
    return id ? id : account;
}

static json_t *amazon_order_row(const json_t *o, const char *account, struct amazon_map *m,
                                int64_t *updated_ms)
{
    char placed[32], updated[32];
    int64_t placed_ms;
    const char *currency, *amount;
    if (!json_is_object(o))
        return amazon_fail(m, "record", "is not an object"), NULL;
    const char *id = amazon_str(m, o, "AmazonOrderId", true);
    const char *status = amazon_str(m, o, "OrderStatus", true);
    const char *acct = amazon_order_account(m, o, account);
    if (m->failed || !amazon_date(m, o, "PurchaseDate", placed, &placed_ms) ||
        !amazon_date(m, o, "LastUpdateDate", updated, updated_ms) ||
        !amazon_money(m, o, "OrderTotal", &currency, &amount))
        return NULL;
    if (!amazon_text_ok(id, AMAZON_ORDER_ID_MAX, amazon_order_id_char))
        return amazon_fail(m, "AmazonOrderId", "is not an order id"), NULL;
    if (currency == NULL && (currency = amazon_marketplace_currency(acct)) == NULL)
        return amazon_fail(m, "OrderTotal", "is missing and the marketplace's currency is unknown"),
               NULL;
    const char *ours = amazon_status(status);
    json_t *row = json_pack("{ss ss ss ss ss ss ss ss sO}", "external_id", id, "account", acct,
                            "status", ours, "external_status", status, "currency", currency,
                            "total", amount ? amount : "0", "placed_at", placed, "updated_at",
                            updated, "raw", o);
    json_object_set_new(row, "cancelled_at",
                        strcmp(ours, "cancelled") == 0 ? json_string(updated) : json_null());
    return row;
}

static json_t *amazon_item_row(const json_t *it, int line_no, struct amazon_map *m)
{
    const char *currency, *amount;
    if (!json_is_object(it))
        return amazon_fail(m, "record", "is not an object"), NULL;
    const char *asin = amazon_str(m, it, "ASIN", true);
    const char *item_id = amazon_str(m, it, "OrderItemId", true);
    const char *sku = amazon_str(m, it, "SellerSKU", false);
    const char *title = amazon_str(m, it, "Title", false);
    json_t *qty = json_object_get(it, "QuantityOrdered");
    if (m->failed || !amazon_money(m, it, "ItemPrice", &currency, &amount))
        return NULL;
    if (!json_is_integer(qty) || json_integer_value(qty) < 0 ||
        json_integer_value(qty) > AMAZON_QUANTITY_MAX)
        return amazon_quantity_fail(m), NULL;
    json_t *row = json_pack("{si ss ss ss ss sI}", "line_no", line_no, "sku", sku ? sku : "",
                            "asin", asin, "external_line_id", item_id, "name",
                            title ? title : asin, "quantity", json_integer_value(qty));
    json_object_set_new(row, "line_total", amount ? json_string(amount) : json_null());
    json_object_set_new(row, "currency", currency ? json_string(currency) : json_null());
    return row;
}

/* The "payload" object of a body, or NULL and why. */
static json_t *amazon_payload(const char *body, size_t len, json_t **doc, char *why,
                              size_t why_size)
{
    json_error_t jerr;
    *doc = json_loadb(body ? body : "", body ? len : 0, 0, &jerr);
    json_t *payload = json_object_get(*doc, "payload");
    if (*doc == NULL)
        snprintf(why, why_size, "malformed JSON: %s", jerr.text);
    else if (!json_is_object(payload))
        snprintf(why, why_size, "payload is missing or not an object");
    return json_is_object(payload) ? payload : NULL;
}

/* The payload's NextToken: NULL when absent or empty; false when unusable. */
static bool amazon_next_token(const json_t *payload, char **out, char *why, size_t why_size)
{
    json_t *v = json_object_get(payload, "NextToken");
    const char *s = json_string_value(v);
    *out = NULL;
    if (v == NULL || json_is_null(v) || (s && s[0] == '\0'))
        return true;
    if (s == NULL || strlen(s) > AMAZON_NEXT_TOKEN_MAX) {
        snprintf(why, why_size, "NextToken is not a usable string");
        return false;
    }
    *out = mem_strdup(s);
    return true;
}

/* The payload's array `key`, ≤ max entries; NULL and why otherwise. */
static json_t *amazon_list(const json_t *payload, const char *key, size_t max, char *why,
                           size_t why_size)
{
    json_t *list = json_object_get(payload, key);
    if (!json_is_array(list))
        snprintf(why, why_size, "%s is missing or not an array", key);
    else if (json_array_size(list) > max)
        snprintf(why, why_size, "%s holds more than %zu records", key, max);
    else
        return list;
    return NULL;
}

static bool amazon_order_rows(const json_t *orders, const char *account,
                              struct amazon_orders_page *out, struct amazon_map *m)
{
    size_t i;
    json_t *o;
    json_array_foreach(orders, i, o) {
        int64_t updated_ms = -1;
        m->index = i;
        json_t *row = amazon_order_row(o, account, m, &updated_ms);
        if (row == NULL)
            return false;
        json_array_append_new(out->rows, row);
        if (updated_ms > out->max_updated_ms)
            out->max_updated_ms = updated_ms;
    }
    return true;
}

int amazon_orders_page_parse(const char *body, size_t len, const char *account,
                             struct amazon_orders_page *out, char *why, size_t why_size)
{
    json_t *doc;
    struct amazon_map m = {"order", 0, why, why_size, false};
    memset(out, 0, sizeof *out);
    out->max_updated_ms = out->updated_before_ms = -1;
    out->rows = json_array();
    json_t *payload = amazon_payload(body, len, &doc, why, why_size);
    json_t *orders = payload ? amazon_list(payload, "Orders", AMAZON_PAGE_MAX, why, why_size)
                             : NULL;
    const char *before = json_string_value(json_object_get(payload, "LastUpdatedBefore"));
    bool ok = orders && amazon_next_token(payload, &out->next_token, why, why_size) &&
              amazon_order_rows(orders, account, out, &m);
    if (ok && before && amazon_iso_ms(before, &out->updated_before_ms) != 0)
        out->updated_before_ms = -1;
    json_decref(doc);
    if (!ok)
        amazon_orders_page_dispose(out);
    return ok ? 0 : -1;
}

void amazon_orders_page_dispose(struct amazon_orders_page *p)
{
    json_decref(p->rows);
    free(p->next_token);
    p->rows = NULL;
    p->next_token = NULL;
}

static bool amazon_item_rows(const json_t *items, int first_line_no, json_t *lines,
                             struct amazon_map *m)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        m->index = i;
        json_t *row = amazon_item_row(it, first_line_no + (int)i, m);
        if (row == NULL)
            return false;
        json_array_append_new(lines, row);
    }
    return true;
}

/* The payload's AmazonOrderId into out, checked against expect. */
static bool amazon_items_order(const json_t *payload, const char *expect, char *out, char *why,
                               size_t why_size)
{
    const char *id = json_string_value(json_object_get(payload, "AmazonOrderId"));
    if (!amazon_text_ok(id, AMAZON_ORDER_ID_MAX, amazon_order_id_char))
        return snprintf(why, why_size, "AmazonOrderId is missing or malformed"), false;
    if (expect && strcmp(id, expect) != 0)
        return snprintf(why, why_size, "AmazonOrderId is not the order asked for"), false;
    snprintf(out, AMAZON_ORDER_ID_MAX + 1, "%s", id);
    return true;
}

int amazon_items_page_parse(const char *body, size_t len, const char *expect_order_id,
                            int first_line_no, struct amazon_items_page *out, char *why,
                            size_t why_size)
{
    json_t *doc;
    struct amazon_map m = {"item", 0, why, why_size, false};
    memset(out, 0, sizeof *out);
    if (first_line_no < 1 || first_line_no > AMAZON_LINE_NO_MAX)
        return snprintf(why, why_size, "first line number out of range"), -1;
    out->lines = json_array();
    json_t *payload = amazon_payload(body, len, &doc, why, why_size);
    json_t *items = payload ? amazon_list(payload, "OrderItems", AMAZON_ITEMS_MAX, why, why_size)
                            : NULL;
    bool ok = items && amazon_items_order(payload, expect_order_id, out->order_id, why, why_size) &&
              amazon_next_token(payload, &out->next_token, why, why_size) &&
              amazon_item_rows(items, first_line_no, out->lines, &m);
    json_decref(doc);
    if (!ok)
        amazon_items_page_dispose(out);
    return ok ? 0 : -1;
}

void amazon_items_page_dispose(struct amazon_items_page *p)
{
    json_decref(p->lines);
    free(p->next_token);
    p->lines = NULL;
    p->next_token = NULL;
}

/* ---- cursor ------------------------------------------------------------------------------------- */

int64_t amazon_cursor_advance(int64_t cursor_ms, const struct amazon_orders_page *page,
                              bool last_page, int64_t now_ms)
{
    int64_t mark = cursor_ms;
    if (page->max_updated_ms > mark && page->max_updated_ms <= now_ms)
        mark = page->max_updated_ms;
    if (last_page && page->updated_before_ms > mark && page->updated_before_ms <= now_ms)
        mark = page->updated_before_ms;
    return mark;
}
