/*
 * tests/api/test_read.c: the pure parts of the dashboard reads — RFC 3339
 * times and dates as the parameter checks see them (offsets, fractions,
 * calendar), and the ETag match of If-None-Match lists.
 */
#include <string.h>

#include "api/request.h"
#include "api/routes/read.h"
#include "tests/test.h"

TEST(times_honour_offsets_and_fractions)
{
    CHECK(read_time_us("1970-01-01T00:00:00Z") == 0);
    CHECK(read_time_us("1970-01-01T00:00:01.5Z") == 1500000);
    CHECK(read_time_us("2026-01-01T01:00:00+01:00") == read_time_us("2026-01-01T00:00:00Z"));
    CHECK(read_time_us("2026-01-01T00:00:00-02:30") == read_time_us("2026-01-01T02:30:00Z"));
    CHECK(read_time_us("2026-01-01T00:00:00.000001Z") - read_time_us("2026-01-01T00:00:00Z") == 1);
    CHECK(read_time_us("2026-03-01") == read_time_us("2026-03-01T00:00:00Z"));
}

TEST(dates_round_trip)
{
    char out[11];
    CHECK_INT(read_date_days("1970-01-02"), 1);
    read_date_text(read_date_days("2028-02-29"), out);
    CHECK_STR(out, "2028-02-29");
    read_date_text(read_date_days("2026-02-30"), out); /* normalised: not a real date */
    CHECK_STR(out, "2026-03-02");
}

/* A request carrying the given If-None-Match headers (NULL-ended). */
static void request_with(h2o_req_t *req, const char *const *values)
{
    memset(req, 0, sizeof *req);
    h2o_mem_init_pool(&req->pool);
    for (size_t i = 0; values[i]; i++)
        h2o_add_header(&req->pool, &req->headers, H2O_TOKEN_IF_NONE_MATCH, NULL, values[i],
                       strlen(values[i]));
}

TEST(if_none_match_lists)
{
    static const char tag[] = "\"0123456789abcdef0123456789abcdef\"";
    const char *cases[][3] = {
        {"\"0123456789abcdef0123456789abcdef\"", NULL, "y"},
        {"\"x\", W/\"0123456789abcdef0123456789abcdef\"", NULL, "y"},
        {"*", NULL, "y"},
        {"\"x\"", "\"0123456789abcdef0123456789abcdef\" ", "y"},
        {"\"0123456789abcdef0123456789abcdee\"", NULL, "n"},
        {"0123456789abcdef0123456789abcdef", NULL, "n"},
        {"", NULL, "n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        h2o_req_t req;
        const char *values[3] = {cases[i][0], cases[i][1], NULL};
        request_with(&req, values);
        CHECK(api_etag_matches(&req, tag, strlen(tag)) == (cases[i][2][0] == 'y'));
        h2o_mem_clear_pool(&req.pool);
    }
}
