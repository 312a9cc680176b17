/*
 * api/routes/commands.h: the commands that enqueue a job and answer 202
 * {job_id, queue, type, status_url} (docs/API.md "Commands"):
 *   POST /api/v1/sync/{provider}/{resource}   operator: <provider>.sync_<resource> on `sync`
 *   POST /api/v1/forecasts/run                manager: forecast.run on `forecast`
 *   POST /api/v1/working-capital/compute      manager: working_capital.compute on `forecast`
 * Every job is tracked (queue/track.h) so status_url follows it.
 */
#ifndef SENTIA_API_ROUTES_COMMANDS_H
#define SENTIA_API_ROUTES_COMMANDS_H

#include "api/ctx.h"

void commands_sync(struct api_call *call);
void commands_forecast(struct api_call *call);
void commands_working_capital(struct api_call *call);

#endif
