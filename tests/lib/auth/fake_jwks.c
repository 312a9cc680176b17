/*
 * tests/lib/auth/fake_jwks.c: the fake JWKS server as a child process (see
 * fake_jwks.h). Killed with SIGTERM when the test binary exits.
 */
#include "tests/lib/auth/fake_jwks.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t fake_pid;
static int fake_port = -1;
static char fake_url[128];

__attribute__((destructor)) static void fake_jwks_stop(void)
{
    if (fake_pid > 0) {
        kill(fake_pid, SIGTERM);
        waitpid(fake_pid, NULL, 0);
    }
}

int fake_jwks_start(void)
{
    if (fake_port > 0)
        return fake_port;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fake_pid = fork();
    if (fake_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execl("/usr/bin/python3", "python3", SENTIA_SOURCE_ROOT "/tests/fakes/jwks.py", NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[128] = "";
    if (f == NULL || fgets(line, sizeof line, f) == NULL ||
        sscanf(line, "{\"port\": %d}", &fake_port) != 1)
        fake_port = -1;
    if (f != NULL)
        fclose(f);
    snprintf(fake_url, sizeof fake_url, "http://127.0.0.1:%d/.well-known/jwks.json", fake_port);
    return fake_port;
}

const char *fake_jwks_url(void)
{
    return fake_url;
}

static size_t fake_discard(char *p, size_t s, size_t n, void *u)
{
    (void)p, (void)u;
    return s * n;
}

int fake_jwks_post(const char *what, const char *body)
{
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/_fake/%s", fake_port, what);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fake_discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    long status = 0;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return (int)status;
}
