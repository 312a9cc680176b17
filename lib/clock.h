/*
 * lib/clock.h: the two clocks Sentia uses. Wall time (epoch ms) is what goes
 * into Redis (job due times, heartbeats) because several hosts compare it;
 * monotonic time measures durations and deadlines inside one process.
 */
#ifndef SENTIA_LIB_CLOCK_H
#define SENTIA_LIB_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);  /* ms since the Unix epoch */
int64_t clock_wall_us(void);  /* µs since the Unix epoch (latency between hosts' clocks) */
uint64_t clock_mono_us(void); /* µs since an arbitrary start */
uint64_t clock_mono_ms(void);

#endif
