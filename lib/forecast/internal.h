/*
 * lib/forecast/internal.h: the engine's internals, behind the public API of
 * lib/forecast/forecast.h: the one header through which the code above them
 * (forecast.c, which implements the public API, and the engine's unit
 * tests) reaches the method runners, the models and their helpers.
 *
 * Layers inside the engine, each including only those below it:
 *   forecast.c (public API)  ->  internal.h
 *   auto, methods, job       (choosing and running methods for one request)
 *   ets, ets_init, arima, theta, naive, intermittent  (the models)
 *   output, season, optim, linalg, stats, rng  (shared numerics)
 *   types.h                  (limits, methods, error codes)
 * An internal file includes the headers it needs directly, never this one
 * nor forecast.h, so no include points back up.
 *
 * Declarations only, from the headers below; each states its ownership.
 */
#ifndef SENTIA_FORECAST_INTERNAL_H
#define SENTIA_FORECAST_INTERNAL_H

#include "lib/forecast/arima.h"
#include "lib/forecast/auto.h"
#include "lib/forecast/ets.h"
#include "lib/forecast/ets_init.h"
#include "lib/forecast/ets_model.h"
#include "lib/forecast/intermittent.h"
#include "lib/forecast/job.h"
#include "lib/forecast/linalg.h"
#include "lib/forecast/methods.h"
#include "lib/forecast/naive.h"
#include "lib/forecast/optim.h"
#include "lib/forecast/output.h"
#include "lib/forecast/rng.h"
#include "lib/forecast/season.h"
#include "lib/forecast/stats.h"
#include "lib/forecast/theta.h"
#include "lib/forecast/types.h"

#endif
