/*
 * worker/whatsapp/order_text.c: parsing a WhatsApp message into a command
 * (order_text.h has the grammar).
 *
 * The body is first normalised into a private buffer — white space to ' ',
 * line and item separators to '\n' and ',', Unicode dashes to '-', '×' to
 * 'x', invalid UTF-8 to U+FFFD — so the grammar below deals with ASCII
 * punctuation only. The buffer is freed before order_text_parse returns.
 */
#include "worker/whatsapp/order_text.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

/* A token or segment: a byte range of the normalised text. */
struct span {
    const char *p;
    size_t n;
};

enum { ORDER_TEXT_SEGMENT_TOKENS = 4 }; /* the longest item form has 3 */

static const long long order_text_qty_saturation = 1000000000000000000LL;

/* ---- normalising -------------------------------------------------------------- */

/* The ASCII character a code point stands for here, or 0 to keep it as is. */
static char order_text_fold(uint32_t cp)
{
    if (cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x85)
        return '\n';
    if (cp == '\n')
        return '\n';
    if (wa_text_is_space(cp))
        return ' ';
    switch (cp) {
    case ';': case 0xFF0C: case 0x3001: case 0xFF1B:
        return ',';
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2015:
    case 0x2212: case 0xFE63: case 0xFF0D:
        return '-';
    case 0xD7: case 0x2715: case 0x2716:
        return 'x';
    default:
        return 0;
    }
}

