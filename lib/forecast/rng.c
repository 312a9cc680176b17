/*
 * lib/forecast/rng.c: xoshiro256** (Blackman & Vigna) seeded by splitmix64,
 * plus a normal deviate. See forecast_rng.h for the invariants.
 */
#include "lib/forecast/rng.h"

#include <math.h>
#include <string.h>

static uint64_t rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_next(struct forecast_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rng_rotl(s[3], 45);
    return result;
}

void forecast_rng_seed(struct forecast_rng *rng, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        rng->s[i] = rng_splitmix(&seed);
}

/* FNV-1a over the bit patterns of the values. */
uint64_t forecast_rng_hash(const double *values, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        for (int b = 0; b < 8; b++) {
            h ^= (bits >> (8 * b)) & 0xffu;
            h *= 0x100000001b3ULL;
        }
    }
    return h;
}

double forecast_rng_uniform(struct forecast_rng *rng)
{
    return ((double)(rng_next(rng) >> 11) + 0.5) * 0x1.0p-53;
}

double forecast_rng_normal(struct forecast_rng *rng)
{
    double u, v, s;
    do {
        u = 2.0 * forecast_rng_uniform(rng) - 1.0;
        v = 2.0 * forecast_rng_uniform(rng) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}
