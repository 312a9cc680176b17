/*
 * lib/forecast/forecast.c: the public forecasting API (see forecast.h): request
 * validation, the handling of degenerate series (all zero, constant),
 * dispatch to the method runners and the result accessors.
 *
 * Invariants: a result is only handed out after forecast_output_finish()
 * made every value finite, non-negative and ordered. Nothing here keeps
 * state between calls.
 */
#include "lib/forecast/forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/internal.h"

struct forecast_result {
    struct forecast_output out;
    enum forecast_method method;
    bool has_aicc;
    double aicc;
    char model[FORECAST_JOB_MODEL_MAX];
    char explain[FORECAST_JOB_EXPLAIN_MAX];
};

static const char *const forecast_names[FORECAST_METHOD_COUNT] = {
    [FORECAST_AUTO] = "auto",       [FORECAST_ETS] = "ets",
    [FORECAST_THETA] = "theta",     [FORECAST_CROSTON] = "croston",
    [FORECAST_SBA] = "sba",         [FORECAST_TSB] = "tsb",
    [FORECAST_SNAIVE] = "snaive",   [FORECAST_NAIVE] = "naive",
    [FORECAST_ARIMA] = "arima"};

/* ---- validation --------------------------------------------------------- */

/* Checks the level pair; zeros mean the defaults. */
static int forecast_check_levels(const double *lv)
{
    if (lv[0] == 0.0 && lv[1] == 0.0)
        return FORECAST_OK;
    for (int l = 0; l < FORECAST_NLEVELS; l++)
        if (!(lv[l] > 0.0 && lv[l] < 100.0))
            return FORECAST_E_LEVEL;
    return lv[0] < lv[1] ? FORECAST_OK : FORECAST_E_LEVEL;
}

/* Checks every value; stores the first bad index. */
static int forecast_check_values(const double *v, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        int rc = !isfinite(v[i]) ? FORECAST_E_NONFINITE
                 : v[i] < 0.0    ? FORECAST_E_NEGATIVE
                                 : FORECAST_OK;
        if (rc != FORECAST_OK) {
            if (bad != NULL)
                *bad = i;
            return rc;
        }
    }
    return FORECAST_OK;
}

int forecast_validate(const struct forecast_request *req, size_t *bad_index)
{
    int rc;
    if (req == NULL || (unsigned)req->method >= FORECAST_METHOD_COUNT)
        return FORECAST_E_ARG;
    if (req->n == 0 || req->values == NULL)
        return FORECAST_E_EMPTY;
    if (req->n > FORECAST_MAX_POINTS)
        return FORECAST_E_TOO_LONG;
    if (req->period < 1 || req->period > FORECAST_MAX_PERIOD)
        return FORECAST_E_PERIOD;
    if (req->horizon < 1 || req->horizon > FORECAST_MAX_HORIZON)
        return FORECAST_E_HORIZON;
    rc = forecast_check_levels(req->levels_pct);
    if (rc != FORECAST_OK)
        return rc;
    return forecast_check_values(req->values, req->n, bad_index);
}

/* ---- degenerate series -------------------------------------------------- */

/*
 * A series with no variation (all zero, or one repeated value) has nothing
 * to estimate: forecast the value with zero-width intervals. Returns true
 * when it handled the job.
 */
static bool forecast_degenerate(struct forecast_job *job,
                                struct forecast_output *out)
{
    double v = job->y[0];
    for (size_t t = 1; t < job->n; t++)
        if (job->y[t] != v)
            return false;
    if (job->n == 1)
        return false;
    for (int h = 0; h < out->horizon; h++) {
        out->point[h] = v;
        for (int l = 0; l < FORECAST_NLEVELS; l++)
            out->lo[l][h] = out->hi[l][h] = v;
    }
    job->chosen = FORECAST_NAIVE;
    if (v == 0.0) {
        forecast_job_model(job, "Zero");
        forecast_job_note(job, "all %zu values are zero: forecasting zero "
                          "with zero-width intervals", job->n);
    } else {
        forecast_job_model(job, "Constant");
        forecast_job_note(job, "all %zu values equal %g: forecasting that "
                          "value with zero-width intervals", job->n, v);
    }
    return true;
}

/* ---- dispatch ----------------------------------------------------------- */

static int forecast_dispatch(struct forecast_job *job,
                             enum forecast_method method,
                             struct forecast_output *out)
{
    switch (method) {
    case FORECAST_ETS:
        return forecast_methods_ets(job, out);
    case FORECAST_THETA:
        return forecast_methods_theta(job, out);
    case FORECAST_CROSTON:
        return forecast_methods_intermittent(job, FORECAST_INTERMITTENT_CROSTON,
                                             out);
    case FORECAST_SBA:
        return forecast_methods_intermittent(job, FORECAST_INTERMITTENT_SBA,
                                             out);
    case FORECAST_TSB:
        return forecast_methods_intermittent(job, FORECAST_INTERMITTENT_TSB,
                                             out);
    case FORECAST_SNAIVE:
        return forecast_methods_snaive(job, out);
    case FORECAST_NAIVE:
        return forecast_methods_naive(job, out);
    case FORECAST_ARIMA:
        return forecast_methods_arima(job, out);
    default:
        return forecast_auto_run(job, out);
    }
}

