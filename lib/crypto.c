/*
 * lib/crypto.c: HMAC, hashes, encodings and random ids over OpenSSL
 * (see crypto.h).
 */
#include "lib/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Per-thread state: the id stream (below) and reusable HMAC contexts. It is
 * reached through a thread-local pointer and freed at thread exit by the
 * destructor of one pthread key; the key and its once-flag are the only
 * process-wide objects here, written once.
 *
 * The id stream of one thread is described at crypto_random_id.
 */
enum { CRYPTO_IDS_BLOCK = 4096, CRYPTO_IDS_RESEED = 256 };

struct crypto_ids {
    bool seeded;    /* false in a new mapping and in a forked child */
    bool check_pid; /* MADV_WIPEONFORK refused: compare the pid per id */
    pid_t pid;
    uint32_t blocks;
    size_t used;
    uint8_t key[32], nonce[8];
    uint8_t block[CRYPTO_IDS_BLOCK];
};

enum crypto_mac_kind { CRYPTO_MAC_SHA1, CRYPTO_MAC_SHA256, CRYPTO_MAC_KINDS };

struct crypto_thread {
    struct crypto_ids *ids; /* mmap'd on first id; NULL until then */
    EVP_MAC_CTX *mac[CRYPTO_MAC_KINDS]; /* HMAC contexts, digest set; NULL until used */
    bool registered;        /* the exit destructor is set for this thread */
};

static pthread_once_t crypto_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t crypto_key;
static _Thread_local struct crypto_thread crypto_thread_state;

static void crypto_thread_exit(void *data)
{
    struct crypto_thread *t = data;
    if (t->ids != NULL)
        munmap(t->ids, sizeof *t->ids);
    t->ids = NULL;
    for (size_t i = 0; i < CRYPTO_MAC_KINDS; i++) {
        EVP_MAC_CTX_free(t->mac[i]);
        t->mac[i] = NULL;
    }
}

static void crypto_key_create(void)
{
    if (pthread_key_create(&crypto_key, crypto_thread_exit) != 0)
        abort();
}

static struct crypto_thread *crypto_thread(void)
{
    struct crypto_thread *t = &crypto_thread_state;
    if (!t->registered) {
        pthread_once(&crypto_key_once, crypto_key_create);
        if (pthread_setspecific(crypto_key, t) != 0)
            abort();
        t->registered = true;
    }
    return t;
}

/*
 * HMAC through the thread's context for the digest: HMAC() (EVP_Q_mac in
 * OpenSSL 3) fetches the MAC and the digest by name and builds a context on
 * every call, which cost 1.3 µs against 0.5 µs for re-keying a kept context
 * (a Twilio webhook takes two).
 */
static EVP_MAC_CTX *crypto_mac_ctx(enum crypto_mac_kind kind)
{
    static const char *const digests[CRYPTO_MAC_KINDS] = {"SHA1", "SHA256"};
    struct crypto_thread *t = crypto_thread();
    if (t->mac[kind] != NULL)
        return t->mac[kind];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac); /* the context keeps its own reference */
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digests[kind], 0),
        OSSL_PARAM_construct_end(),
    };
    if (ctx == NULL || EVP_MAC_CTX_set_params(ctx, params) != 1)
        abort();
    t->mac[kind] = ctx;
    return ctx;
}

static void crypto_hmac(enum crypto_mac_kind kind, const void *key, size_t keylen,
                        const void *msg, size_t msglen, uint8_t *out, size_t outlen)
{
    /* An empty key is legal HMAC; OpenSSL wants a non-NULL pointer. */
    static const uint8_t empty;
    EVP_MAC_CTX *ctx = crypto_mac_ctx(kind);
    size_t n = 0;
    if (EVP_MAC_init(ctx, keylen ? key : &empty, keylen, NULL) != 1 ||
        EVP_MAC_update(ctx, msg, msglen) != 1 || EVP_MAC_final(ctx, out, &n, outlen) != 1 ||
        n != outlen)
        abort();
}

