/*
 * lib/forecast/forecast.h: Sentia's statistical forecasting engine, public API.
 *
 * What it is for: given the history of one non-negative series (sales units,
 * orders, cash), its seasonal period and a horizon, produce point forecasts
 * and two prediction intervals (80 % and 95 % by default), the method that
 * made them and a human-readable explanation of the fitted model.
 *
 * Methods: naive, seasonal naive, the exponential-smoothing family ETS
 * (error A/M, trend N/A/Ad, season N/A/M; maximum likelihood, AICc choice),
 * the Theta method, seasonal ARIMA (stepwise AICc search), Croston / SBA /
 * TSB for intermittent demand, and `auto`,
 * which picks per series from in-sample evidence only (docs/FORECAST.md).
 *
 * Contract:
 *   - Pure computation: no I/O, no global mutable state, no locale use. Any
 *     number of threads may call forecast_run() at once on their own requests.
 *   - Input is validated first; bad input gives a negative enum forecast_error
 *     and never a crash. A successful result never holds NaN or infinity, and
 *     every bound satisfies 0 <= lo95 <= lo80 <= point <= hi80 <= hi95.
 *   - Results are deterministic: the same request gives bit-identical output
 *     (simulated intervals use a generator seeded from the data).
 *
 * The limits, methods and error codes are in lib/forecast/types.h (the
 * engine's internals share them without including this header).
 *
 * Ownership: the request and its values belong to the caller and are only
 * read during forecast_run(). The result is allocated by forecast_run() and
 * freed by the caller with forecast_result_free(); every pointer an accessor
 * returns lives as long as the result.
 */
#ifndef SENTIA_FORECAST_H
#define SENTIA_FORECAST_H

#include <stddef.h>

#include "lib/forecast/types.h"

/* What to forecast. values[0] is the oldest observation. levels_pct are
 * the two interval levels in percent; { 0, 0 } means the default { 80, 95 }.
 * Lower levels come first (levels_pct[0] < levels_pct[1]). */
struct forecast_request {
    const double *values;
    size_t n;
    int period;
    int horizon;
    enum forecast_method method;
    double levels_pct[FORECAST_NLEVELS];
};

/* Opaque: the forecasts and how they were made. */
struct forecast_result;

/*
 * Checks a request without fitting anything. Returns FORECAST_OK or the
 * first problem found; for value errors *bad_index (if not NULL) receives
 * the index of the offending value.
 */
int forecast_validate(const struct forecast_request *req, size_t *bad_index);

/*
 * Fits the requested method (or chooses one, for FORECAST_AUTO) and
 * forecasts req->horizon steps. On success returns FORECAST_OK and stores a
 * new result in *out, which the caller frees with forecast_result_free().
 * On failure returns a negative forecast_error and sets *out to NULL.
 */
int forecast_run(const struct forecast_request *req,
                 struct forecast_result **out);

/* Frees a result from forecast_run(); NULL is accepted. */
void forecast_result_free(struct forecast_result *res);

/* Number of forecast steps (= the request's horizon). */
int forecast_result_horizon(const struct forecast_result *res);

/* Point forecasts, forecast_result_horizon() of them. */
const double *forecast_result_point(const struct forecast_result *res);

/* Lower / upper bounds of interval `level` (0 = the narrower, 80 % by
 * default; 1 = the wider, 95 %). NULL if level is out of range. */
const double *forecast_result_lower(const struct forecast_result *res,
                                    int level);
const double *forecast_result_upper(const struct forecast_result *res,
                                    int level);

/* Interval level in percent for index `level` (0 or 1). */
double forecast_result_level_pct(const struct forecast_result *res,
                                 int level);

/* The method family that produced the forecasts (for FORECAST_AUTO, the one
 * chosen; a combination reports FORECAST_AUTO). */
enum forecast_method forecast_result_method(const struct forecast_result *res);

/* Short model label, e.g. "ETS(M,Ad,M)", "Theta", "SBA", "ETS+Theta". */
const char *forecast_result_model(const struct forecast_result *res);

/* Multi-line explanation: model, parameters, AICc, sigma, and what was done
 * for short, constant or all-zero input. Always NUL-terminated. */
const char *forecast_result_explain(const struct forecast_result *res);

/* Stores the AICc of the fitted ETS model in *aicc and returns FORECAST_OK,
 * or returns FORECAST_E_ARG when the method has no likelihood. */
int forecast_result_aicc(const struct forecast_result *res, double *aicc);

/* Static description of an error code ("value is NaN or infinite", ...). */
const char *forecast_strerror(int err);

/* Lower-case method name as the CLI spells it ("auto", "ets", "sba", ...),
 * or "unknown". */
const char *forecast_method_name(enum forecast_method method);

/* Parses a CLI method name; returns 0 and stores it, or FORECAST_E_ARG. */
int forecast_method_parse(const char *name, enum forecast_method *out);

#endif
