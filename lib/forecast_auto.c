/*
 * lib/forecast_auto.c: automatic method choice (see forecast_auto.h).
 *
 * Regular series: ETS (chosen by AICc) and Theta are fitted on the whole
 * history; then both are refitted at up to AUTO_MAX_ORIGINS earlier
 * forecast origins (n - h, n - 2h, ...) with the ETS spec held fixed, and
 * the candidate with the smallest total absolute error over those held-out
 * windows wins: ETS alone, Theta alone or their equal-weight average.
 * Without room for a validation window the average is used: combining is
 * the safest default in the forecasting literature (M3, M4).
 */
#include "lib/forecast_auto.h"

#include <math.h>
#include <stdlib.h>

#include "lib/forecast_intermittent.h"
#include "lib/forecast_methods.h"

enum { AUTO_MAX_ORIGINS = 3 };

/* Shortest history a validation fit may use. */
enum { AUTO_MIN_TRAIN = 12 };

/* Candidates in order of preference on ties. */
enum auto_cand { AUTO_COMB = 0, AUTO_ETS, AUTO_THETA, AUTO_NCAND };

static const char *const auto_cand_names[AUTO_NCAND] = {"ETS+Theta", "ETS",
                                                        "Theta"};

/* The two member forecasts on the full history. */
struct auto_members {
    struct forecast_output ets, theta;
};

/* ---- helpers ------------------------------------------------------------ */

static void auto_members_dispose(struct auto_members *mb)
{
    forecast_output_dispose(&mb->ets);
    forecast_output_dispose(&mb->theta);
}

/* Runs ETS and Theta on job into fresh outputs of the given horizon.
 * Returns 0 or FORECAST_E_NOMEM (mb is then disposed). */
static int auto_run_members(struct forecast_job *job, int horizon,
                            const double *levels, struct auto_members *mb)
{
    int rc = forecast_output_init(&mb->ets, horizon, levels);
    if (rc == 0)
        rc = forecast_output_init(&mb->theta, horizon, levels);
    if (rc == 0)
        rc = forecast_methods_ets(job, &mb->ets);
    if (rc == 0)
        rc = forecast_methods_theta(job, &mb->theta);
    if (rc != 0)
        auto_members_dispose(mb);
    return rc;
}

/* Adds the absolute errors of each candidate against y[from ..] to score. */
static void auto_score(const struct auto_members *mb, const double *y,
                       size_t from, double *score)
{
    for (int h = 0; h < mb->ets.horizon; h++) {
        double a = y[from + (size_t)h];
        double e = mb->ets.point[h], t = mb->theta.point[h];
        score[AUTO_ETS] += fabs(a - e);
        score[AUTO_THETA] += fabs(a - t);
        score[AUTO_COMB] += fabs(a - 0.5 * (e + t));
    }
}

/*
 * Refits the members at earlier origins and accumulates their held-out
 * absolute errors in score. Stores the number of origins used. Returns 0
 * or FORECAST_E_NOMEM.
 */
static int auto_validate(const struct forecast_job *job, int horizon,
                         const double *levels, double *score, int *origins)
{
    struct forecast_job *sub = malloc(sizeof *sub);
    size_t h = (size_t)horizon, min_train = 2 * (size_t)job->m;
    int rc = 0;
    if (sub == NULL)
        return FORECAST_E_NOMEM;
    if (min_train < AUTO_MIN_TRAIN)
        min_train = AUTO_MIN_TRAIN;
    *origins = 0;
    for (size_t j = 1; j <= AUTO_MAX_ORIGINS && j * h + min_train <= job->n;
         j++) {
        struct auto_members mb;
        *sub = *job;
        sub->n = job->n - j * h;
        sub->quiet = sub->points_only = sub->fixed_ets = true;
        rc = auto_run_members(sub, horizon, levels, &mb);
        if (rc != 0)
            break;
        auto_score(&mb, job->y, sub->n, score);
        auto_members_dispose(&mb);
        (*origins)++;
    }
    free(sub);
    return rc;
}

/* Intermittent candidates: the SBC choice (Croston or SBA), TSB, and a
 * level-only model (simple exponential smoothing). */
enum auto_icand { AUTO_I_SBC = 0, AUTO_I_TSB, AUTO_I_SES, AUTO_I_NCAND };

/* In-sample one-step mean squared error of candidate c with its own
 * fitted constants; HUGE_VAL when it cannot be fitted. */
static double auto_intermittent_mse(const double *y, size_t n,
                                    enum forecast_intermittent_kind sbc,
                                    enum auto_icand c)
{
    struct forecast_intermittent_model im;
    struct forecast_ets_model em;
    struct forecast_ets_spec ses = {FORECAST_ETS_A, FORECAST_ETS_N,
                                    FORECAST_ETS_N};
    if (c == AUTO_I_SES)
        return forecast_ets_fit(y, n, 1, ses, &em) == 0 ? em.mse : HUGE_VAL;
    if (forecast_intermittent_fit(y, n, c == AUTO_I_TSB
                                            ? FORECAST_INTERMITTENT_TSB
                                            : sbc, &im) != 0)
        return HUGE_VAL;
    return im.mse;
}

