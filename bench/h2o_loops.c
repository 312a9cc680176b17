/*
 * bench/h2o_loops.c: the same tiny HTTP server built twice, on h2o's libuv
 * build (h2o_loops_uv) and on its own event loop (h2o_loops_evloop,
 * -DH2O_USE_EPOLL=1), so bench/loops.sh can tell what the loop itself costs
 * a request that answers at once and one that waits on Redis (issue 15).
 *
 *   GET  /health  200 "ok" in the handler (no I/O)
 *   POST /hook    LPUSH <key> <body> to Redis, 200 once Redis replied
 *
 * Each thread has its own loop, an SO_REUSEPORT listener on the port and one
 * Redis connection opened through h2o's own socket API (so both builds do
 * the same work). Commands of one loop turn go out in one write, from the
 * context's zero timeout (as Sentia's group commit sends once per turn);
 * while a write is in flight the next ones collect in a second buffer. hiredis only formats commands and
 * parses replies. A benchmark aid, not a server: no reconnect, no limits.
 *
 * Usage: h2o_loops PORT REDIS_PORT [THREADS] ; REDIS_PASSWORD from the environment.
 */
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <h2o.h>
#if H2O_USE_LIBUV
#include <h2o/socket/uv-binding.h>
#else
#include <h2o/socket/evloop.h>
#endif

enum { LOOPS_FIFO = 1 << 16, LOOPS_THREADS_MAX = 16 };

struct loops_thread {
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_loop_t *loop;
    int listen_fd;
    h2o_socket_t *redis;
    bool connected; /* h2o's connect callback holds the write slot until then */
    redisReader *reader;
    h2o_timeout_entry_t turn_end; /* on the context's zero timeout while commands wait */
    h2o_iovec_t writing, next; /* malloc'd; writing is in flight when .base != NULL */
    size_t next_cap;
    h2o_req_t *fifo[LOOPS_FIFO]; /* requests waiting for their reply, in order; NULL = AUTH */
    size_t head, tail;
};

static struct {
    h2o_globalconf_t config;
    int port, redis_port;
    const char *password;
} loops;

static struct loops_thread *loops_of(h2o_req_t *req)
{
    return (struct loops_thread *)req->conn->ctx;
}

/* ---- Redis through an h2o socket ---------------------------------------- */

static void loops_flush(struct loops_thread *t);

static void loops_on_written(h2o_socket_t *sock, const char *err)
{
    struct loops_thread *t = sock->data;
    if (err != NULL) {
        fprintf(stderr, "h2o_loops: redis write: %s\n", err);
        exit(1);
    }
    free(t->writing.base);
    t->writing = h2o_iovec_init(NULL, 0);
    loops_flush(t);
}

static void loops_flush(struct loops_thread *t)
{
    if (t->writing.base != NULL || t->next.len == 0 || !t->connected)
        return;
    t->writing = t->next;
    t->next = h2o_iovec_init(NULL, 0);
    t->next_cap = 0;
    h2o_socket_write(t->redis, &t->writing, 1, loops_on_written);
}

static void loops_command(struct loops_thread *t, h2o_req_t *req, const char *cmd, size_t len)
{
    if (t->next.len + len > t->next_cap) {
        t->next_cap = (t->next.len + len) * 2;
        t->next.base = realloc(t->next.base, t->next_cap);
    }
    memcpy(t->next.base + t->next.len, cmd, len);
    t->next.len += len;
    t->fifo[t->tail++ % LOOPS_FIFO] = req;
    if (!h2o_timeout_is_linked(&t->turn_end))
        h2o_timeout_link(t->loop, &t->ctx.zero_timeout, &t->turn_end);
}

/* After this turn's events (both builds run zero timeouts then): one write. */
static void loops_on_turn_end(h2o_timeout_entry_t *entry)
{
    loops_flush(H2O_STRUCT_FROM_MEMBER(struct loops_thread, turn_end, entry));
}

static void loops_answer(h2o_req_t *req)
{
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/plain"));
    h2o_send_inline(req, H2O_STRLIT("ok")); /* starts the response itself */
}

static void loops_on_redis_read(h2o_socket_t *sock, const char *err)
{
    struct loops_thread *t = sock->data;
    if (err != NULL) {
        fprintf(stderr, "h2o_loops: redis read: %s\n", err);
        exit(1);
    }
    redisReaderFeed(t->reader, sock->input->bytes, sock->input->size);
    h2o_buffer_consume(&sock->input, sock->input->size);
    void *reply = NULL;
    while (redisReaderGetReply(t->reader, &reply) == REDIS_OK && reply != NULL) {
        h2o_req_t *req = t->fifo[t->head++ % LOOPS_FIFO];
        if (((redisReply *)reply)->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "h2o_loops: redis: %s\n", ((redisReply *)reply)->str);
            exit(1);
        }
        freeReplyObject(reply);
        if (req != NULL)
            loops_answer(req);
    }
}

