/*
 * lib/forecast/intermittent.c: Croston, SBA and TSB with grid-chosen
 * smoothing constants and mixture-distribution intervals (see
 * forecast_intermittent.h for the equations and conventions).
 */
#include "lib/forecast/intermittent.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/forecast/stats.h"

static const double intermittent_grid[] = {0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5};
enum { INTERMITTENT_GRID = sizeof intermittent_grid / sizeof *intermittent_grid };

/* ---- helpers ------------------------------------------------------------ */

/* Index of the first demand, or n when there is none. */
static size_t intermittent_first(const double *y, size_t n)
{
    size_t t = 0;
    while (t < n && !(y[t] > 0.0))
        t++;
    return t;
}

/* Forecast implied by the current states. */
static double intermittent_value(const struct forecast_intermittent_model *m)
{
    switch (m->kind) {
    case FORECAST_INTERMITTENT_CROSTON:
        return m->size / m->interval;
    case FORECAST_INTERMITTENT_SBA:
        return (1.0 - m->alpha / 2.0) * m->size / m->interval;
    default:
        return m->prob * m->size;
    }
}

/* Updates the states with observation y, q periods after the last demand. */
static void intermittent_update(struct forecast_intermittent_model *m,
                                double y, double q)
{
    bool demand = y > 0.0;
    if (m->kind == FORECAST_INTERMITTENT_TSB) {
        m->prob += m->beta * ((demand ? 1.0 : 0.0) - m->prob);
        if (demand)
            m->size += m->alpha * (y - m->size);
        return;
    }
    if (demand) {
        m->size += m->alpha * (y - m->size);
        m->interval += m->alpha * (q - m->interval);
    }
}

/* Quantile p of the mixture "0 with probability 1 - prob, else a size from
 * sorted[0..k-1] times scale". */
static double intermittent_quantile(const double *sorted, size_t k,
                                    double prob, double scale, double p)
{
    if (p <= 1.0 - prob)
        return 0.0;
    return scale *
           forecast_stats_quantile_sorted(sorted, k, (p - (1.0 - prob)) / prob);
}

/* ---- API ---------------------------------------------------------------- */

void forecast_intermittent_pattern(const double *y, size_t n,
                                   struct forecast_intermittent_pattern *out)
{
    double sum = 0.0, sum2 = 0.0, mean;
    out->demands = 0;
    for (size_t t = 0; t < n; t++) {
        if (y[t] > 0.0) {
            out->demands++;
            sum += y[t];
            sum2 += y[t] * y[t];
        }
    }
    out->adi = out->demands ? (double)n / (double)out->demands : HUGE_VAL;
    out->cv2 = 0.0;
    if (out->demands > 1) {
        mean = sum / (double)out->demands;
        out->cv2 = (sum2 / (double)out->demands - mean * mean) / (mean * mean);
        if (out->cv2 < 0.0)
            out->cv2 = 0.0;
    }
}

enum forecast_intermittent_kind
forecast_intermittent_classify(const struct forecast_intermittent_pattern *p)
{
    if (p->adi < FORECAST_INTERMITTENT_ADI_CUT &&
        p->cv2 < FORECAST_INTERMITTENT_CV2_CUT)
        return FORECAST_INTERMITTENT_CROSTON;
    return FORECAST_INTERMITTENT_SBA;
}

int forecast_intermittent_run(const double *y, size_t n,
                              enum forecast_intermittent_kind kind,
                              double alpha, double beta,
                              struct forecast_intermittent_model *out)
{
    size_t first = intermittent_first(y, n), count = 0, last;
    struct forecast_intermittent_pattern pat;
    double sse = 0.0;
    if (first == n)
        return -1;
    forecast_intermittent_pattern(y, n, &pat);
    *out = (struct forecast_intermittent_model){
        .kind = kind, .alpha = alpha, .beta = beta, .size = y[first],
        .interval = (double)(first + 1), .prob = 1.0 / pat.adi};
    last = first;
    for (size_t t = first + 1; t < n; t++) {
        double f = intermittent_value(out);
        sse += (y[t] - f) * (y[t] - f);
        count++;
        intermittent_update(out, y[t], (double)(t - last));
        if (y[t] > 0.0)
            last = t;
    }
    if (kind != FORECAST_INTERMITTENT_TSB)
        out->prob = fmin(1.0, 1.0 / out->interval);
    out->mean = intermittent_value(out);
    out->mse = count ? sse / (double)count : 0.0;
    return 0;
}

int forecast_intermittent_fit(const double *y, size_t n,
                              enum forecast_intermittent_kind kind,
                              struct forecast_intermittent_model *out)
{
    struct forecast_intermittent_model cand;
    int nbeta = kind == FORECAST_INTERMITTENT_TSB ? INTERMITTENT_GRID : 1;
    bool found = false;
    for (int a = 0; a < INTERMITTENT_GRID; a++)
        for (int b = 0; b < nbeta; b++) {
            if (forecast_intermittent_run(y, n, kind, intermittent_grid[a],
                                          intermittent_grid[b], &cand) != 0)
                return -1;
            if (!found || cand.mse < out->mse)
                *out = cand;
            found = true;
        }
    return 0;
}

int forecast_intermittent_forecast(const struct forecast_intermittent_model *mod,
                                   const double *y, size_t n,
                                   struct forecast_output *o)
{
    double *sizes = malloc(n * sizeof *sizes), scale, prob;
    size_t k = 0;
    if (sizes == NULL)
        return FORECAST_E_NOMEM;
    for (size_t t = 0; t < n; t++)
        if (y[t] > 0.0)
            sizes[k++] = y[t];
    forecast_stats_sort(sizes, k);
    prob = fmin(1.0, fmax(mod->prob, 1e-9));
    scale = k ? mod->mean / (prob * forecast_stats_mean(sizes, k)) : 0.0;
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        double tail = (1.0 - o->levels_pct[l] / 100.0) / 2.0;
        double lo = intermittent_quantile(sizes, k, prob, scale, tail);
        double hi = intermittent_quantile(sizes, k, prob, scale,
                                          lo > 0.0 ? 1.0 - tail
                                                   : 1.0 - 2.0 * tail);
        for (int h = 0; h < o->horizon; h++) {
            o->lo[l][h] = lo;
            o->hi[l][h] = hi;
        }
    }
    for (int h = 0; h < o->horizon; h++)
        o->point[h] = mod->mean;
    free(sizes);
    return 0;
}

const char *forecast_intermittent_name(enum forecast_intermittent_kind kind)
{
    switch (kind) {
    case FORECAST_INTERMITTENT_CROSTON:
        return "Croston";
    case FORECAST_INTERMITTENT_SBA:
        return "SBA";
    default:
        return "TSB";
    }
}
