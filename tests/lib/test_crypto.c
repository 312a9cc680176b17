/*
 * tests/lib/test_crypto.c: HMAC, SHA-256, base64/hex and constant-time
 * equality against published vectors (RFC 2202, RFC 4231, FIPS 180-2) and
 * the providers' webhook vectors from shared/external-apis.md.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "tests/test.h"

static void b64(const uint8_t *d, size_t n, char *out)
{
    crypto_base64_encode(d, n, out);
}

TEST(hmac_sha1_rfc2202)
{
    uint8_t mac[CRYPTO_SHA1_LEN];
    char hex[41];
    crypto_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, mac);
    crypto_hex_encode(mac, sizeof mac, hex);
    CHECK_STR(hex, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(hmac_sha256_rfc4231)
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    char hex[65];
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
    crypto_hex_encode(mac, sizeof mac, hex);
    CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(sha256_abc)
{
    uint8_t d[CRYPTO_SHA256_LEN];
    char hex[65];
    crypto_sha256("abc", 3, d);
    crypto_hex_encode(d, sizeof d, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(twilio_vector)
{
    const char *data = "https://mycompany.com/myapp.php?foo=1&bar=2"
                       "CallSidCA1234567890ABCDECaller+14158675309Digits1234"
                       "From+14158675309To+18005551212";
    uint8_t mac[CRYPTO_SHA1_LEN];
    char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA1_LEN)];
    crypto_hmac_sha1("12345", 5, data, strlen(data), mac);
    b64(mac, sizeof mac, out);
    CHECK_STR(out, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
}

TEST(shopify_and_xero_vectors)
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
    const char *body = "{\"foo\": \"bar\"}";
    crypto_hmac_sha256("test_secret_key", 15, body, strlen(body), mac);
    b64(mac, sizeof mac, out);
    CHECK_STR(out, "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
    const char *xero = "{\"events\":[],\"firstEventSequence\":0,\"lastEventSequence\":0,"
                       "\"entropy\":\"S0m3r4Nd0mt3xt\"}";
    crypto_hmac_sha256("test_webhook_key", 16, xero, strlen(xero), mac);
    b64(mac, sizeof mac, out);
    CHECK_STR(out, "kag72VflOGCsBmRZ81S1v8c36JlXM42Ff/0ooktu2oE=");
}

TEST(unleashed_vector_empty_query)
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
    crypto_hmac_sha256("test_api_key", 12, "", 0, mac);
    b64(mac, sizeof mac, out);
    CHECK_STR(out, "aVOeI0fuXxY9y9D0CnBt9YGWSM1TcwGipP//xFVnSOw=");
}

TEST(base64_round_trip_and_rejects)
{
    uint8_t raw[8] = {0, 1, 2, 250, 251, 252, 253, 254};
    char text[CRYPTO_BASE64_SIZE(8)];
    uint8_t back[8];
    for (size_t n = 0; n <= 8; n++) {
        crypto_base64_encode(raw, n, text);
        CHECK_INT(crypto_base64_decode(text, strlen(text), back), (long)n);
        CHECK(memcmp(raw, back, n) == 0);
    }
    CHECK_INT(crypto_base64_decode("ab$d", 4, back), -1);
    CHECK_INT(crypto_base64_decode("a", 1, back), -1);
}

TEST(constant_time_equal)
{
    CHECK(crypto_equal("abc", 3, "abc", 3));
    CHECK(!crypto_equal("abc", 3, "abd", 3));
    CHECK(!crypto_equal("abc", 3, "abcd", 4));
    CHECK(crypto_equal("", 0, "", 0));
}

TEST(random_ids_are_hex_and_distinct)
{
    char a[CRYPTO_ID_HEX_LEN + 1], b[CRYPTO_ID_HEX_LEN + 1];
    crypto_random_id(a);
    crypto_random_id(b);
    CHECK_INT(strlen(a), 32);
    CHECK(strspn(a, "0123456789abcdef") == 32);
    CHECK(strcmp(a, b) != 0);
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Past a re-key (64 Ki ids per key): no id twice, every one 32 hex digits. */
TEST(random_ids_distinct_across_blocks_and_keys)
{
    enum { N = 70000 };
    char(*ids)[CRYPTO_ID_HEX_LEN + 1] = malloc(N * sizeof *ids);
    CHECK(ids != NULL);
    for (size_t i = 0; i < N; i++)
        crypto_random_id(ids[i]);
    qsort(ids, N, sizeof *ids, id_cmp);
    size_t bad = 0;
    for (size_t i = 0; i < N; i++)
        bad += strspn(ids[i], "0123456789abcdef") != 32 || (i > 0 && strcmp(ids[i - 1], ids[i]) == 0);
    free(ids);
    CHECK_INT(bad, 0);
}

/* A forked child does not repeat the parent's next ids. */
TEST(random_ids_differ_after_fork)
{
    char mine[CRYPTO_ID_HEX_LEN + 1], theirs[CRYPTO_ID_HEX_LEN + 1] = "";
    int fds[2];
    crypto_random_id(mine); /* the stream is seeded before the fork */
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char id[CRYPTO_ID_HEX_LEN + 1];
        crypto_random_id(id);
        _exit(write(fds[1], id, sizeof id) == (ssize_t)sizeof id ? 0 : 1);
    }
    crypto_random_id(mine);
    CHECK(read(fds[0], theirs, sizeof theirs) == (ssize_t)sizeof theirs);
    int status = 0;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    CHECK(strcmp(mine, theirs) != 0);
}