/*
 * Intermittent branch. The SBC classification (ADI, CV^2) names the
 * Croston-family candidate; it competes with TSB, which lets the demand
 * probability decay when demand stops, and with SES, on in-sample
 * one-step mean squared error (squared, because the mean is what a
 * replenishment forecast needs; one-step, because held-out windows of a
 * few epidemic-like bursts proved too noisy to choose by).
 */
static int auto_intermittent(struct forecast_job *job,
                             const struct forecast_intermittent_pattern *pat,
                             struct forecast_output *out)
{
    static const char *const names[AUTO_I_NCAND] = {"SBC", "TSB", "SES"};
    enum forecast_intermittent_kind sbc = forecast_intermittent_classify(pat);
    double score[AUTO_I_NCAND];
    int best = AUTO_I_SBC;
    forecast_job_note(job, "auto: intermittent demand (ADI %.3f >= %.2f, "
                      "CV2 %.3f): SBC suggests %s", pat->adi,
                      FORECAST_INTERMITTENT_ADI_CUT, pat->cv2,
                      forecast_intermittent_name(sbc));
    for (int c = 0; c < AUTO_I_NCAND; c++) {
        score[c] = auto_intermittent_mse(job->y, job->n, sbc, c);
        if (score[c] < score[best])
            best = c;
    }
    forecast_job_note(job, "auto: in-sample one-step MSE: %s %.6g, TSB "
                      "%.6g, SES %.6g; chose %s",
                      forecast_intermittent_name(sbc), score[0], score[1],
                      score[2], names[best]);
    if (best == AUTO_I_SES) {
        job->fixed_ets = true;
        job->ets_spec = (struct forecast_ets_spec){
            FORECAST_ETS_A, FORECAST_ETS_N, FORECAST_ETS_N};
        return forecast_methods_ets(job, out);
    }
    return forecast_methods_intermittent(
        job, best == AUTO_I_TSB ? FORECAST_INTERMITTENT_TSB : sbc, out);
}

/* Index of the lowest score (first wins ties). */
static enum auto_cand auto_best(const double *score)
{
    int best = 0;
    for (int c = 1; c < AUTO_NCAND; c++)
        if (score[c] < score[best])
            best = c;
    return (enum auto_cand)best;
}

/* Writes the chosen candidate's forecasts into out and labels the job. */
static void auto_emit(struct forecast_job *job, enum auto_cand pick,
                      const struct auto_members *mb, const char *ets_label,
                      struct forecast_output *out)
{
    static const double half[2] = {0.5, 0.5};
    struct forecast_output both[2] = {mb->ets, mb->theta};
    if (pick == AUTO_ETS) {
        forecast_output_copy(out, &mb->ets);
        forecast_job_model(job, "%s", ets_label);
        job->chosen = FORECAST_ETS;
    } else if (pick == AUTO_THETA) {
        forecast_output_copy(out, &mb->theta);
        forecast_job_model(job, "Theta");
        job->chosen = FORECAST_THETA;
    } else {
        forecast_output_combine(out, both, half, 2);
        forecast_job_model(job, "%s+Theta", ets_label);
        job->chosen = FORECAST_AUTO;
    }
}

/* Regular branch: members on the full history, choice by validation. */
static int auto_regular(struct forecast_job *job, struct forecast_output *out)
{
    struct auto_members mb;
    double score[AUTO_NCAND] = {0};
    char ets_label[FORECAST_JOB_MODEL_MAX];
    enum auto_cand pick = AUTO_COMB;
    int origins = 0, rc;
    rc = auto_run_members(job, out->horizon, out->levels_pct, &mb);
    if (rc != 0)
        return rc;
    forecast_ets_label(job->ets_spec, ets_label, sizeof ets_label);
    rc = auto_validate(job, out->horizon, out->levels_pct, score, &origins);
    if (rc == 0) {
        if (origins > 0)
            pick = auto_best(score);
        if (origins > 0)
            forecast_job_note(job, "auto: held-out MAE over %d origin(s) of "
                              "%d steps: ETS+Theta %.6g, ETS %.6g, Theta "
                              "%.6g", origins, out->horizon,
                              score[AUTO_COMB] / (origins * out->horizon),
                              score[AUTO_ETS] / (origins * out->horizon),
                              score[AUTO_THETA] / (origins * out->horizon));
        else
            forecast_job_note(job, "auto: too short to hold out %d steps; "
                              "combining", out->horizon);
        forecast_job_note(job, "auto: chose %s", auto_cand_names[pick]);
        auto_emit(job, pick, &mb, ets_label, out);
    }
    auto_members_dispose(&mb);
    return rc;
}

/* ---- API ---------------------------------------------------------------- */

int forecast_auto_run(struct forecast_job *job, struct forecast_output *out)
{
    struct forecast_intermittent_pattern pat;
    forecast_intermittent_pattern(job->y, job->n, &pat);
    if (pat.adi >= FORECAST_INTERMITTENT_ADI_CUT)
        return auto_intermittent(job, &pat, out);
    forecast_job_note(job, "auto: regular demand (ADI %.3f)", pat.adi);
    return auto_regular(job, out);
}
