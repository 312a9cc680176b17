/*
 * worker/whatsapp/order_text.h: what a customer's WhatsApp text asks for.
 *
 * order_text_parse() turns a message body into a command; nothing here does
 * I/O. The grammar (docs/WHATSAPP.md has examples):
 *
 *   ORDER <item>[, <item>…]    items separated by ',', ';' or new lines
 *     <item> = N SKU | Nx SKU | N x SKU | SKU xN | SKU x N | SKU (N = 1)
 *   STATUS [n] | CANCEL n      n = an order number, "#" allowed before it
 *   CATALOG [page]             (also CATALOGUE)
 *   HELP                       (also ?, MENU, HI, HELLO, START, INFO)
 *   anything else              → UNKNOWN (answered with the help text)
 *
 * Command words are case-insensitive and may end with ':'. Unicode white
 * space (no-break, zero-width, ideographic…) counts as space; Unicode dashes
 * in a SKU count as '-', '×' as 'x', full-width and ideographic commas as
 * ','. Inside an item, tokens with no ASCII letter or digit (emoji, bullets
 * such as "-" or "•") are ignored, so "• 2 SKU-1 👍" reads as "2 SKU-1".
 * SKUs are 1–64 of [A-Za-z0-9._/-], starting with a letter or digit, and
 * upper-cased (products match case-insensitively).
 *
 * Items of the same SKU are merged into one (their quantities added); each
 * item's quantity must be a whole number from 1 to 10 000 after merging.
 * Problems are recorded per item (error + what was written) so the reply
 * names every one; at most ORDER_TEXT_ITEMS_MAX items are read, and a
 * message with more says so. Only the first ORDER_TEXT_BODY_MAX bytes are
 * read at all, so the work per message is bounded whatever arrives.
 *
 * Ownership: struct order_text_command is a value filled by the parser
 * (caller-allocated; no pointers inside). order_text_command_json() returns
 * a new jansson reference the caller releases.
 */
#ifndef SENTIA_WORKER_ORDER_TEXT_H
#define SENTIA_WORKER_ORDER_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "worker/whatsapp/wa_text.h"

enum {
    ORDER_TEXT_BODY_MAX = 16384,   /* bytes read; Twilio's bodies are ≤ 1600 chars */
    ORDER_TEXT_ITEMS_MAX = 50,     /* lines per WhatsApp order */
    ORDER_TEXT_SKU_MAX = 64,       /* longer SKUs cannot be typed reliably */
    ORDER_TEXT_QTY_MIN = 1,
    ORDER_TEXT_QTY_MAX = 10000,
    ORDER_TEXT_QTY_TEXT_MAX = 24,  /* a quantity as written, for the reply */
    ORDER_TEXT_ECHO_CP = 40,       /* code points of customer text echoed back */
    ORDER_TEXT_NUMBER_DIGITS = 15, /* order numbers are bigint; 15 digits is plenty */
    ORDER_TEXT_PAGE_MAX = 1000000,
};

enum order_text_cmd {
    ORDER_TEXT_EMPTY,   /* nothing but white space */
    ORDER_TEXT_ORDER,
    ORDER_TEXT_STATUS,
    ORDER_TEXT_CANCEL,
    ORDER_TEXT_CATALOG,
    ORDER_TEXT_HELP,
    ORDER_TEXT_UNKNOWN,
};

enum order_text_item_error {
    ORDER_TEXT_ITEM_OK,
    ORDER_TEXT_ITEM_QUANTITY,   /* not a whole number in 1…10 000 */
    ORDER_TEXT_ITEM_UNREADABLE, /* no item could be read from the text */
};

struct order_text_item {
    enum order_text_item_error error;
    char sku[ORDER_TEXT_SKU_MAX + 1];            /* upper-cased; "" when unreadable */
    long long qty;                               /* saturated at ±10^18 */
    char qty_text[ORDER_TEXT_QTY_TEXT_MAX + 4];  /* as written (cut with "…") */
    char text[WA_TEXT_ECHO_SIZE(ORDER_TEXT_ECHO_CP)]; /* unreadable: what was written */
};

struct order_text_command {
    enum order_text_cmd cmd;
    /* ORDER */
    struct order_text_item items[ORDER_TEXT_ITEMS_MAX];
    size_t nitems;
    bool too_many_items; /* more than ORDER_TEXT_ITEMS_MAX; the rest was not read */
    /* STATUS, CANCEL */
    bool has_number;     /* a valid order number was given */
    long long number;
    bool bad_number;     /* something was given that is not an order number */
    char number_text[WA_TEXT_ECHO_SIZE(ORDER_TEXT_ECHO_CP)];
    /* CATALOG */
    int page;            /* ≥ 1 */
};

/* Parses len bytes of body (any bytes; NUL not required) into *out. */
void order_text_parse(const char *body, size_t len, struct order_text_command *out);

/*
 * The command as whatsapp_inbound() (migrations/0002_commerce.sql) takes it:
 * {"cmd": "order", "items": [{"sku", "qty"} | {"sku", "qty_text", "error":
 * "quantity"} | {"text", "error": "unreadable"}], "problems": [...]},
 * {"cmd": "status", "number"?}, {"cmd": "cancel", "number"}, {"cmd":
 * "catalog", "page", "page_size"}, {"cmd": "help" | "unknown" | "empty"};
 * "problem" (bad_number, no_number) when the parser already knows the
 * answer; "media": true for an empty body that carried media.
 */
json_t *order_text_command_json(const struct order_text_command *c, int num_media,
                                 int catalog_page_size);

/* "order", "status", … for logs. */
const char *order_text_cmd_name(enum order_text_cmd cmd);

#endif
