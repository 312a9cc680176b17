/*
 * tests/lib/test_form.c: form-urlencoded parsing — decoding, order, limits,
 * malformed escapes, NUL bytes, sorting as Twilio's signature needs.
 */
#include "lib/form.h"
#include "tests/test.h"

TEST(form_decodes_plus_and_percent)
{
    struct form f;
    const char *why = NULL;
    const char *body = "Body=hi+there%2C+2%2B3%3D4&To=%2B16505551366&Empty=&Flag";
    CHECK_INT(form_parse(body, strlen(body), 16, &f, &why), 0);
    CHECK_INT(f.n, 4);
    CHECK_STR(f.fields[0].key, "Body");
    CHECK_STR(f.fields[0].value, "hi there, 2+3=4");
    CHECK_STR(form_get(&f, "To")->value, "+16505551366");
    CHECK_INT(form_get(&f, "Empty")->value_len, 0);
    CHECK_INT(form_get(&f, "Flag")->value_len, 0);
    CHECK(form_get(&f, "Missing") == NULL);
    form_dispose(&f);
}

TEST(form_keeps_whitespace_and_nul)
{
    struct form f;
    const char *why = NULL;
    const char *body = "A=+x+&B=a%00b&&";
    CHECK_INT(form_parse(body, strlen(body), 16, &f, &why), 0);
    CHECK_INT(f.n, 2);
    CHECK_STR(f.fields[0].value, " x ");
    CHECK_INT(f.fields[1].value_len, 3);
    CHECK(memcmp(f.fields[1].value, "a\0b", 3) == 0);
    form_dispose(&f);
}

TEST(form_refuses_bad_escapes_and_too_many_fields)
{
    struct form f;
    const char *why = NULL;
    CHECK_INT(form_parse("a=%4", 4, 16, &f, &why), -1);
    CHECK_INT(form_parse("a=%zz", 5, 16, &f, &why), -1);
    CHECK_INT(form_parse("a=1&b=2&c=3", 11, 2, &f, &why), -1);
    CHECK_STR(why, "too many fields");
    CHECK_INT(form_parse("", 0, 2, &f, &why), 0);
    CHECK_INT(f.n, 0);
    form_dispose(&f);
}

TEST(form_sorts_bytewise_by_key_then_value)
{
    struct form f;
    const char *why = NULL;
    const char *body = "b=2&B=1&a=z&a=y&Ab=0";
    CHECK_INT(form_parse(body, strlen(body), 16, &f, &why), 0);
    form_sort(&f);
    const char *keys[] = {"Ab", "B", "a", "a", "b"};
    for (size_t i = 0; i < 5; i++)
        CHECK_STR(f.fields[i].key, keys[i]);
    CHECK_STR(f.fields[2].value, "y");
    form_dispose(&f);
}
