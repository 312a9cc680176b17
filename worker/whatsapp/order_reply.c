/*
 * worker/whatsapp/order_reply.c: WhatsApp replies built from stored outcomes
 * (order_reply.h). Layout: a length-bounded text builder, field accessors
 * that never return NULL, then one function per command.
 */
#include "worker/whatsapp/order_reply.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "worker/whatsapp/order_text.h"
#include "worker/whatsapp/wa_text.h"

enum {
    REPLY_LINE_MAX = 1024,  /* one formatted line; every part of it is cut first */
    REPLY_MORE_UNITS = 24,  /* room kept for "…and N more" */
    REPLY_SKU_CP = ORDER_TEXT_SKU_MAX,
    REPLY_FIELD_CP = 24,    /* money, statuses, dates */
};

static const char reply_help_text[] =
    "You can send:\n"
    "ORDER 2 SKU-1, 1 SKU-2 - place an order (one item per line works too)\n"
    "STATUS - your latest orders; STATUS 1001 - one order\n"
    "CANCEL 1001 - cancel a pending order\n"
    "CATALOG - products, prices and stock (CATALOG 2 for the next page)\n"
    "HELP - this message";

/* ---- a bounded builder -------------------------------------------------------- */

struct reply {
    struct buf b;
    size_t units; /* UTF-16 code units in b */
};

static void reply_init(struct reply *r)
{
    buf_init(&r->b, ORDER_REPLY_MAX * 4 + 16);
    r->units = 0;
}

/*
 * Appends line + "\n" when the text would then still leave `reserve` units
 * free within ORDER_REPLY_MAX; returns 0, or -1 (nothing appended).
 */
static int reply_put(struct reply *r, size_t reserve, const char *line)
{
    size_t u = wa_text_units(line, strlen(line)) + 1;
    if (r->units + u + reserve > ORDER_REPLY_MAX)
        return -1;
    if (buf_puts(&r->b, line) != 0 || buf_putc(&r->b, '\n') != 0)
        return -1;
    r->units += u;
    return 0;
}

static int reply_printf(struct reply *r, size_t reserve, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reply_printf(struct reply *r, size_t reserve, const char *fmt, ...)
{
    char line[REPLY_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return reply_put(r, reserve, line);
}

/* Units the given text takes as lines of a reply (one "\n" per line). */
static size_t reply_units_of(const char *text)
{
    return wa_text_units(text, strlen(text)) + 1;
}

/* The text without its last "\n"; the builder is emptied. Caller frees. */
static char *reply_finish(struct reply *r)
{
    if (r->b.len > 0 && r->b.data[r->b.len - 1] == '\n')
        r->b.data[--r->b.len] = '\0';
    return buf_steal(&r->b);
}

typedef void (*reply_item_fn)(char *line, size_t size, const json_t *item);

/*
 * Appends one line per element of `items` (formatted by fmt) while they fit
 * and `reserve` units stay free; the rest becomes "…and N more".
 */
static void reply_list(struct reply *r, size_t reserve, const json_t *items, reply_item_fn fmt)
{
    size_t n = json_array_size(items);
    char line[REPLY_LINE_MAX];
    for (size_t i = 0; i < n; i++) {
        fmt(line, sizeof line, json_array_get(items, i));
        size_t keep = reserve + (i + 1 < n ? REPLY_MORE_UNITS : 0);
        if (reply_put(r, keep, line) != 0) {
            reply_printf(r, reserve, "\xE2\x80\xA6" "and %zu more", n - i);
            return;
        }
    }
}

/* ---- fields -------------------------------------------------------------------- */

/* A string member echoed safely (cut to max_cp code points), "" when absent. */
static const char *reply_str(const json_t *o, const char *key, size_t max_cp, char *dst,
                             size_t size)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL) {
        dst[0] = '\0';
        return dst;
    }
    wa_text_echo(dst, size, s, strlen(s), max_cp);
    return dst;
}

