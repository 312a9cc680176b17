/*
 * lib/forecast/cli.c: sentia-forecast, the forecasting engine
 * (lib/forecast/forecast.h) from the command line.
 *
 *   sentia-forecast --period P --horizon H [--method M] [--explain]
 *                   [--levels L1,L2] [--batch] [FILE]
 *
 * Single mode reads one value per line (FILE or stdin; blank lines are
 * skipped) and writes CSV: a header "point,lo80,hi80,lo95,hi95" and H rows.
 * Batch mode (--batch) reads one series per line as comma-separated values
 * and writes "series,step,point,lo80,hi80,lo95,hi95" rows, series numbered
 * from 1; it exists so benchmarks measure the engine rather than process
 * start-up. --explain writes the chosen model and its parameters to stderr.
 * Any error exits with status 2 and one line on stderr.
 *
 * Memory: the values buffer grows by doubling up to FORECAST_MAX_POINTS and
 * is freed before exit; each result is freed after it is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/forecast.h"

enum { EXIT_USAGE = 2 };

struct cli_options {
    int period;
    int horizon;
    bool have_period;
    bool have_horizon;
    enum forecast_method method;
    double levels_pct[FORECAST_NLEVELS];
    bool explain;
    bool batch;
    const char *path;
};

/* A growable array of values read from the input. */
struct cli_values {
    double *v;
    size_t n, cap;
};

/* ---- helpers ------------------------------------------------------------ */

/* Prints "sentia-forecast: <message>" and exits with status 2. */
__attribute__((noreturn, format(printf, 1, 2))) static void
cli_die(const char *fmt, ...)
{
    va_list ap;
    fputs("sentia-forecast: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static void cli_usage(void)
{
    cli_die("usage: sentia-forecast --period P --horizon H [--method "
            "auto|ets|theta|arima|croston|sba|tsb|snaive|naive] [--explain] "
            "[--levels 80,95] [--batch] [FILE]");
}

/* Parses a whole decimal int option or dies. */
static int cli_int(const char *name, const char *s)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < -1000000000L ||
        v > 1000000000L)
        cli_die("--%s: not an integer: %s", name, s);
    return (int)v;
}

/* Parses "L1,L2" into levels or dies. */
static void cli_levels(const char *s, double *levels)
{
    char *end;
    levels[0] = strtod(s, &end);
    if (end == s || *end != ',')
        cli_die("--levels: expected two numbers like 80,95: %s", s);
    s = end + 1;
    levels[1] = strtod(s, &end);
    if (end == s || *end != '\0')
        cli_die("--levels: expected two numbers like 80,95: %s", s);
}

/* Appends v, growing the buffer; dies beyond FORECAST_MAX_POINTS. */
static void cli_push(struct cli_values *vals, double v)
{
    if (vals->n == vals->cap) {
        size_t cap = vals->cap ? 2 * vals->cap : 256;
        double *p;
        if (vals->n >= FORECAST_MAX_POINTS)
            cli_die("more than %d values", FORECAST_MAX_POINTS);
        p = realloc(vals->v, cap * sizeof *p);
        if (p == NULL)
            cli_die("out of memory");
        vals->v = p;
        vals->cap = cap;
    }
    vals->v[vals->n++] = v;
}

/* True when s holds only blanks. */
static bool cli_blank(const char *s)
{
    s += strspn(s, " \t\r\n");
    return *s == '\0';
}

/* Parses one number that must fill the field [s, stop) but for blanks. */
static double cli_number(const char *s, char **stop, size_t line)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s)
        cli_die("line %zu: not a number: %.*s", line,
                (int)(strcspn(s, ",\r\n") < 40 ? strcspn(s, ",\r\n") : 40), s);
    end += strspn(end, " \t\r\n");
    *stop = end;
    return v;
}

/* ---- input -------------------------------------------------------------- */

/* Reads one value per line from f into vals. */
static void cli_read_column(FILE *f, struct cli_values *vals)
{
    char *line = NULL, *end;
    size_t cap = 0, lineno = 0;
    while (getline(&line, &cap, f) != -1) {
        lineno++;
        if (cli_blank(line))
            continue;
        cli_push(vals, cli_number(line, &end, lineno));
        if (*end != '\0')
            cli_die("line %zu: one number per line expected", lineno);
    }
    free(line);
}

/* Parses one comma-separated batch line into vals (emptied first). */
static void cli_parse_row(const char *line, size_t lineno,
                          struct cli_values *vals)
{
    char *end;
    vals->n = 0;
    for (;;) {
        cli_push(vals, cli_number(line, &end, lineno));
        if (*end == '\0')
            return;
        if (*end != ',')
            cli_die("line %zu: values must be separated by commas", lineno);
        line = end + 1;
    }
}

/* ---- output ------------------------------------------------------------- */

