/*
 * lib/forecast/rng.h: a small deterministic random generator for simulated
 * prediction intervals (xoshiro256** seeded through splitmix64).
 *
 * Invariants: the state lives in the caller's struct (no global state), so
 * each forecast owns its generator and threads never share one. A seed
 * always gives the same sequence on every platform.
 */
#ifndef SENTIA_FORECAST_RNG_H
#define SENTIA_FORECAST_RNG_H

#include <stddef.h>
#include <stdint.h>

struct forecast_rng {
    uint64_t s[4];
};

/* Seeds the generator; any 64-bit seed (0 included) is valid. */
void forecast_rng_seed(struct forecast_rng *rng, uint64_t seed);

/* Seed derived from the bytes of a series, so a forecast is reproducible
 * for the same data yet differs between series. */
uint64_t forecast_rng_hash(const double *values, size_t n);

/* Uniform double in (0, 1), never exactly 0 or 1. */
double forecast_rng_uniform(struct forecast_rng *rng);

/* Standard normal deviate (polar method; the spare value is discarded so
 * the state stays one plain struct). */
double forecast_rng_normal(struct forecast_rng *rng);

#endif
