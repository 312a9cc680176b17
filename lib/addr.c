/*
 * lib/addr.c: the numeric text of a resolved address (see addr.h), through
 * libuv's inet_ntop wrappers.
 */
#include "lib/addr.h"

#include <uv.h>

int addr_name(const struct addrinfo *ai, char *out, size_t size)
{
    if (size > 0)
        out[0] = '\0';
    if (ai == NULL || size == 0)
        return -1;
    if (ai->ai_family == AF_INET)
        return uv_ip4_name((const struct sockaddr_in *)ai->ai_addr, out, size) == 0 ? 0 : -1;
    if (ai->ai_family == AF_INET6)
        return uv_ip6_name((const struct sockaddr_in6 *)ai->ai_addr, out, size) == 0 ? 0 : -1;
    return -1;
}