static long long reply_int(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static bool reply_bool(const json_t *o, const char *key)
{
    return json_is_true(json_object_get(o, key));
}

/* Buffers for echoed fields, sized for their cut. */
#define REPLY_SKU_BUF WA_TEXT_ECHO_SIZE(REPLY_SKU_CP)
#define REPLY_NAME_BUF WA_TEXT_ECHO_SIZE(ORDER_REPLY_NAME_CP)
#define REPLY_FIELD_BUF WA_TEXT_ECHO_SIZE(REPLY_FIELD_CP)

/* ---- ORDER ------------------------------------------------------------------------ */

static void reply_order_line(char *line, size_t size, const json_t *l)
{
    char sku[REPLY_SKU_BUF], name[REPLY_NAME_BUF], price[REPLY_FIELD_BUF], total[REPLY_FIELD_BUF];
    snprintf(line, size, "%lld x %s %s @ %s = %s", reply_int(l, "qty"),
             reply_str(l, "sku", REPLY_SKU_CP, sku, sizeof sku),
             reply_str(l, "name", ORDER_REPLY_NAME_CP, name, sizeof name),
             reply_str(l, "unit_price", REPLY_FIELD_CP, price, sizeof price),
             reply_str(l, "line_total", REPLY_FIELD_CP, total, sizeof total));
}

static void reply_order_placed(struct reply *r, const json_t *order)
{
    char total[REPLY_FIELD_BUF], cur[REPLY_FIELD_BUF], status[REPLY_FIELD_BUF], tail[256];
    long long number = reply_int(order, "number");
    snprintf(tail, sizeof tail,
             "Total %s %s\nReply STATUS %lld to follow it or CANCEL %lld to cancel it.",
             reply_str(order, "total", REPLY_FIELD_CP, total, sizeof total),
             reply_str(order, "currency", REPLY_FIELD_CP, cur, sizeof cur), number, number);
    reply_printf(r, 0, "Thank you! Order %lld is placed (%s):", number,
                 reply_str(order, "status", REPLY_FIELD_CP, status, sizeof status));
    reply_list(r, reply_units_of(tail), json_object_get(order, "lines"), reply_order_line);
    reply_put(r, 0, tail);
}

static void reply_problem_line(char *line, size_t size, const json_t *p)
{
    char sku[REPLY_SKU_BUF], a[REPLY_FIELD_BUF], b[REPLY_FIELD_BUF];
    const char *what = json_string_value(json_object_get(p, "problem"));
    reply_str(p, "sku", REPLY_SKU_CP, sku, sizeof sku);
    if (what == NULL)
        what = "";
    if (strcmp(what, "unknown_sku") == 0)
        snprintf(line, size, "- %s: no such product", sku);
    else if (strcmp(what, "inactive") == 0)
        snprintf(line, size, "- %s: no longer sold", sku);
    else if (strcmp(what, "quantity") == 0)
        snprintf(line, size, "- %s: quantity %s is not allowed (a whole number from %d to %d)",
                 sku, reply_str(p, "qty_text", REPLY_FIELD_CP + 2, a, sizeof a),
                 ORDER_TEXT_QTY_MIN, ORDER_TEXT_QTY_MAX);
    else if (strcmp(what, "stock") == 0)
        snprintf(line, size, "- %s: not enough stock (you asked for %lld, %lld available)", sku,
                 reply_int(p, "requested"), reply_int(p, "available"));
    else if (strcmp(what, "duplicate") == 0)
        snprintf(line, size, "- %s: listed twice", sku);
    else if (strcmp(what, "currency") == 0)
        snprintf(line, size, "- %s: priced in %s but the order is in %s; order it separately",
                 sku, reply_str(p, "currency", REPLY_FIELD_CP, a, sizeof a),
                 reply_str(p, "order_currency", REPLY_FIELD_CP, b, sizeof b));
    else if (strcmp(what, "unreadable") == 0) {
        char text[WA_TEXT_ECHO_SIZE(ORDER_TEXT_ECHO_CP)];
        snprintf(line, size, "- \"%s\": not an item; write e.g. 2 SKU-1",
                 reply_str(p, "text", ORDER_TEXT_ECHO_CP, text, sizeof text));
    } else if (strcmp(what, "no_items") == 0)
        snprintf(line, size, "- no items; write e.g. ORDER 2 SKU-1, 1 SKU-2");
    else if (strcmp(what, "too_many_items") == 0)
        snprintf(line, size, "- too many items: at most %lld per order", reply_int(p, "max"));
    else if (strcmp(what, "total_too_large") == 0)
        snprintf(line, size, "- the order total is too large");
    else if (strcmp(what, "too_many_units") == 0)
        snprintf(line, size,
                 "- too many units: you asked for %lld in all, at most %lld per order; "
                 "order fewer",
                 reply_int(p, "requested"), reply_int(p, "max"));
    else
        snprintf(line, size, "- this order cannot be placed");
}

/* The first problem when it is too_many_pending (then the only one), else NULL. */
static const json_t *reply_pending_limit(const json_t *o)
{
    const json_t *p = json_array_get(json_object_get(o, "problems"), 0);
    const char *what = json_string_value(json_object_get(p, "problem"));
    return what && strcmp(what, "too_many_pending") == 0 ? p : NULL;
}

static void reply_number_item(char *line, size_t size, const json_t *n)
{
    snprintf(line, size, "Order %lld", (long long)json_integer_value(n));
}

/* The open-orders limit: which limit, the orders that count, and what to do. */
static void reply_too_many_pending(struct reply *r, const json_t *p)
{
    static const char tail[] =
        "Nothing was ordered. Cancel one with CANCEL <number>, or wait until we confirm "
        "one, then send your order again. Reply STATUS to see your orders.";
    reply_printf(r, 0, "Sorry, you can have at most %lld open orders at a time, and you have %lld:",
                 reply_int(p, "max"), reply_int(p, "pending"));
    reply_list(r, reply_units_of(tail), json_object_get(p, "numbers"), reply_number_item);
    reply_put(r, 0, tail);
}

static void reply_order(struct reply *r, const json_t *o)
{
    static const char tail[] = "Nothing was ordered. Reply CATALOG to see products and stock.";
    const json_t *limit = reply_pending_limit(o);
    if (reply_bool(o, "ok")) {
        reply_order_placed(r, json_object_get(o, "order"));
        return;
    }
    if (limit != NULL) {
        reply_too_many_pending(r, limit);
        return;
    }
    reply_put(r, 0, "Sorry, that order could not be placed:");
    reply_list(r, reply_units_of(tail), json_object_get(o, "problems"), reply_problem_line);
    reply_put(r, 0, tail);
}

/* ---- STATUS and CANCEL ------------------------------------------------------------- */

static void reply_order_summary(char *line, size_t size, const json_t *order)
{
    char status[REPLY_FIELD_BUF], total[REPLY_FIELD_BUF], cur[REPLY_FIELD_BUF],
        date[REPLY_FIELD_BUF];
    reply_str(order, "created_at", REPLY_FIELD_CP, date, sizeof date);
    date[strspn(date, "0123456789-")] = '\0'; /* the day of an ISO 8601 time */
    snprintf(line, size, "Order %lld: %s, %s %s, placed %s", reply_int(order, "number"),
             reply_str(order, "status", REPLY_FIELD_CP, status, sizeof status),
             reply_str(order, "total", REPLY_FIELD_CP, total, sizeof total),
             reply_str(order, "currency", REPLY_FIELD_CP, cur, sizeof cur), date);
}

static void reply_line_short(char *line, size_t size, const json_t *l)
{
    char sku[REPLY_SKU_BUF], name[REPLY_NAME_BUF];
    snprintf(line, size, "%lld x %s %s", reply_int(l, "qty"),
             reply_str(l, "sku", REPLY_SKU_CP, sku, sizeof sku),
             reply_str(l, "name", ORDER_REPLY_NAME_CP, name, sizeof name));
}

/* "12ab" is not an order number / Which order? — the parser's problems. */
static bool reply_number_problem(struct reply *r, const json_t *o, const char *cmd)
{
    char text[WA_TEXT_ECHO_SIZE(ORDER_TEXT_ECHO_CP)];
    const char *problem = json_string_value(json_object_get(o, "problem"));
    if (problem && strcmp(problem, "bad_number") == 0) {
        reply_printf(r, 0, "\"%s\" is not an order number. Reply %s 1001 with your order's number.",
                     reply_str(o, "text", ORDER_TEXT_ECHO_CP, text, sizeof text), cmd);
        return true;
    }
    if (problem && strcmp(problem, "no_number") == 0) {
        reply_printf(r, 0, "Which order? Reply %s with its number, e.g. %s 1001.", cmd, cmd);
        return true;
    }
    if (problem && strcmp(problem, "not_found") == 0) {
        reply_printf(r, 0, "We found no order %lld of yours. Reply STATUS to see your orders.",
                     reply_int(o, "number"));
        return true;
    }
    return false;
}

static void reply_status(struct reply *r, const json_t *o)
{
    char line[REPLY_LINE_MAX];
    const json_t *orders = json_object_get(o, "orders");
    if (reply_number_problem(r, o, "STATUS"))
        return;
    if (json_array_size(orders) == 0) {
        reply_put(r, 0, "You have no orders yet. Send e.g. ORDER 2 SKU-1 to place one.");
        return;
    }
    if (json_object_get(o, "number") != NULL) {
        const json_t *order = json_array_get(orders, 0);
        reply_order_summary(line, sizeof line, order);
        reply_put(r, 0, line);
        reply_list(r, 0, json_object_get(order, "lines"), reply_line_short);
        return;
    }
    static const char tail[] = "Reply STATUS <number> for an order's lines.";
    reply_put(r, 0, "Your latest orders:");
    reply_list(r, reply_units_of(tail), orders, reply_order_summary);
    reply_put(r, 0, tail);
}

static void reply_cancel(struct reply *r, const json_t *o)
{
    char status[REPLY_FIELD_BUF];
    const json_t *order = json_object_get(o, "order");
    const char *problem = json_string_value(json_object_get(o, "problem"));
    long long number = reply_int(o, "number");
    if (reply_number_problem(r, o, "CANCEL"))
        return;
    if (reply_bool(o, "ok"))
        reply_printf(r, 0, "Order %lld is cancelled. Its items are back in stock.", number);
    else if (problem && strcmp(problem, "already_cancelled") == 0)
        reply_printf(r, 0, "Order %lld was already cancelled.", number);
    else if (problem && strcmp(problem, "not_pending") == 0)
        reply_printf(r, 0, "Order %lld is %s and can no longer be cancelled here; please contact us.",
                     number, reply_str(order, "status", REPLY_FIELD_CP, status, sizeof status));
    else
        reply_printf(r, 0, "Order %lld could not be cancelled.", number);
}

/* ---- CATALOG ------------------------------------------------------------------------- */

static void reply_product_line(char *line, size_t size, const json_t *p)
{
    char sku[REPLY_SKU_BUF], name[REPLY_NAME_BUF], price[REPLY_FIELD_BUF], cur[REPLY_FIELD_BUF];
    char stock[48];
    long long available = reply_int(p, "available");
    if (available > 0)
        snprintf(stock, sizeof stock, "%lld in stock", available);
    else
        snprintf(stock, sizeof stock, "out of stock");
    snprintf(line, size, "%s - %s - %s %s - %s",
             reply_str(p, "sku", REPLY_SKU_CP, sku, sizeof sku),
             reply_str(p, "name", ORDER_REPLY_NAME_CP, name, sizeof name),
             reply_str(p, "unit_price", REPLY_FIELD_CP, price, sizeof price),
             reply_str(p, "currency", REPLY_FIELD_CP, cur, sizeof cur), stock);
}

static void reply_catalog(struct reply *r, const json_t *o)
{
    long long page = reply_int(o, "page"), pages = reply_int(o, "pages");
    const json_t *products = json_object_get(o, "products");
    char tail[160];
    if (reply_int(o, "total") == 0) {
        reply_put(r, 0, "No products are available right now.");
        return;
    }
    if (json_array_size(products) == 0) {
        reply_printf(r, 0, "There is no page %lld; the catalog has %lld. Reply CATALOG for page 1.",
                     page, pages);
        return;
    }
    if (page < pages)
        snprintf(tail, sizeof tail, "Order with e.g. ORDER 2 SKU-1. Reply CATALOG %lld for more.",
                 page + 1);
    else
        snprintf(tail, sizeof tail, "Order with e.g. ORDER 2 SKU-1.");
    reply_printf(r, 0, "Catalog, page %lld of %lld:", page, pages);
    reply_list(r, reply_units_of(tail), products, reply_product_line);
    reply_put(r, 0, tail);
}

/* ---- the reply ------------------------------------------------------------------------ */

const char *order_reply_help(void)
{
    return reply_help_text;
}

char *order_reply_expired(const json_t *order, long long ttl_hours)
{
    struct reply r;
    long long number = reply_int(order, "number");
    static const char tail[] = "Send ORDER again to place a new one, or reply HELP.";
    reply_init(&r);
    reply_printf(&r, 0,
                 "Order %lld was cancelled: it was still pending %lld hours after it was "
                 "placed. Its items are back in stock:",
                 number, ttl_hours);
    reply_list(&r, reply_units_of(tail), json_object_get(order, "lines"), reply_line_short);
    reply_put(&r, 0, tail);
    return reply_finish(&r);
}

char *order_reply_build(const json_t *outcome)
{
    struct reply r;
    const char *cmd = json_string_value(json_object_get(outcome, "cmd"));
    reply_init(&r);
    if (cmd == NULL)
        cmd = "unknown";
    if (strcmp(cmd, "order") == 0)
        reply_order(&r, outcome);
    else if (strcmp(cmd, "status") == 0)
        reply_status(&r, outcome);
    else if (strcmp(cmd, "cancel") == 0)
        reply_cancel(&r, outcome);
    else if (strcmp(cmd, "catalog") == 0)
        reply_catalog(&r, outcome);
    else {
        if (strcmp(cmd, "empty") == 0)
            reply_put(&r, 0, reply_bool(outcome, "media") ? "I can only read text messages."
                                                           : "Your message was empty.");
        else if (strcmp(cmd, "help") != 0)
            reply_put(&r, 0, "Sorry, I did not understand that.");
        reply_put(&r, 0, reply_help_text);
    }
    return reply_finish(&r);
}
