/*
 * tests/lib/test_addr.c: addr_name() on numeric IPv4 and IPv6 results of
 * getaddrinfo, and its refusals (no result, another family).
 */
#include "tests/test.h"

#include <string.h>
#include <sys/socket.h>

#include "lib/addr.h"

/* getaddrinfo of a numeric host; NULL when the machine cannot parse it. */
static struct addrinfo *numeric(const char *host, int family)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_flags = AI_NUMERICHOST;
    return getaddrinfo(host, NULL, &hints, &res) == 0 ? res : NULL;
}

TEST(names_ipv4_and_ipv6)
{
    char out[ADDR_NAME_MAX];
    struct addrinfo *v4 = numeric("127.0.0.1", AF_INET), *v6 = numeric("::1", AF_INET6);
    CHECK(v4 != NULL);
    CHECK_INT(addr_name(v4, out, sizeof out), 0);
    CHECK_STR(out, "127.0.0.1");
    if (v6 != NULL) {
        CHECK_INT(addr_name(v6, out, sizeof out), 0);
        CHECK_STR(out, "::1");
        freeaddrinfo(v6);
    }
    freeaddrinfo(v4);
}

TEST(refuses_no_result_and_other_families)
{
    char out[ADDR_NAME_MAX] = "x";
    struct addrinfo other;
    memset(&other, 0, sizeof other);
    other.ai_family = AF_UNIX;
    CHECK_INT(addr_name(NULL, out, sizeof out), -1);
    CHECK_STR(out, "");
    strcpy(out, "x");
    CHECK_INT(addr_name(&other, out, sizeof out), -1);
    CHECK_STR(out, "");
}
