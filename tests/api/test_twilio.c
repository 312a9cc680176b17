/*
 * tests/api/test_twilio.c: Twilio signature verification against the
 * published twilio-node vectors (external-apis.md §1.1), including the port
 * variants Twilio's libraries accept and the JSON-body (bodySHA256) form.
 */
#include <stdlib.h>

#include "api/config.h"
#include "api/hooks/twilio.h"
#include "tests/test.h"

static struct form vector_params(void)
{
    struct form f;
    const char *why;
    const char *body = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
                       "&From=%2B14158675309&To=%2B18005551212";
    form_parse(body, strlen(body), 64, &f, &why);
    form_sort(&f);
    return f;
}

static bool check(const char *base, const char *sig)
{
    char *bases[2] = {NULL, NULL};
    if (api_config_twilio_bases(base, bases) != 0)
        return false;
    struct form f = vector_params();
    const char *pq = "/myapp.php?foo=1&bar=2";
    bool ok = twilio_signature_valid("12345", bases, 2, pq, strlen(pq), &f, sig, strlen(sig));
    form_dispose(&f);
    free(bases[0]);
    free(bases[1]);
    return ok;
}

TEST(api_config_twilio_bases_strip_and_add_ports)
{
    char *b[2];
    CHECK_INT(api_config_twilio_bases("https://mycompany.com/", b), 0);
    CHECK_STR(b[0], "https://mycompany.com");
    CHECK_STR(b[1], "https://mycompany.com:443");
    free(b[0]), free(b[1]);
    CHECK_INT(api_config_twilio_bases("http://h.example:1234/pre", b), 0);
    CHECK_STR(b[0], "http://h.example/pre");
    CHECK_STR(b[1], "http://h.example:1234/pre");
    free(b[0]), free(b[1]);
    CHECK_INT(api_config_twilio_bases("ftp://x", b), -1);
}

TEST(twilio_published_vectors)
{
    CHECK(check("https://mycompany.com", "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    /* Signed with :443 (the URL Twilio used kept the default port). */
    CHECK(check("https://mycompany.com", "kvajT1Ptam85bY51eRf/AJRuM3w="));
    CHECK(check("https://mycompany.com:443", "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    /* http URL without port validated by adding :80. */
    CHECK(check("http://mycompany.com", "0ZXoZLH/DfblKGATFgpif+LLRf4="));
    CHECK(check("http://mycompany.com:1234", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
}

TEST(twilio_rejects_tampering)
{
    CHECK(!check("https://mycompany.com", "RSOYDt4T1cUTdK1PDd93/VVr8B9="));
    CHECK(!check("https://othercompany.com", "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    CHECK(!check("https://mycompany.com", ""));
    char *bases[2];
    api_config_twilio_bases("https://mycompany.com", bases);
    struct form f = vector_params();
    const char *pq = "/myapp.php?foo=1&bar=3";
    CHECK(!twilio_signature_valid("12345", bases, 2, pq, strlen(pq), &f,
                                  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    pq = "/myapp.php?foo=1&bar=2";
    CHECK(!twilio_signature_valid("54321", bases, 2, pq, strlen(pq), &f,
                                  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", 28));
    form_dispose(&f);
    free(bases[0]);
    free(bases[1]);
}

TEST(twilio_body_sha256_vector)
{
    char *bases[2];
    api_config_twilio_bases("https://mycompany.com", bases);
    const char *pq = "/myapp.php?foo=1&bar=2&bodySHA256="
                     "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    bool ok = twilio_signature_valid("12345", bases, 2, pq, strlen(pq), NULL,
                                     "a9nBmqA0ju/hNViExpshrM61xv4=", 28);
    free(bases[0]);
    free(bases[1]);
    CHECK(ok);
}