static void *ids_thread(void *out)
{
    crypto_random_id(out); /* maps the thread's stream; its exit unmaps it */
    uint8_t mac[CRYPTO_SHA1_LEN], again[CRYPTO_SHA1_LEN];
    crypto_hmac_sha1("k", 1, "m", 1, mac); /* the thread's HMAC context, freed at exit */
    crypto_hmac_sha1("k", 1, "m", 1, again);
    return memcmp(mac, again, sizeof mac) == 0 ? out : NULL;
}

/* Threads that come and go each get a stream (and HMAC contexts) of their own. */
TEST(random_ids_distinct_across_threads)
{
    enum { N = 8 };
    char ids[N][CRYPTO_ID_HEX_LEN + 1];
    for (size_t i = 0; i < N; i++) {
        pthread_t th;
        CHECK(pthread_create(&th, NULL, ids_thread, ids[i]) == 0);
        void *ret = NULL;
        CHECK(pthread_join(th, &ret) == 0);
        CHECK(ret == ids[i]);
    }
    qsort(ids, N, sizeof ids[0], id_cmp);
    for (size_t i = 1; i < N; i++)
        CHECK(strcmp(ids[i - 1], ids[i]) != 0);
}

/* ---- AES-256-GCM ---------------------------------------------------------- */

static const char aead_hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(aead_key_parse_hex_and_base64)
{
    uint8_t a[CRYPTO_AEAD_KEY_LEN], b[CRYPTO_AEAD_KEY_LEN];
    char b64text[CRYPTO_BASE64_SIZE(CRYPTO_AEAD_KEY_LEN)];
    CHECK_INT(crypto_aead_key_parse(aead_hex_key, a), 0);
    CHECK_INT(a[0], 0);
    CHECK_INT(a[31], 0x1f);
    crypto_base64_encode(a, sizeof a, b64text);
    CHECK_INT(crypto_aead_key_parse(b64text, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_INT(crypto_aead_key_parse("short", a), -1);
    CHECK_INT(crypto_aead_key_parse("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", a), -1);
    CHECK_INT(crypto_aead_key_parse("AAAA", a), -1); /* base64 of 3 bytes */
}

/* Round trip, and every way a box must be refused. */
TEST(aead_round_trip_tamper_wrong_ad)
{
    uint8_t key[CRYPTO_AEAD_KEY_LEN], box[64 + CRYPTO_AEAD_OVERHEAD], out[64];
    const char *msg = "refresh-token-value";
    size_t len = strlen(msg);
    CHECK_INT(crypto_aead_key_parse(aead_hex_key, key), 0);
    long n = crypto_aead_seal(key, "xero/t1", 7, msg, len, box);
    CHECK_INT(n, (long)(len + CRYPTO_AEAD_OVERHEAD));
    CHECK_INT(crypto_aead_open(key, "xero/t1", 7, box, (size_t)n, out), (long)len);
    CHECK(memcmp(out, msg, len) == 0);
    /* other associated data: refused */
    CHECK_INT(crypto_aead_open(key, "xero/t2", 7, box, (size_t)n, out), -1);
    /* a flipped ciphertext bit, tag bit or nonce bit: refused */
    for (size_t i = 0; i < (size_t)n; i += 7) {
        box[i] ^= 1;
        CHECK_INT(crypto_aead_open(key, "xero/t1", 7, box, (size_t)n, out), -1);
        box[i] ^= 1;
    }
    /* another key: refused; truncated: refused */
    key[0] ^= 0x80;
    CHECK_INT(crypto_aead_open(key, "xero/t1", 7, box, (size_t)n, out), -1);
    key[0] ^= 0x80;
    CHECK_INT(crypto_aead_open(key, "xero/t1", 7, box, CRYPTO_AEAD_OVERHEAD - 1, out), -1);
    /* two seals of the same text differ (fresh nonce) */
    uint8_t box2[64 + CRYPTO_AEAD_OVERHEAD];
    crypto_aead_seal(key, "xero/t1", 7, msg, len, box2);
    CHECK(memcmp(box, box2, (size_t)n) != 0);
    /* empty plaintext works too */
    n = crypto_aead_seal(key, NULL, 0, "", 0, box);
    CHECK_INT(n, CRYPTO_AEAD_OVERHEAD);
    CHECK_INT(crypto_aead_open(key, NULL, 0, box, (size_t)n, out), 0);
}

/* NIST known answer: the empty message under the zero key and nonce. */
TEST(aead_known_answer)
{
    /* NIST SP 800-38D test case 13: K = 0^256, IV = 0^96, P = empty →
     * T = 530f8afbc74536b9a963b4f1c4cb738b */
    uint8_t key[CRYPTO_AEAD_KEY_LEN] = {0}, box[CRYPTO_AEAD_OVERHEAD], out[1];
    static const uint8_t tag[16] = {0x53, 0x0f, 0x8a, 0xfb, 0xc7, 0x45, 0x36, 0xb9,
                                    0xa9, 0x63, 0xb4, 0xf1, 0xc4, 0xcb, 0x73, 0x8b};
    memset(box, 0, CRYPTO_AEAD_NONCE_LEN);
    memcpy(box + CRYPTO_AEAD_NONCE_LEN, tag, 16);
    CHECK_INT(crypto_aead_open(key, NULL, 0, box, sizeof box, out), 0);
    box[sizeof box - 1] ^= 1;
    CHECK_INT(crypto_aead_open(key, NULL, 0, box, sizeof box, out), -1);
}

TEST(hex_decode)
{
    uint8_t out[4];
    CHECK_INT(crypto_hex_decode("00fFa1", 6, out), 3);
    CHECK_INT(out[1], 0xff);
    CHECK_INT(out[2], 0xa1);
    CHECK_INT(crypto_hex_decode("abc", 3, out), -1);
    CHECK_INT(crypto_hex_decode("zz", 2, out), -1);
}