void crypto_hmac_sha1(const void *key, size_t keylen, const void *msg,
                      size_t msglen, uint8_t out[CRYPTO_SHA1_LEN])
{
    crypto_hmac(CRYPTO_MAC_SHA1, key, keylen, msg, msglen, out, CRYPTO_SHA1_LEN);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
                        size_t msglen, uint8_t out[CRYPTO_SHA256_LEN])
{
    crypto_hmac(CRYPTO_MAC_SHA256, key, keylen, msg, msglen, out, CRYPTO_SHA256_LEN);
}

void crypto_sha256(const void *msg, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
    unsigned int outlen = 0;
    if (EVP_Digest(msg, len, out, &outlen, EVP_sha256(), NULL) != 1)
        abort();
}

static const char crypto_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t crypto_base64_encode(const void *in, size_t len, char *out)
{
    const uint8_t *p = in;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = crypto_b64[(v >> 18) & 63];
        out[o++] = crypto_b64[(v >> 12) & 63];
        out[o++] = i + 1 < len ? crypto_b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? crypto_b64[v & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

static int crypto_b64_value(char c)
{
    const char *p = c ? strchr(crypto_b64, c) : NULL;
    return p ? (int)(p - crypto_b64) : -1;
}

long crypto_base64_decode(const char *in, size_t len, uint8_t *out)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    long o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = crypto_b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

void crypto_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    if (alen != blen)
        return false;
    return alen == 0 || CRYPTO_memcmp(a, b, alen) == 0;
}

void crypto_random(void *buf, size_t n)
{
    if (RAND_bytes(buf, (int)n) != 1) {
        fprintf(stderr, "crypto: no random bytes available\n");
        abort();
    }
}

/*
 * Ids: a webhook takes two (request and job), and a RAND_bytes call each (the
 * DRBG's locking and fork check in OpenSSL 3) cost more than everything else
 * about an id. Each thread keeps instead a ChaCha20 keystream under a key and
 * nonce from RAND_bytes and hands out its bytes in order, one block of
 * CRYPTO_IDS_BLOCK at a time (block number in the IV); it takes a fresh key
 * every CRYPTO_IDS_RESEED blocks and in a forked child, so no two processes
 * or threads share a stream.
 *
 * The fork check costs nothing per id: the state lives in pages of its own
 * mapped with MADV_WIPEONFORK, so a forked child finds them zeroed (`seeded`
 * false) and re-keys. Comparing getpid() per id instead was a syscall each
 * (~1 µs on a virtualised host, 5 % of a webhook's API time). Where the kernel
 * refuses the advice (< 4.14), `check_pid` keeps the getpid() comparison.
 */
static void crypto_ids_rekey(struct crypto_ids *s)
{
    crypto_random(s->key, sizeof s->key);
    crypto_random(s->nonce, sizeof s->nonce);
    s->pid = s->check_pid ? getpid() : 0;
    s->blocks = 0;
    s->seeded = true;
}

/* The stream needs a key: never seeded, wiped by a fork, or (without the advice) in another pid. */
static bool crypto_ids_unkeyed(const struct crypto_ids *s)
{
    return !s->seeded || (s->check_pid && s->pid != getpid());
}

static void crypto_ids_refill(struct crypto_ids *s)
{
    static const uint8_t zero[CRYPTO_IDS_BLOCK];
    if (crypto_ids_unkeyed(s) || s->blocks >= CRYPTO_IDS_RESEED)
        crypto_ids_rekey(s);
    uint8_t iv[16] = {0}; /* 32-bit block counter 0, then the 96-bit nonce */
    memcpy(iv + 4, &s->blocks, sizeof s->blocks);
    memcpy(iv + 8, s->nonce, sizeof s->nonce);
    s->blocks++;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    if (ctx == NULL || EVP_EncryptInit_ex(ctx, EVP_chacha20(), NULL, s->key, iv) != 1 ||
        EVP_EncryptUpdate(ctx, s->block, &len, zero, sizeof zero) != 1 ||
        len != (int)sizeof zero) {
        fprintf(stderr, "crypto: ChaCha20 unavailable for ids\n");
        abort();
    }
    EVP_CIPHER_CTX_free(ctx);
    s->used = 0;
}

static struct crypto_ids *crypto_ids_map(void)
{
    void *p = mmap(NULL, sizeof(struct crypto_ids), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "crypto: no memory for the id stream\n");
        abort();
    }
    struct crypto_ids *s = p; /* zeroed by mmap: not seeded */
    s->check_pid = madvise(p, sizeof *s, MADV_WIPEONFORK) != 0;
    return s;
}