/* Copies the job's labels into the result. */
static void forecast_take_labels(struct forecast_result *res,
                                 const struct forecast_job *job)
{
    res->method = job->chosen;
    res->has_aicc = job->has_aicc;
    res->aicc = job->aicc;
    memcpy(res->model, job->model, sizeof res->model);
    memcpy(res->explain, job->explain, sizeof res->explain);
}

int forecast_run(const struct forecast_request *req,
                 struct forecast_result **out)
{
    static const double default_levels[FORECAST_NLEVELS] = {80.0, 95.0};
    struct forecast_result *res = NULL;
    struct forecast_job *job = NULL;
    const double *levels;
    int rc;
    if (out == NULL)
        return FORECAST_E_ARG;
    *out = NULL;
    rc = forecast_validate(req, NULL);
    if (rc != FORECAST_OK)
        return rc;
    levels = req->levels_pct[0] == 0.0 ? default_levels : req->levels_pct;
    res = calloc(1, sizeof *res);
    job = calloc(1, sizeof *job);
    rc = FORECAST_E_NOMEM;
    if (res == NULL || job == NULL ||
        forecast_output_init(&res->out, req->horizon, levels) != 0)
        goto fail;
    *job = (struct forecast_job){
        .y = req->values, .n = req->n, .m = req->period, .out = &res->out,
        .chosen = req->method,
        .seed = forecast_rng_hash(req->values, req->n) ^ (uint64_t)req->horizon};
    rc = forecast_degenerate(job, &res->out)
             ? FORECAST_OK
             : forecast_dispatch(job, req->method, &res->out);
    if (rc != FORECAST_OK)
        goto fail;
    forecast_output_finish(&res->out);
    forecast_take_labels(res, job);
    free(job);
    *out = res;
    return FORECAST_OK;
fail:
    free(job);
    forecast_result_free(res);
    return rc;
}

/* ---- result accessors --------------------------------------------------- */

void forecast_result_free(struct forecast_result *res)
{
    if (res == NULL)
        return;
    forecast_output_dispose(&res->out);
    free(res);
}

int forecast_result_horizon(const struct forecast_result *res)
{
    return res->out.horizon;
}

const double *forecast_result_point(const struct forecast_result *res)
{
    return res->out.point;
}

const double *forecast_result_lower(const struct forecast_result *res,
                                    int level)
{
    return level >= 0 && level < FORECAST_NLEVELS ? res->out.lo[level] : NULL;
}

const double *forecast_result_upper(const struct forecast_result *res,
                                    int level)
{
    return level >= 0 && level < FORECAST_NLEVELS ? res->out.hi[level] : NULL;
}

double forecast_result_level_pct(const struct forecast_result *res, int level)
{
    return level >= 0 && level < FORECAST_NLEVELS ? res->out.levels_pct[level]
                                                  : 0.0;
}

enum forecast_method forecast_result_method(const struct forecast_result *res)
{
    return res->method;
}

const char *forecast_result_model(const struct forecast_result *res)
{
    return res->model;
}

const char *forecast_result_explain(const struct forecast_result *res)
{
    return res->explain;
}

int forecast_result_aicc(const struct forecast_result *res, double *aicc)
{
    if (!res->has_aicc)
        return FORECAST_E_ARG;
    *aicc = res->aicc;
    return FORECAST_OK;
}

/* ---- names -------------------------------------------------------------- */

const char *forecast_strerror(int err)
{
    switch (err) {
    case FORECAST_OK:
        return "success";
    case FORECAST_E_ARG:
        return "invalid argument";
    case FORECAST_E_EMPTY:
        return "no values to forecast from";
    case FORECAST_E_NONFINITE:
        return "value is NaN or infinite";
    case FORECAST_E_NEGATIVE:
        return "value is negative";
    case FORECAST_E_PERIOD:
        return "period must be between 1 and 366";
    case FORECAST_E_HORIZON:
        return "horizon must be between 1 and 10000";
    case FORECAST_E_LEVEL:
        return "interval levels must be increasing and inside (0, 100)";
    case FORECAST_E_TOO_LONG:
        return "series longer than 1000000 values";
    case FORECAST_E_NOMEM:
        return "out of memory";
    default:
        return "unknown error";
    }
}

const char *forecast_method_name(enum forecast_method method)
{
    if ((unsigned)method >= FORECAST_METHOD_COUNT)
        return "unknown";
    return forecast_names[method];
}

int forecast_method_parse(const char *name, enum forecast_method *out)
{
    if (name == NULL)
        return FORECAST_E_ARG;
    for (int i = 0; i < FORECAST_METHOD_COUNT; i++) {
        if (strcmp(name, forecast_names[i]) == 0) {
            *out = (enum forecast_method)i;
            return FORECAST_OK;
        }
    }
    return FORECAST_E_ARG;
}