static void loops_on_connect(h2o_socket_t *sock, const char *err)
{
    struct loops_thread *t = sock->data;
    if (err != NULL) {
        fprintf(stderr, "h2o_loops: redis connect: %s\n", err);
        exit(1);
    }
    t->connected = true;
    h2o_socket_read_start(sock, loops_on_redis_read);
    loops_flush(t);
}

static void loops_redis_open(struct loops_thread *t)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)loops.redis_port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    t->reader = redisReaderCreate();
    t->redis = h2o_socket_connect(t->loop, (struct sockaddr *)&sin, sizeof sin, loops_on_connect);
    if (t->redis == NULL) {
        fprintf(stderr, "h2o_loops: cannot connect to redis\n");
        exit(1);
    }
    t->redis->data = t;
    if (loops.password != NULL) {
        char *cmd = NULL;
        int len = redisFormatCommand(&cmd, "AUTH %s", loops.password);
        loops_command(t, NULL, cmd, (size_t)len);
        redisFreeCommand(cmd);
    }
}

/* ---- HTTP ----------------------------------------------------------------- */

static int loops_on_req(h2o_handler_t *self, h2o_req_t *req)
{
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        h2o_memis(req->path_normalized.base, req->path_normalized.len, H2O_STRLIT("/health"))) {
        loops_answer(req);
        return 0;
    }
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        return -1;
    char *cmd = NULL;
    int len = redisFormatCommand(&cmd, "LPUSH loops:hook %b", req->entity.base, req->entity.len);
    loops_command(loops_of(req), req, cmd, (size_t)len);
    redisFreeCommand(cmd);
    return 0;
}

static int loops_listen_fd(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)loops.port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 || listen(fd, SOMAXCONN) != 0) {
        perror("h2o_loops: listen");
        exit(1);
    }
    return fd;
}

#if H2O_USE_LIBUV
static void loops_on_accept(uv_stream_t *listener, int status)
{
    struct loops_thread *t = listener->data;
    if (status != 0)
        return;
    uv_tcp_t *conn = malloc(sizeof *conn);
    uv_tcp_init(listener->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    h2o_accept(&t->accept, h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free));
}

static void loops_run(struct loops_thread *t)
{
    uv_tcp_t listener;
    uv_tcp_init(t->loop, &listener);
    listener.data = t;
    if (uv_tcp_open(&listener, t->listen_fd) != 0 ||
        uv_listen((uv_stream_t *)&listener, SOMAXCONN, loops_on_accept) != 0)
        exit(1);
    uv_run(t->loop, UV_RUN_DEFAULT);
}

static h2o_loop_t *loops_loop_create(void)
{
    uv_loop_t *loop = malloc(sizeof *loop);
    uv_loop_init(loop);
    return loop;
}
#else
static void loops_on_accept(h2o_socket_t *listener, const char *err)
{
    struct loops_thread *t = listener->data;
    h2o_socket_t *sock = err == NULL ? h2o_evloop_socket_accept(listener) : NULL;
    if (sock != NULL)
        h2o_accept(&t->accept, sock);
}

static void loops_run(struct loops_thread *t)
{
    h2o_socket_t *listener = h2o_evloop_socket_create(t->loop, t->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    listener->data = t;
    h2o_socket_read_start(listener, loops_on_accept);
    for (;;)
        h2o_evloop_run(t->loop, INT32_MAX);
}

static h2o_loop_t *loops_loop_create(void)
{
    return h2o_evloop_create();
}
#endif

static void *loops_thread_main(void *data)
{
    struct loops_thread *t = data;
    t->loop = loops_loop_create();
    h2o_context_init(&t->ctx, t->loop, &loops.config);
    t->accept.ctx = &t->ctx;
    t->accept.hosts = loops.config.hosts;
    t->turn_end.cb = loops_on_turn_end;
    t->listen_fd = loops_listen_fd();
    loops_redis_open(t);
    loops_run(t);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORT REDIS_PORT [THREADS]\n", argv[0]);
        return 2;
    }
    loops.port = atoi(argv[1]);
    loops.redis_port = atoi(argv[2]);
    loops.password = getenv("REDIS_PASSWORD");
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (threads < 1 || threads > LOOPS_THREADS_MAX)
        threads = 2;
    signal(SIGPIPE, SIG_IGN);
    h2o_config_init(&loops.config);
    h2o_hostconf_t *host = h2o_config_register_host(&loops.config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = loops_on_req;
    pthread_t tid[LOOPS_THREADS_MAX];
    for (int i = 0; i < threads; i++)
        pthread_create(&tid[i], NULL, loops_thread_main, calloc(1, sizeof(struct loops_thread)));
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    return 0;
}