void crypto_random_id(char out[CRYPTO_ID_HEX_LEN + 1])
{
    struct crypto_thread *t = crypto_thread();
    if (t->ids == NULL)
        t->ids = crypto_ids_map();
    struct crypto_ids *s = t->ids;
    enum { RAW = CRYPTO_ID_HEX_LEN / 2 };
    if (crypto_ids_unkeyed(s) || s->used + RAW > sizeof s->block)
        crypto_ids_refill(s);
    crypto_hex_encode(s->block + s->used, RAW, out);
    s->used += RAW;
}

int crypto_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long crypto_hex_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 2 != 0)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = crypto_hex_value((unsigned char)in[2 * i]);
        int lo = crypto_hex_value((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(len / 2);
}

/* ---- AES-256-GCM -------------------------------------------------------- */

int crypto_aead_key_parse(const char *text, uint8_t key[CRYPTO_AEAD_KEY_LEN])
{
    size_t n = text ? strlen(text) : 0;
    if (n == 2 * CRYPTO_AEAD_KEY_LEN)
        return crypto_hex_decode(text, n, key) == CRYPTO_AEAD_KEY_LEN ? 0 : -1;
    uint8_t raw[64];
    if (n == 0 || n > 48)
        return -1;
    long got = crypto_base64_decode(text, n, raw);
    if (got != CRYPTO_AEAD_KEY_LEN)
        return -1;
    memcpy(key, raw, CRYPTO_AEAD_KEY_LEN);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

/* Runs one GCM pass (seal or open); returns 0, or -1 on any failure. */
static int crypto_gcm(bool seal, const uint8_t *key, const uint8_t *nonce, const void *ad,
                      size_t adlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok = ctx != NULL;
    ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, seal) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, CRYPTO_AEAD_NONCE_LEN, NULL) == 1;
    ok = ok && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, seal) == 1;
    ok = ok && (adlen == 0 || EVP_CipherUpdate(ctx, NULL, &n, ad, (int)adlen) == 1);
    ok = ok && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CRYPTO_AEAD_TAG_LEN, tag) == 1;
    ok = ok && EVP_CipherFinal_ex(ctx, out + (len ? n : 0), &n) == 1;
    if (ok && seal)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CRYPTO_AEAD_TAG_LEN, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

long crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN], const void *ad, size_t adlen,
                      const void *plain, size_t len, uint8_t *out)
{
    if (len > CRYPTO_AEAD_MAX)
        return -1;
    crypto_random(out, CRYPTO_AEAD_NONCE_LEN);
    uint8_t *body = out + CRYPTO_AEAD_NONCE_LEN;
    if (crypto_gcm(true, key, out, ad, adlen, plain, len, body, body + len) != 0)
        return -1;
    return (long)(len + CRYPTO_AEAD_OVERHEAD);
}

long crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN], const void *ad, size_t adlen,
                      const uint8_t *box, size_t box_len, uint8_t *out)
{
    if (box_len < CRYPTO_AEAD_OVERHEAD || box_len - CRYPTO_AEAD_OVERHEAD > CRYPTO_AEAD_MAX)
        return -1;
    size_t len = box_len - CRYPTO_AEAD_OVERHEAD;
    uint8_t tag[CRYPTO_AEAD_TAG_LEN];
    memcpy(tag, box + CRYPTO_AEAD_NONCE_LEN + len, sizeof tag);
    if (crypto_gcm(false, key, box, ad, adlen, box + CRYPTO_AEAD_NONCE_LEN, len, out, tag) != 0) {
        OPENSSL_cleanse(out, len);
        return -1;
    }
    return (long)len;
}
