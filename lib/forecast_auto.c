/*
 * lib/forecast_auto.c: automatic method choice (see forecast_auto.h).
 */
#include "lib/forecast_auto.h"

#include "lib/forecast_intermittent.h"
#include "lib/forecast_methods.h"

typedef int (*auto_runner)(struct forecast_job *, struct forecast_output *);

enum { AUTO_MAX_MEMBERS = 4 };

/* Runs each runner into its own output and averages them into out with
 * equal weights. Returns 0 or FORECAST_E_NOMEM. */
static int auto_combine(struct forecast_job *job, const auto_runner *runners,
                        int k, struct forecast_output *out)
{
    struct forecast_output parts[AUTO_MAX_MEMBERS] = {{0}};
    double weights[AUTO_MAX_MEMBERS];
    int rc = 0;
    for (int i = 0; i < k && rc == 0; i++) {
        rc = forecast_output_init(&parts[i], out->horizon, out->levels_pct);
        if (rc == 0)
            rc = runners[i](job, &parts[i]);
        weights[i] = 1.0 / k;
    }
    if (rc == 0)
        forecast_output_combine(out, parts, weights, k);
    for (int i = 0; i < k; i++)
        forecast_output_dispose(&parts[i]);
    return rc;
}

/* Intermittent branch: the SBC classification picks Croston or SBA. */
static int auto_intermittent(struct forecast_job *job,
                             const struct forecast_intermittent_pattern *pat,
                             struct forecast_output *out)
{
    enum forecast_intermittent_kind kind = forecast_intermittent_classify(pat);
    forecast_job_note(job, "auto: intermittent demand (ADI %.3f >= %.2f)",
                      pat->adi, FORECAST_INTERMITTENT_ADI_CUT);
    return forecast_methods_intermittent(job, kind, out);
}

int forecast_auto_run(struct forecast_job *job, struct forecast_output *out)
{
    static const auto_runner members[] = {forecast_methods_ets,
                                          forecast_methods_theta};
    struct forecast_intermittent_pattern pat;
    int rc;
    forecast_intermittent_pattern(job->y, job->n, &pat);
    if (pat.adi >= FORECAST_INTERMITTENT_ADI_CUT)
        return auto_intermittent(job, &pat, out);
    forecast_job_note(job, "auto: regular demand; combining ETS and Theta");
    rc = auto_combine(job, members, 2, out);
    if (rc == 0) {
        forecast_job_model(job, "ETS+Theta");
        job->chosen = FORECAST_AUTO;
    }
    return rc;
}
