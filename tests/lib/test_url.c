/*
 * tests/lib/test_url.c: URL parsing for configuration values.
 */
#include "lib/redis.h"
#include "lib/url.h"
#include "tests/test.h"

TEST(full_url)
{
    struct url u;
    const char *why = NULL;
    CHECK_INT(url_parse("postgresql://app%40x:p%3Ass@db.internal:5433/sentia?sslmode=require",
                        &u, &why), 0);
    CHECK_STR(u.scheme, "postgresql");
    CHECK_STR(u.user, "app@x");
    CHECK_STR(u.password, "p:ss");
    CHECK_STR(u.host, "db.internal");
    CHECK_INT(u.port, 5433);
    CHECK_STR(u.path, "/sentia");
    CHECK_STR(u.query, "sslmode=require");
    url_dispose(&u);
}

TEST(ipv6_and_no_port)
{
    struct url u;
    const char *why = NULL;
    CHECK_INT(url_parse("HTTP://[::1]/hook", &u, &why), 0);
    CHECK_STR(u.scheme, "http");
    CHECK_STR(u.host, "::1");
    CHECK_INT(u.port, 0);
    url_dispose(&u);
}

TEST(rejects)
{
    struct url u;
    const char *why = NULL;
    CHECK_INT(url_parse("localhost:6379", &u, &why), -1);
    CHECK_INT(url_parse("redis://host:0", &u, &why), -1);
    CHECK_INT(url_parse("redis://host:70000", &u, &why), -1);
    CHECK_INT(url_parse("redis://ho st", &u, &why), -1);
    CHECK_INT(url_parse("redis://u:%zz@host", &u, &why), -1);
    CHECK_INT(url_parse("http://[::1/x", &u, &why), -1);
}

TEST(redis_endpoint)
{
    struct redis_endpoint ep;
    const char *why = NULL;
    CHECK_INT(redis_endpoint_parse("redis://:secret@127.0.0.1:6390/3", &ep, &why), 0);
    CHECK_STR(ep.host, "127.0.0.1");
    CHECK_INT(ep.port, 6390);
    CHECK_STR(ep.password, "secret");
    CHECK(ep.user == NULL);
    CHECK_INT(ep.db, 3);
    redis_endpoint_dispose(&ep);
    CHECK_INT(redis_endpoint_parse("redis://red-abc", &ep, &why), 0);
    CHECK_INT(ep.port, 6379);
    CHECK_INT(ep.db, 0);
    redis_endpoint_dispose(&ep);
}

TEST(form_decoding)
{
    char s[] = "Body=hi+there%2C+2%2B3%3D4";
    CHECK_INT(url_percent_decode(s, 1), 0);
    CHECK_STR(s, "Body=hi there, 2+3=4");
    char bad[] = "%4";
    CHECK_INT(url_percent_decode(bad, 0), -1);
}

TEST(private_transport_is_https_or_loopback)
{
    CHECK(url_is_private_transport("https://api.twilio.com"));
    CHECK(url_is_private_transport("HTTPS://api.twilio.com/x"));
    CHECK(url_is_private_transport("http://127.0.0.1:9000/admin"));
    CHECK(url_is_private_transport("http://127.8.0.1/"));
    CHECK(url_is_private_transport("http://localhost:8080"));
    CHECK(url_is_private_transport("http://[::1]:8080/x"));
    CHECK(!url_is_private_transport("http://api.twilio.com"));
    CHECK(!url_is_private_transport("http://127.0.0.1.evil.example/"));
    CHECK(!url_is_private_transport("http://localhost.evil.example/"));
    CHECK(!url_is_private_transport("http://10.0.0.1/"));
    CHECK(!url_is_private_transport("ftp://127.0.0.1/"));
    CHECK(!url_is_private_transport("not a url"));
}
