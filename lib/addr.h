/*
 * lib/addr.h: the numeric text of a resolved address ("127.0.0.1", "::1"),
 * for the adapters that resolve their server's host name on the libuv loop
 * (lib/redis.c, lib/pgpool.c) and then connect to, and log, the address.
 *
 * Stateless; writes only to the caller's buffer.
 */
#ifndef SENTIA_LIB_ADDR_H
#define SENTIA_LIB_ADDR_H

#include <netdb.h>
#include <stddef.h>

/* Room for any IPv4 or IPv6 address in text, with its NUL. */
#define ADDR_NAME_MAX 64

/*
 * Writes the address of ai (IPv4 or IPv6) as text into out (size bytes,
 * ADDR_NAME_MAX is enough). Returns 0, or -1 with out set to "" when ai is
 * NULL or of another family.
 */
int addr_name(const struct addrinfo *ai, char *out, size_t size);

#endif
