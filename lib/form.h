/*
 * lib/form.h: application/x-www-form-urlencoded bodies (Twilio webhooks).
 *
 * form_parse() splits "k=v&k=v" into decoded fields ('+' is a space, %XX a
 * byte). Values are kept byte-exact and untrimmed, because webhook
 * signatures are computed over the decoded values; a decoded value may
 * contain NUL bytes, so every field carries its length. Fields keep their
 * order of arrival; form_sort() orders them by key, then value, with byte
 * comparison, which is the order Twilio's signature uses (twilio-node sorts
 * the keys, and the values of a repeated key).
 *
 * Limits: at most `max_fields` fields (a named limit the caller chooses);
 * more, or a malformed %-escape, makes the whole body invalid.
 *
 * Ownership: a struct form owns one copy of the body and the field array;
 * form_dispose() frees both. Field pointers point into that copy.
 */
#ifndef SENTIA_LIB_FORM_H
#define SENTIA_LIB_FORM_H

#include <stddef.h>

struct form_field {
    const char *key; /* NUL-terminated; may hold inner NULs (see key_len) */
    size_t key_len;
    const char *value; /* NUL-terminated; may hold inner NULs */
    size_t value_len;
};

struct form {
    struct form_field *fields;
    size_t n;
    char *data; /* the decoded copy the fields point into */
};

/*
 * Parses body (len bytes, need not be NUL-terminated). Empty pairs ("a=1&&")
 * are skipped; a pair without '=' is a key with an empty value. Returns 0, or
 * -1 with *why (static text) and nothing to dispose.
 */
int form_parse(const char *body, size_t len, size_t max_fields, struct form *out,
               const char **why);
void form_dispose(struct form *f);

/* Sorts the fields by key, then value, bytewise. */
void form_sort(struct form *f);

/* The first field named `key`, or NULL. */
const struct form_field *form_get(const struct form *f, const char *key);

#endif