static void cli_header(const struct forecast_result *res, bool batch)
{
    if (batch)
        fputs("series,step,", stdout);
    printf("point");
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        double lv = forecast_result_level_pct(res, l);
        printf(",lo%g,hi%g", lv, lv);
    }
    putchar('\n');
}

/* Writes the rows of one result; series == 0 means single mode. */
static void cli_rows(const struct forecast_result *res, size_t series)
{
    const double *p = forecast_result_point(res);
    for (int h = 0; h < forecast_result_horizon(res); h++) {
        if (series > 0)
            printf("%zu,%d,", series, h + 1);
        printf("%.10g", p[h]);
        for (int l = 0; l < FORECAST_NLEVELS; l++)
            printf(",%.10g,%.10g", forecast_result_lower(res, l)[h],
                   forecast_result_upper(res, l)[h]);
        putchar('\n');
    }
}

/* Forecasts vals and prints; dies with a one-line message on error. */
static void cli_forecast(const struct cli_options *opt,
                         const struct cli_values *vals, size_t series,
                         bool header)
{
    struct forecast_request req = {
        .values = vals->v, .n = vals->n, .period = opt->period,
        .horizon = opt->horizon, .method = opt->method,
        .levels_pct = {opt->levels_pct[0], opt->levels_pct[1]}};
    struct forecast_result *res = NULL;
    size_t bad = 0;
    int rc = forecast_validate(&req, &bad);
    if ((rc == FORECAST_E_NONFINITE || rc == FORECAST_E_NEGATIVE) && series)
        cli_die("series %zu, value %zu: %s", series, bad + 1,
                forecast_strerror(rc));
    if (rc == FORECAST_E_NONFINITE || rc == FORECAST_E_NEGATIVE)
        cli_die("value %zu: %s", bad + 1, forecast_strerror(rc));
    if (rc == FORECAST_OK)
        rc = forecast_run(&req, &res);
    if (rc != FORECAST_OK)
        cli_die("%s", forecast_strerror(rc));
    if (header)
        cli_header(res, series > 0);
    cli_rows(res, series);
    if (opt->explain) {
        if (series)
            fprintf(stderr, "series %zu\n", series);
        fprintf(stderr, "model: %s\n%s", forecast_result_model(res),
                forecast_result_explain(res));
    }
    forecast_result_free(res);
}

/* ---- main --------------------------------------------------------------- */

static void cli_parse(int argc, char **argv, struct cli_options *opt)
{
    static const struct option longopts[] = {
        {"period", required_argument, NULL, 'p'},
        {"horizon", required_argument, NULL, 'h'},
        {"method", required_argument, NULL, 'm'},
        {"levels", required_argument, NULL, 'l'},
        {"explain", no_argument, NULL, 'e'},
        {"batch", no_argument, NULL, 'b'},
        {NULL, 0, NULL, 0}};
    int c;
    *opt = (struct cli_options){.method = FORECAST_AUTO};
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            opt->period = cli_int("period", optarg);
            opt->have_period = true;
            break;
        case 'h':
            opt->horizon = cli_int("horizon", optarg);
            opt->have_horizon = true;
            break;
        case 'm':
            if (forecast_method_parse(optarg, &opt->method) != 0)
                cli_die("--method: unknown method: %s", optarg);
            break;
        case 'l': cli_levels(optarg, opt->levels_pct); break;
        case 'e': opt->explain = true; break;
        case 'b': opt->batch = true; break;
        default: cli_usage();
        }
    }
    if (optind < argc - 1 || !opt->have_period || !opt->have_horizon)
        cli_usage();
    opt->path = optind < argc ? argv[optind] : NULL;
}

/* Batch mode: one series per line. */
static void cli_batch(const struct cli_options *opt, FILE *f)
{
    struct cli_values vals = {0};
    char *line = NULL;
    size_t cap = 0, lineno = 0, series = 0;
    while (getline(&line, &cap, f) != -1) {
        lineno++;
        if (cli_blank(line))
            continue;
        cli_parse_row(line, lineno, &vals);
        series++;
        cli_forecast(opt, &vals, series, series == 1);
    }
    free(line);
    free(vals.v);
}

int main(int argc, char **argv)
{
    struct cli_options opt;
    struct cli_values vals = {0};
    FILE *f = stdin;
    cli_parse(argc, argv, &opt);
    if (opt.path != NULL && (f = fopen(opt.path, "r")) == NULL)
        cli_die("%s: %s", opt.path, strerror(errno));
    if (opt.batch) {
        cli_batch(&opt, f);
    } else {
        cli_read_column(f, &vals);
        cli_forecast(&opt, &vals, 0, true);
        free(vals.v);
    }
    if (f != stdin)
        fclose(f);
    if (fflush(stdout) != 0 || ferror(stdout))
        cli_die("write error: %s", strerror(errno));
    return 0;
}
