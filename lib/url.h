/*
 * lib/url.h: a strict parser for the URLs Sentia is configured with
 * (redis://, postgres://, http(s)://) — enough of RFC 3986 for
 * scheme://[user[:password]@]host[:port][/path][?query], IPv6 hosts in
 * brackets, and percent-decoded user and password.
 *
 * url_parse() fills a struct url whose strings it owns; url_dispose() frees
 * them. Absent parts are NULL (port: 0).
 */
#ifndef SENTIA_LIB_URL_H
#define SENTIA_LIB_URL_H

#include <stdbool.h>

struct url {
    char *scheme;   /* lower-cased */
    char *user;     /* decoded */
    char *password; /* decoded; never log it */
    char *host;     /* without brackets for IPv6 */
    int port;
    char *path;  /* starts with '/', or NULL */
    char *query; /* without '?', or NULL */
};

/* Returns 0, or -1 with *why set to a static explanation (url untouched). */
int url_parse(const char *text, struct url *out, const char **why);
void url_dispose(struct url *u);

/*
 * True when the http(s) URL may carry credentials in production: https://,
 * or http:// to a loopback host (localhost, 127.0.0.0/8, ::1), whose traffic
 * never leaves the machine (benchmarks run production settings against local
 * fakes; a TLS sidecar). False for any other URL, malformed ones included.
 */
bool url_is_private_transport(const char *text);

/* Decodes %XX in place (and '+' as space when form != 0); -1 if malformed. */
int url_percent_decode(char *s, int form);

#endif