/* Normalised copy of body (see the file comment); caller frees. */
static char *order_text_normalise(const char *body, size_t len, size_t *outlen)
{
    char *out = mem_alloc(len * 3 + 1); /* U+FFFD is 3 bytes for 1 invalid byte */
    size_t o = 0;
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        size_t n = wa_text_decode(body + i, len - i, &cp);
        char f = order_text_fold(cp);
        if (f != 0)
            out[o++] = f;
        else if (cp == 0)
            out[o++] = ' ';
        else
            o += wa_text_encode(cp, out + o);
        i += n;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---- tokens -------------------------------------------------------------------- */

static bool order_text_blank(char c)
{
    return c == ' ' || c == '\n';
}

/* Splits s into tokens separated by ' ' and '\n'; returns how many (≤ max),
 * *more set when there were more. */
static size_t order_text_tokens(struct span s, struct span *tok, size_t max, bool *more)
{
    size_t n = 0;
    *more = false;
    for (size_t i = 0; i < s.n;) {
        while (i < s.n && order_text_blank(s.p[i]))
            i++;
        size_t start = i;
        while (i < s.n && !order_text_blank(s.p[i]))
            i++;
        if (i == start)
            break;
        if (n == max) {
            *more = true;
            break;
        }
        tok[n++] = (struct span){s.p + start, i - start};
    }
    return n;
}

static bool order_text_has_alnum(struct span t)
{
    for (size_t i = 0; i < t.n; i++)
        if (isalnum((unsigned char)t.p[i]))
            return true;
    return false;
}

static bool order_text_word_is(struct span t, const char *word)
{
    size_t n = t.n;
    if (n > 0 && t.p[n - 1] == ':')
        n--;
    return n == strlen(word) && strncasecmp(t.p, word, n) == 0;
}

static bool order_text_all_digits(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    return true;
}

/* [+-]digits */
static bool order_text_is_int(struct span t)
{
    size_t s = (t.n > 0 && (t.p[0] == '+' || t.p[0] == '-')) ? 1 : 0;
    return order_text_all_digits(t.p + s, t.n - s);
}

/* A number with a decimal point or comma: a quantity that is not whole. */
static bool order_text_is_decimal(struct span t)
{
    size_t s = (t.n > 0 && (t.p[0] == '+' || t.p[0] == '-')) ? 1 : 0;
    bool dot = false, digit = false;
    for (size_t i = s; i < t.n; i++) {
        if (t.p[i] == '.' && !dot)
            dot = true;
        else if (isdigit((unsigned char)t.p[i]))
            digit = true;
        else
            return false;
    }
    return dot && digit;
}

static bool order_text_is_x(struct span t)
{
    return t.n == 1 && (t.p[0] == 'x' || t.p[0] == 'X');
}

static bool order_text_is_sku(struct span t)
{
    if (t.n == 0 || t.n > ORDER_TEXT_SKU_MAX || !isalnum((unsigned char)t.p[0]))
        return false;
    for (size_t i = 0; i < t.n; i++) {
        unsigned char c = (unsigned char)t.p[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != '/')
            return false;
    }
    return true;
}

/* Value of [+-]digits, saturated at ±10^18. */
static long long order_text_int_value(struct span t)
{
    size_t i = 0;
    int sign = 1;
    if (t.n > 0 && (t.p[0] == '+' || t.p[0] == '-'))
        sign = t.p[i++] == '-' ? -1 : 1;
    long long v = 0;
    for (; i < t.n; i++) {
        if (v >= order_text_qty_saturation / 10) {
            v = order_text_qty_saturation;
            break;
        }
        v = v * 10 + (t.p[i] - '0');
    }
    return sign * v;
}

/* Copies a quantity token as written, cut to ORDER_TEXT_QTY_TEXT_MAX + "…". */
static void order_text_qty_text(struct order_text_item *it, struct span t)
{
    if (t.n <= ORDER_TEXT_QTY_TEXT_MAX)
        snprintf(it->qty_text, sizeof it->qty_text, "%.*s", (int)t.n, t.p);
    else
        snprintf(it->qty_text, sizeof it->qty_text, "%.*s\xE2\x80\xA6",
                 ORDER_TEXT_QTY_TEXT_MAX, t.p);
}

/* ---- items --------------------------------------------------------------------- */

static void order_text_set_sku(struct order_text_item *it, struct span t)
{
    for (size_t i = 0; i < t.n; i++)
        it->sku[i] = (char)toupper((unsigned char)t.p[i]);
    it->sku[t.n] = '\0';
}

/* Records the quantity token q (an int or a decimal) and checks its range. */
static void order_text_set_qty(struct order_text_item *it, struct span q)
{
    order_text_qty_text(it, q);
    if (order_text_is_decimal(q)) {
        it->qty = 0;
        it->error = ORDER_TEXT_ITEM_QUANTITY;
        return;
    }
    it->qty = order_text_int_value(q);
    if (it->qty < ORDER_TEXT_QTY_MIN || it->qty > ORDER_TEXT_QTY_MAX)
        it->error = ORDER_TEXT_ITEM_QUANTITY;
}

/* A quantity token: an int, or a decimal (reported as not whole). */
static bool order_text_is_qty(struct span t)
{
    return order_text_is_int(t) || order_text_is_decimal(t);
}

/*
 * Reads one item from its tokens (those without letters or digits already
 * dropped). Returns false when they match no item form.
 */
static bool order_text_item_from(struct order_text_item *it, const struct span *t, size_t n)
{
    if (n == 1 && order_text_is_sku(t[0])) {
        order_text_set_sku(it, t[0]);
        it->qty = 1;
        snprintf(it->qty_text, sizeof it->qty_text, "1");
        return true;
    }
    if (n == 2 && order_text_is_qty(t[0]) && order_text_is_sku(t[1])) {
        order_text_set_sku(it, t[1]);
        order_text_set_qty(it, t[0]);
        return true;
    }
    if (n == 2 && t[0].n > 1 && (t[0].p[t[0].n - 1] == 'x' || t[0].p[t[0].n - 1] == 'X') &&
        order_text_is_qty((struct span){t[0].p, t[0].n - 1}) && order_text_is_sku(t[1])) {
        order_text_set_sku(it, t[1]);
        order_text_set_qty(it, (struct span){t[0].p, t[0].n - 1});
        return true;
    }
    if (n == 2 && order_text_is_sku(t[0]) && t[1].n > 1 &&
        (t[1].p[0] == 'x' || t[1].p[0] == 'X') &&
        order_text_is_qty((struct span){t[1].p + 1, t[1].n - 1})) {
        order_text_set_sku(it, t[0]);
        order_text_set_qty(it, (struct span){t[1].p + 1, t[1].n - 1});
        return true;
    }
    if (n == 3 && order_text_is_qty(t[0]) && order_text_is_x(t[1]) && order_text_is_sku(t[2])) {
        order_text_set_sku(it, t[2]);
        order_text_set_qty(it, t[0]);
        return true;
    }
    if (n == 3 && order_text_is_sku(t[0]) && order_text_is_x(t[1]) && order_text_is_qty(t[2])) {
        order_text_set_sku(it, t[0]);
        order_text_set_qty(it, t[2]);
        return true;
    }
    return false;
}

/*
 * Parses one item segment into *it. Returns false for a segment with
 * nothing in it (only spaces, emoji or bullets), which is skipped.
 */
static bool order_text_segment(struct span seg, struct order_text_item *it)
{
    struct span all[ORDER_TEXT_SEGMENT_TOKENS + 1] = {{NULL, 0}};
    struct span tok[ORDER_TEXT_SEGMENT_TOKENS + 1] = {{NULL, 0}};
    bool more;
    size_t n = 0, total = order_text_tokens(seg, all, ORDER_TEXT_SEGMENT_TOKENS + 1, &more);
    for (size_t i = 0; i < total; i++)
        if (order_text_has_alnum(all[i]))
            tok[n++] = all[i];
    if (total == 0)
        return false;
    memset(it, 0, sizeof *it);
    if (n == 0 && !more)
        return false;
    if (more || n > ORDER_TEXT_SEGMENT_TOKENS || !order_text_item_from(it, tok, n)) {
        memset(it, 0, sizeof *it);
        it->error = ORDER_TEXT_ITEM_UNREADABLE;
        wa_text_echo(it->text, sizeof it->text, seg.p, seg.n, ORDER_TEXT_ECHO_CP);
    }
    return true;
}

/* Adds b's quantity into a (same SKU), saturating; re-checks the range. */
static void order_text_merge(struct order_text_item *a, const struct order_text_item *b)
{
    if (a->error != ORDER_TEXT_ITEM_OK || b->error != ORDER_TEXT_ITEM_OK)
        return;
    a->qty += b->qty;
    snprintf(a->qty_text, sizeof a->qty_text, "%lld", a->qty);
    if (a->qty > ORDER_TEXT_QTY_MAX)
        a->error = ORDER_TEXT_ITEM_QUANTITY;
}

/* Appends it to c, merging a well-formed item into an earlier one of the same SKU. */
static void order_text_add_item(struct order_text_command *c, const struct order_text_item *it)
{
    if (it->error == ORDER_TEXT_ITEM_OK) {
        for (size_t i = 0; i < c->nitems; i++) {
            if (c->items[i].error == ORDER_TEXT_ITEM_OK && strcmp(c->items[i].sku, it->sku) == 0) {
                order_text_merge(&c->items[i], it);
                return;
            }
        }
    }
    c->items[c->nitems++] = *it;
}

/* The items after ORDER: segments split on ',' and new lines. */
static void order_text_items(struct span rest, struct order_text_command *c)
{
    struct order_text_item it;
    size_t i = 0;
    while (i < rest.n) {
        size_t start = i;
        while (i < rest.n && rest.p[i] != ',' && rest.p[i] != '\n')
            i++;
        struct span seg = {rest.p + start, i - start};
        i++; /* the separator */
        if (!order_text_segment(seg, &it))
            continue;
        if (c->nitems == ORDER_TEXT_ITEMS_MAX) {
            c->too_many_items = true;
            return;
        }
        order_text_add_item(c, &it);
    }
}

/* ---- arguments ---------------------------------------------------------------- */

/* STATUS / CANCEL: an optional order number ("1001" or "#1001"). */
static void order_text_number(struct span rest, struct order_text_command *c)
{
    struct span tok[1] = {{NULL, 0}};
    bool more;
    if (order_text_tokens(rest, tok, 1, &more) == 0)
        return;
    struct span t = tok[0];
    if (t.n > 1 && t.p[0] == '#')
        t = (struct span){t.p + 1, t.n - 1};
    if (order_text_all_digits(t.p, t.n) && t.n <= ORDER_TEXT_NUMBER_DIGITS) {
        c->has_number = true;
        c->number = strtoll(t.p, NULL, 10);
        return;
    }
    c->bad_number = true;
    wa_text_echo(c->number_text, sizeof c->number_text, tok[0].p, tok[0].n, ORDER_TEXT_ECHO_CP);
}

/* CATALOG: an optional page number; anything else means page 1. */
static void order_text_page(struct span rest, struct order_text_command *c)
{
    struct span tok[1] = {{NULL, 0}};
    bool more;
    c->page = 1;
    if (order_text_tokens(rest, tok, 1, &more) == 0 || !order_text_all_digits(tok[0].p, tok[0].n))
        return;
    long long p = order_text_int_value(tok[0]);
    c->page = p < 1 ? 1 : p > ORDER_TEXT_PAGE_MAX ? ORDER_TEXT_PAGE_MAX : (int)p;
}

/* ---- commands ------------------------------------------------------------------ */

static enum order_text_cmd order_text_command_word(struct span w)
{
    static const char *const help[] = {"HELP", "?", "MENU", "HI", "HELLO", "START", "INFO"};
    if (order_text_word_is(w, "ORDER"))
        return ORDER_TEXT_ORDER;
    if (order_text_word_is(w, "STATUS"))
        return ORDER_TEXT_STATUS;
    if (order_text_word_is(w, "CANCEL"))
        return ORDER_TEXT_CANCEL;
    if (order_text_word_is(w, "CATALOG") || order_text_word_is(w, "CATALOGUE"))
        return ORDER_TEXT_CATALOG;
    for (size_t i = 0; i < sizeof help / sizeof help[0]; i++)
        if (order_text_word_is(w, help[i]))
            return ORDER_TEXT_HELP;
    return ORDER_TEXT_UNKNOWN;
}

void order_text_parse(const char *body, size_t len, struct order_text_command *out)
{
    memset(out, 0, sizeof *out);
    out->page = 1;
    size_t n;
    char *text = order_text_normalise(body, len > ORDER_TEXT_BODY_MAX ? ORDER_TEXT_BODY_MAX : len, &n);
    struct span all = {text, n}, word[1] = {{NULL, 0}};
    bool more;
    if (order_text_tokens(all, word, 1, &more) == 0) {
        out->cmd = ORDER_TEXT_EMPTY;
        goto done;
    }
    out->cmd = order_text_command_word(word[0]);
    const char *after = word[0].p + word[0].n;
    struct span rest = {after, (size_t)(text + n - after)};
    switch (out->cmd) {
    case ORDER_TEXT_ORDER:
        order_text_items(rest, out);
        break;
    case ORDER_TEXT_STATUS:
    case ORDER_TEXT_CANCEL:
        order_text_number(rest, out);
        break;
    case ORDER_TEXT_CATALOG:
        order_text_page(rest, out);
        break;
    default:
        break;
    }
done:
    free(text);
}

/* ---- the command for whatsapp_inbound ----------------------------------------- */

const char *order_text_cmd_name(enum order_text_cmd cmd)
{
    switch (cmd) {
    case ORDER_TEXT_EMPTY: return "empty";
    case ORDER_TEXT_ORDER: return "order";
    case ORDER_TEXT_STATUS: return "status";
    case ORDER_TEXT_CANCEL: return "cancel";
    case ORDER_TEXT_CATALOG: return "catalog";
    case ORDER_TEXT_HELP: return "help";
    case ORDER_TEXT_UNKNOWN: return "unknown";
    }
    return "unknown";
}

static json_t *order_text_item_json(const struct order_text_item *it)
{
    switch (it->error) {
    case ORDER_TEXT_ITEM_OK:
        return json_pack("{s:s, s:I}", "sku", it->sku, "qty", (json_int_t)it->qty);
    case ORDER_TEXT_ITEM_QUANTITY:
        return json_pack("{s:s, s:s, s:s}", "sku", it->sku, "qty_text", it->qty_text,
                         "error", "quantity");
    case ORDER_TEXT_ITEM_UNREADABLE:
        break;
    }
    return json_pack("{s:s, s:s}", "text", it->text, "error", "unreadable");
}

static json_t *order_text_order_json(const struct order_text_command *c)
{
    json_t *items = json_array(), *problems = json_array();
    for (size_t i = 0; i < c->nitems; i++)
        json_array_append_new(items, order_text_item_json(&c->items[i]));
    if (c->nitems == 0)
        json_array_append_new(problems, json_pack("{s:s}", "problem", "no_items"));
    if (c->too_many_items)
        json_array_append_new(problems, json_pack("{s:s, s:i}", "problem", "too_many_items",
                                                  "max", ORDER_TEXT_ITEMS_MAX));
    return json_pack("{s:s, s:o, s:o}", "cmd", "order", "items", items, "problems", problems);
}

/* STATUS / CANCEL with their number or what the parser knows is wrong. */
static json_t *order_text_number_json(const struct order_text_command *c)
{
    json_t *j = json_pack("{s:s}", "cmd", order_text_cmd_name(c->cmd));
    if (c->has_number)
        json_object_set_new(j, "number", json_integer(c->number));
    else if (c->bad_number) {
        json_object_set_new(j, "problem", json_string("bad_number"));
        json_object_set_new(j, "text", json_string(c->number_text));
    } else if (c->cmd == ORDER_TEXT_CANCEL)
        json_object_set_new(j, "problem", json_string("no_number"));
    return j;
}

json_t *order_text_command_json(const struct order_text_command *c, int num_media,
                                int catalog_page_size)
{
    json_t *j;
    switch (c->cmd) {
    case ORDER_TEXT_ORDER:
        return order_text_order_json(c);
    case ORDER_TEXT_STATUS:
    case ORDER_TEXT_CANCEL:
        return order_text_number_json(c);
    case ORDER_TEXT_CATALOG:
        return json_pack("{s:s, s:i, s:i}", "cmd", "catalog", "page", c->page,
                         "page_size", catalog_page_size);
    case ORDER_TEXT_EMPTY:
        j = json_pack("{s:s}", "cmd", "empty");
        if (num_media > 0)
            json_object_set_new(j, "media", json_true());
        return j;
    default:
        return json_pack("{s:s}", "cmd", order_text_cmd_name(c->cmd));
    }
}
