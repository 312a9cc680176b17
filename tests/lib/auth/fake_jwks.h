/*
 * tests/lib/auth/fake_jwks.h: runs tests/fakes/jwks.py as a child process
 * for the C tests and drives its control API with blocking libcurl.
 */
#ifndef SENTIA_TESTS_AUTH_FAKE_JWKS_H
#define SENTIA_TESTS_AUTH_FAKE_JWKS_H

/* Starts the fake once per process; returns its port, or -1. */
int fake_jwks_start(void);
/* "http://127.0.0.1:<port>/.well-known/jwks.json" (static buffer). */
const char *fake_jwks_url(void);
/* POST /_fake/<what> with body (may be NULL); returns the HTTP status. */
int fake_jwks_post(const char *what, const char *body);

#endif
