/*
 * lib/meminfo.c: process and instance memory from /proc and /sys (see meminfo.h).
 */
#include "lib/meminfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int64_t meminfo_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long long size = 0, resident = 0;
    if (f == NULL)
        return 0;
    if (fscanf(f, "%lld %lld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return (int64_t)resident * sysconf(_SC_PAGESIZE);
}

/* A number from a one-line file; -1 when absent or "max". */
static int64_t meminfo_read_limit(const char *path)
{
    FILE *f = fopen(path, "r");
    char text[64] = "";
    if (f == NULL)
        return -1;
    if (fgets(text, sizeof text, f) == NULL)
        text[0] = '\0';
    fclose(f);
    char *end;
    long long v = strtoll(text, &end, 10);
    return end == text || v <= 0 ? -1 : (int64_t)v;
}

int64_t meminfo_limit_bytes(void)
{
    int64_t total = -1, v2 = meminfo_read_limit("/sys/fs/cgroup/memory.max");
    int64_t v1 = meminfo_read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "MemTotal:", 9) == 0)
            total = strtoll(line + 9, NULL, 10) * 1024;
    if (f != NULL)
        fclose(f);
    int64_t cg = v2 > 0 ? v2 : v1; /* v1 says "unlimited" with a huge number */
    return cg > 0 && (total <= 0 || cg < total) ? cg : total;
}

