/*
 * lib/forecast/job.h: the working context of one forecast request as it
 * passes between lib/forecast/forecast.c, the method runners (forecast_methods) and
 * the automatic chooser (forecast_auto): the validated series, where the
 * forecasts go, the model label and the explanation being written.
 *
 * Invariants: y/n/m/seed are fixed for the request; out is initialised for
 * the request's horizon before any runner sees the job; explain is always
 * NUL-terminated and silently truncated at FORECAST_JOB_EXPLAIN_MAX.
 *
 * Ownership: the job lives on forecast_run()'s stack; y belongs to the
 * caller; out's arrays belong to the result being built.
 */
#ifndef SENTIA_FORECAST_JOB_H
#define SENTIA_FORECAST_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/forecast/types.h"
#include "lib/forecast/arima.h"
#include "lib/forecast/ets.h"
#include "lib/forecast/output.h"

#define FORECAST_JOB_EXPLAIN_MAX 2048
#define FORECAST_JOB_MODEL_MAX 64

/* A long-period seasonal profile computed for the first n values (n == 0:
 * none yet); shared by the members of the automatic combination. */
struct forecast_job_season {
    size_t n;
    bool mult;
    int harmonics;
    double idx[FORECAST_MAX_PERIOD];
};

struct forecast_job {
    const double *y;
    size_t n;
    int m;
    uint64_t seed;
    struct forecast_output *out;
    enum forecast_method chosen;
    char model[FORECAST_JOB_MODEL_MAX];
    bool has_aicc;
    double aicc;
    char explain[FORECAST_JOB_EXPLAIN_MAX];
    size_t explain_len;
    /* Validation runs of the automatic chooser (forecast_auto) set these:
     * no explanation, no intervals, and ETS / ARIMA refit only ets_spec /
     * arima_order. */
    bool quiet;
    bool points_only;
    bool fixed_ets;
    bool fixed_arima;
    /* The ETS spec to fit when fixed_ets and no ets_fit is at hand; the
     * ETS runner stores the spec it chose here in any case. */
    struct forecast_ets_spec ets_spec;
    struct forecast_arima_order arima_order;
    /* Models fitted on the full history (the runners store them; has_*
     * says whether they are valid): with fixed_* set, refits of the same
     * model start from them. */
    bool has_ets_fit;
    bool has_arima_fit;
    struct forecast_ets_model ets_fit;
    struct forecast_arima_model arima_fit;
    struct forecast_job_season season;
};

/* Appends one printf-formatted line (a newline is added) to job->explain,
 * unless the job is quiet. */
void forecast_job_note(struct forecast_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sets the model label (printf-formatted). */
void forecast_job_model(struct forecast_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
