/*
 * lib/url.c: strict URL parsing for configuration values (see url.h).
 */
#include "lib/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

static int url_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int url_percent_decode(char *s, int form)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        if (*p == '%') {
            int hi = url_hex((unsigned char)p[1]);
            int lo = hi < 0 ? -1 : url_hex((unsigned char)p[2]);
            if (lo < 0)
                return -1;
            *out++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *out++ = form && *p == '+' ? ' ' : *p;
        }
    }
    *out = '\0';
    return 0;
}

/* Splits "user[:password]" into decoded parts; -1 if badly encoded. */
static int url_parse_userinfo(const char *s, size_t len, struct url *u)
{
    const char *colon = memchr(s, ':', len);
    size_t ulen = colon ? (size_t)(colon - s) : len;
    u->user = mem_strndup(s, ulen);
    if (colon)
        u->password = mem_strndup(colon + 1, len - ulen - 1);
    if (url_percent_decode(u->user, 0) != 0 ||
        (u->password && url_percent_decode(u->password, 0) != 0))
        return -1;
    return 0;
}

/* Parses host[:port] (host may be [v6]); sets *why on failure. */
static int url_parse_hostport(const char *s, size_t len, struct url *u,
                              const char **why)
{
    const char *end = s + len, *port = NULL;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL) {
            *why = "unterminated IPv6 address";
            return -1;
        }
        u->host = mem_strndup(s + 1, (size_t)(close - s - 1));
        if (close + 1 < end && close[1] != ':') {
            *why = "junk after IPv6 address";
            return -1;
        }
        port = close + 1 < end ? close + 2 : NULL;
    } else {
        const char *colon = memchr(s, ':', len);
        u->host = mem_strndup(s, colon ? (size_t)(colon - s) : len);
        port = colon ? colon + 1 : NULL;
    }
    for (const char *h = u->host; *h; h++)
        if (!isalnum((unsigned char)*h) && !strchr(".-_:%", *h)) {
            *why = "invalid character in host";
            return -1;
        }
    if (port == NULL)
        return 0;
    long v = 0;
    if (port == end) {
        *why = "empty port";
        return -1;
    }
    for (const char *p = port; p < end; p++) {
        if (!isdigit((unsigned char)*p) || (v = v * 10 + (*p - '0')) > 65535) {
            *why = "port must be a number from 1 to 65535";
            return -1;
        }
    }
    if (v == 0) {
        *why = "port must be a number from 1 to 65535";
        return -1;
    }
    u->port = (int)v;
    return 0;
}

static int url_parse_scheme(const char *text, struct url *u, const char **rest,
                            const char **why)
{
    const char *sep = strstr(text, "://");
    if (sep == NULL || sep == text) {
        *why = "missing scheme (expected scheme://…)";
        return -1;
    }
    for (const char *p = text; p < sep; p++)
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.') {
            *why = "invalid scheme";
            return -1;
        }
    u->scheme = mem_strndup(text, (size_t)(sep - text));
    for (char *p = u->scheme; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    *rest = sep + 3;
    return 0;
}

int url_parse(const char *text, struct url *out, const char **why)
{
    struct url u = {0};
    const char *p;
    for (const char *c = text; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f) {
            *why = "contains spaces or control characters";
            return -1;
        }
    if (url_parse_scheme(text, &u, &p, why) != 0)
        goto fail;
    size_t auth_len = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *c = p; c < p + auth_len; c++)
        if (*c == '@')
            at = c;
    if (at != NULL && url_parse_userinfo(p, (size_t)(at - p), &u) != 0) {
        *why = "badly encoded user or password";
        goto fail;
    }
    const char *hp = at ? at + 1 : p;
    if (url_parse_hostport(hp, (size_t)(p + auth_len - hp), &u, why) != 0)
        goto fail;
    p += auth_len;
    if (*p == '/') {
        size_t n = strcspn(p, "?#");
        u.path = mem_strndup(p, n);
        p += n;
    }
    if (*p == '?') {
        size_t n = strcspn(p + 1, "#");
        u.query = mem_strndup(p + 1, n);
    }
    *out = u;
    return 0;
fail:
    url_dispose(&u);
    return -1;
}

/* localhost, an IPv4 address in 127.0.0.0/8, or ::1. */
static bool url_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

bool url_is_private_transport(const char *text)
{
    struct url u;
    const char *why;
    if (url_parse(text, &u, &why) != 0)
        return false;
    bool ok = strcmp(u.scheme, "https") == 0 ||
              (strcmp(u.scheme, "http") == 0 && u.host != NULL && url_host_is_loopback(u.host));
    url_dispose(&u);
    return ok;
}

void url_dispose(struct url *u)
{
    free(u->scheme);
    free(u->user);
    free(u->password);
    free(u->host);
    free(u->path);
    free(u->query);
    memset(u, 0, sizeof *u);
}
