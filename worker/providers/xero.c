/*
 * worker/providers/xero.c: Xero token answers, URLs and record mapping (see xero.h).
 */
#include "worker/providers/xero.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"
#include "lib/mem.h"

/* ---- tokens ----------------------------------------------------------------- */

char *xero_refresh_form(const char *refresh_token)
{
    char *esc = http_form_escape(refresh_token);
    char *form = mem_printf("grant_type=refresh_token&refresh_token=%s", esc);
    free(esc);
    return form;
}

/* A token string: printable ASCII, 1..XERO_TOKEN_MAX bytes. */
static bool xero_token_text_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > XERO_TOKEN_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isgraph((unsigned char)s[i]))
            return false;
    return true;
}

int xero_token_parse(long status, const char *body, size_t len, struct xero_token *out,
                     bool *invalid_grant, char *why, size_t why_size)
{
    json_t *doc = json_loadb(body ? body : "", len, 0, NULL);
    const char *err = json_string_value(json_object_get(doc, "error"));
    const char *access = json_string_value(json_object_get(doc, "access_token"));
    const char *refresh = json_string_value(json_object_get(doc, "refresh_token"));
    json_t *exp = json_object_get(doc, "expires_in");
    int rc = -1;
    memset(out, 0, sizeof *out);
    *invalid_grant = err != NULL && strcmp(err, "invalid_grant") == 0;
    if (status != 200) {
        snprintf(why, why_size, "token endpoint answered HTTP %ld%s%s", status, err ? ": " : "",
                 err && strlen(err) < 64 ? err : "");
    } else if (!xero_token_text_ok(access) || !xero_token_text_ok(refresh)) {
        snprintf(why, why_size, "token answer lacks a usable access_token or refresh_token");
    } else if (!json_is_integer(exp) || json_integer_value(exp) <= 0 ||
               json_integer_value(exp) > 86400 * 30) {
        snprintf(why, why_size, "token answer lacks a usable expires_in");
    } else {
        out->access_token = mem_strdup(access);
        out->refresh_token = mem_strdup(refresh);
        out->expires_in_s = json_integer_value(exp);
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

void xero_token_dispose(struct xero_token *t)
{
    free(t->access_token);
    free(t->refresh_token);
    t->access_token = t->refresh_token = NULL;
}

/* ---- URLs ---------------------------------------------------------------------- */

static const char *xero_path(enum xero_resource r)
{
    return r == XERO_INVOICES ? "Invoices" : "Contacts";
}

char *xero_page_url(const char *base, enum xero_resource r, int page, int page_size)
{
    return mem_printf("%s/%s?page=%d&pageSize=%d&order=UpdatedDateUTC", base, xero_path(r), page,
                      page_size);
}

void xero_if_modified_since(int64_t cursor_ms, char out[32])
{
    out[0] = '\0';
    if (cursor_ms >= 0)
        provider_format_plain(cursor_ms - XERO_OVERLAP_MS, out);
}

/* A GUID-like id: 1..64 of [0-9A-Za-z-]. */
static bool xero_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

int xero_event_target(const json_t *event, const char *base, enum xero_resource *r,
                      char **url, const char **why)
{
    const char *cat = json_string_value(json_object_get(event, "eventCategory"));
    const char *id = json_string_value(json_object_get(event, "resourceId"));
    if (cat == NULL || (strcmp(cat, "INVOICE") != 0 && strcmp(cat, "CONTACT") != 0))
        return *why = "eventCategory is not INVOICE or CONTACT", -1;
    if (!xero_id_ok(id))
        return *why = "resourceId missing or malformed", -1;
    *r = strcmp(cat, "INVOICE") == 0 ? XERO_INVOICES : XERO_CONTACTS;
    *url = mem_printf("%s/%s/%s", base, xero_path(*r), id);
    return 0;
}

/* ---- mapping -------------------------------------------------------------------- */

/* A Xero date field → "YYYY-MM-DD" (UTC) into out; "" when absent. */
static bool xero_day(struct provider_map *m, const json_t *obj, const char *key, char out[32])
{
    if (!provider_date(m, obj, key, false, out))
        return false;
    out[out[0] ? 10 : 0] = '\0';
    return true;
}

json_t *xero_invoice_row(const json_t *inv, struct provider_map *m)
{
    static const char *const money[] = {"SubTotal", "TotalTax", "Total", "AmountDue",
                                        "AmountPaid", "AmountCredited", "CurrencyRate"};
    static const char *const cols[] = {"subtotal", "total_tax", "total", "amount_due",
                                       "amount_paid", "amount_credited", "currency_rate"};
    char id[48], contact[48] = "", issued[32], due[32], paid[32], updated[32];
    char amounts[7][PROVIDER_DECIMAL_MAX + 1];
    if (!json_is_object(inv))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *type = provider_str(m, inv, "Type", true);
    const char *status = provider_str(m, inv, "Status", true);
    const char *currency = provider_str(m, inv, "CurrencyCode", true);
    const char *number = provider_str(m, inv, "InvoiceNumber", false);
    json_t *c = provider_obj(m, inv, "Contact", false);
    if (!provider_id(m, inv, "InvoiceID", true, id) || (c && !provider_id(m, c, "ContactID", false, contact)) ||
        !xero_day(m, inv, "Date", issued) || !xero_day(m, inv, "DueDate", due) ||
        !xero_day(m, inv, "FullyPaidOnDate", paid) ||
        !provider_date(m, inv, "UpdatedDateUTC", true, updated))
        return NULL;
    for (size_t i = 0; i < 7; i++)
        if (!provider_decimal(m, inv, money[i], i == 2, amounts[i]))
            return NULL;
    if (m->failed)
        return NULL;
    if (strcmp(type, "ACCREC") != 0 && strcmp(type, "ACCPAY") != 0)
        return provider_map_fail(m, "Type", "is not ACCREC or ACCPAY"), NULL;
    json_t *row = json_pack("{sssssssssssO}", "invoice_id", id, "type", type, "status", status,
                            "currency", currency, "updated_at", updated, "raw", inv);
    provider_set_text(row, "invoice_number", number);
    provider_set_text(row, "contact_id", contact);
    provider_set_text(row, "issued_on", issued);
    provider_set_text(row, "due_on", due);
    provider_set_text(row, "fully_paid_on", paid);
    for (size_t i = 0; i < 7; i++)
        provider_set_text(row, cols[i], amounts[i]);
    return row;
}

json_t *xero_contact_row(const json_t *c, struct provider_map *m)
{
    char id[48], updated[32];
    if (!json_is_object(c))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *name = provider_str(m, c, "Name", true);
    const char *email = provider_str(m, c, "EmailAddress", false);
    const char *status = provider_str(m, c, "ContactStatus", false);
    json_t *cust = json_object_get(c, "IsCustomer"), *supp = json_object_get(c, "IsSupplier");
    if (!provider_id(m, c, "ContactID", true, id) ||
        !provider_date(m, c, "UpdatedDateUTC", true, updated) || m->failed)
        return NULL;
    if ((cust && !json_is_boolean(cust)) || (supp && !json_is_boolean(supp)))
        return provider_map_fail(m, "IsCustomer/IsSupplier", "is not a boolean"), NULL;
    json_t *row = json_pack("{sssssbsbsssO}", "contact_id", id, "name", name, "is_customer",
                            json_is_true(cust), "is_supplier", json_is_true(supp), "updated_at",
                            updated, "raw", c);
    provider_set_text(row, "email", email);
    provider_set_text(row, "status", status);
    return row;
}

static json_t *xero_map_invoice(const json_t *rec, void *ctx, json_t *rows, struct provider_map *m)
{
    (void)ctx, (void)rows;
    return xero_invoice_row(rec, m);
}

static json_t *xero_map_contact(const json_t *rec, void *ctx, json_t *rows, struct provider_map *m)
{
    (void)ctx, (void)rows;
    return xero_contact_row(rec, m);
}

json_t *xero_page_rows(enum xero_resource r, const char *body, size_t len, int page_size,
                       size_t *count, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    const char *key = xero_path(r);
    json_t *records = json_object_get(doc, key);
    *count = 0;
    if (doc == NULL) {
        snprintf(why, why_size, "malformed JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_array(records) || json_array_size(records) > (size_t)page_size) {
        snprintf(why, why_size, "%s is %s", key,
                 json_is_array(records) ? "longer than the page size" : "missing or not an array");
        json_decref(doc);
        return NULL;
    }
    json_t *rows = r == XERO_INVOICES
                       ? provider_map_records(records, "invoice", xero_map_invoice, NULL, why, why_size)
                       : provider_map_records(records, "contact", xero_map_contact, NULL, why, why_size);
    *count = json_array_size(records);
    json_decref(doc);
    return rows;
}
