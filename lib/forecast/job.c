/*
 * lib/forecast/job.c: explanation and label writing for a forecast job
 * (see forecast_job.h).
 */
#include "lib/forecast/job.h"

#include <stdarg.h>
#include <stdio.h>

void forecast_job_note(struct forecast_job *job, const char *fmt, ...)
{
    size_t room = sizeof job->explain - job->explain_len;
    va_list ap;
    int w;
    if (room < 2 || job->quiet)
        return;
    va_start(ap, fmt);
    w = vsnprintf(job->explain + job->explain_len, room - 1, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    job->explain_len += (size_t)w < room - 1 ? (size_t)w : room - 2;
    job->explain[job->explain_len++] = '\n';
    job->explain[job->explain_len] = '\0';
}

void forecast_job_model(struct forecast_job *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->model, sizeof job->model, fmt, ap);
    va_end(ap);
}
