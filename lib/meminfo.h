/*
 * lib/meminfo.h: this process's memory and the instance's, for the API's
 * /metrics and health documents and the workers' registry entries
 * (docs/OPERATIONS.md: sentia_process_resident_memory_bytes,
 * sentia_memory_limit_bytes, sentia_worker_*_memory_bytes). Reads /proc and
 * /sys; no state.
 */
#ifndef SENTIA_LIB_MEMINFO_H
#define SENTIA_LIB_MEMINFO_H

#include <stdint.h>

/* Resident set size of this process in bytes (/proc/self/statm); 0 if unknown. */
int64_t meminfo_rss_bytes(void);
/* The instance's memory: cgroup v2 memory.max (v1 memory.limit_in_bytes),
 * MemTotal of /proc/meminfo when the cgroup sets no lower limit; -1 if none. */
int64_t meminfo_limit_bytes(void);

#endif
