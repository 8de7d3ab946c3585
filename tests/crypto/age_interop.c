/*
 * age_interop.c - just enough of the age v1 file format (age-encryption.org/v1:
 * header, X25519 stanzas, header MAC, STREAM payload), test-side only, to put
 * our X25519 stanza (crypto.c) and our key parsing (keys.c) in front of the
 * real age program. The archive format takes age's stanza and keys, not its
 * file format; this is here so that age itself can say that what we wrap
 * it unwraps, and what it wraps we unwrap (crypto_cli.sh).
 *
 *   age_interop encrypt RECIPIENT IN OUT   an age file of IN to RECIPIENT (age1...),
 *                                          its stanza made by stanza_wrap
 *   age_interop decrypt KEYFILE IN OUT     IN, an age file, decrypted with the
 *                                          identities of KEYFILE (adbk_age_identities_read)
 *                                          through stanza_unwrap, its MAC checked
 *   age_interop recipient-of KEYFILE       prints the recipient of KEYFILE's first identity
 *
 * Exit 0, or 1 with a message on stderr.
 */
#include "adbk_format.h"
#include "crypto.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536u      /* STREAM's plaintext chunk */
#define TAG 16u           /* ChaCha20-Poly1305 */
#define PAYLOAD_NONCE 16u /* the random nonce before the payload */
#define LINE_COLUMNS 64u  /* stanza body lines: 64 base64 characters, the last shorter */

static const char intro[] = "age-encryption.org/v1\n";

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("age_interop: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* The whole of a file, NUL-terminated: *len bytes before the NUL. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    uint8_t *p = malloc(cap + 1);
    for (size_t got; p && (got = fread(p + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap)
            p = realloc(p, (cap *= 2) + 1);
    }
    if (!p || ferror(f))
        die("cannot read %s", path);
    fclose(f);
    p[n] = 0;
    *len = n;
    return p;
}

static void spill(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0)
        die("cannot write %s", path);
}

/* ------------------------------------------------------------ growable bytes */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void put(struct buf *b, const void *src, size_t n)
{
    if (n == 0) /* an empty chunk, before anything was allocated */
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        if (!(b->p = realloc(b->p, b->cap)))
            die("out of memory");
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Base64 as age writes it: the standard alphabet, no padding. */
static void put_b64(struct buf *b, const uint8_t *bin, size_t n)
{
    char text[256];
    if (sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) > sizeof text)
        die("base64 of %zu bytes: too long", n);
    sodium_bin2base64(text, sizeof text, bin, n, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    put_str(b, text);
}

/* Decodes exactly want bytes of base64 (no padding) from text[0, len). */
static int b64_exact(const char *text, size_t len, uint8_t *out, size_t want)
{
    size_t got;
    const char *end;
    return sodium_base642bin(out, want, text, len, NULL, &got, &end,
                             sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 &&
           end == text + len && got == want;
}

/* ------------------------------------------------------------ keys and MACs */

static void hkdf_label(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t *salt,
                       size_t salt_len, const char *label, uint8_t out[32])
{
    hkdf_sha256(file_key, FILE_KEY_SIZE, salt, salt_len, (const uint8_t *)label, strlen(label),
                out, 32);
}

/* The header MAC: HMAC-SHA-256 under HKDF(file key, no salt, "header") of
 * the header up to and including "---". */
static void age_mac(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t *header, size_t n,
                    uint8_t mac[32])
{
    uint8_t key[32];
    hkdf_label(file_key, NULL, 0, "header", key);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, sizeof key);
    crypto_auth_hmacsha256_update(&st, header, n);
    crypto_auth_hmacsha256_final(&st, mac);
}

/* STREAM's nonce: an 11-byte big-endian chunk counter, then 1 for the last
 * chunk, else 0. */
static void stream_nonce(uint64_t counter, int last, uint8_t nonce[12])
{
    memset(nonce, 0, 12);
    for (int i = 0; i < 8; i++)
        nonce[10 - i] = (uint8_t)(counter >> (8 * i));
    nonce[11] = (uint8_t)(last ? 1 : 0);
}

/* ------------------------------------------------------------ encrypt */

static int cmd_encrypt(const char *recipient_text, const char *in, const char *out)
{
    struct adbk_recipient r;
    struct adbk_error err = {0};
    if (adbk_recipient_parse(recipient_text, &r, &err) != ADBK_OK)
        die("%s", err.message);
    size_t n;
    uint8_t *pt = slurp(in, &n);

    uint8_t file_key[FILE_KEY_SIZE], e[X25519_SIZE], body[WRAPPED_SIZE], mac[32];
    crypto_random(file_key, sizeof file_key);
    if (!stanza_wrap(file_key, r.key, e, body))
        die("the recipient is a low-order point");
    struct buf b = {0};
    put_str(&b, intro);
    put_str(&b, "-> X25519 ");
    put_b64(&b, e, sizeof e);
    put_str(&b, "\n");
    put_b64(&b, body, sizeof body); /* 43 characters: one line, shorter than 64 */
    put_str(&b, "\n---");
    age_mac(file_key, b.p, b.len, mac);
    put_str(&b, " ");
    put_b64(&b, mac, sizeof mac);
    put_str(&b, "\n");

    uint8_t nonce[PAYLOAD_NONCE], key[32], cn[12];
    crypto_random(nonce, sizeof nonce);
    hkdf_label(file_key, nonce, sizeof nonce, "payload", key);
    put(&b, nonce, sizeof nonce);
    /* Full chunks, then a last one of 1..CHUNK bytes (empty only when the
     * whole plaintext is). */
    uint8_t *chunk = malloc(CHUNK + TAG);
    uint64_t i = 0;
    size_t at = 0;
    do {
        size_t len = n - at > CHUNK ? CHUNK : n - at;
        int last = at + len == n;
        stream_nonce(i++, last, cn);
        crypto_aead_chacha20poly1305_ietf_encrypt(chunk, NULL, pt + at, len, NULL, 0, NULL, cn,
                                                  key);
        put(&b, chunk, len + TAG);
        at += len;
    } while (at < n);
    spill(out, b.p, b.len);
    free(chunk);
    free(b.p);
    free(pt);
    return 0;
}

/* ------------------------------------------------------------ decrypt */

/* The next line of the header at *at (without its '\n'); dies at the end. */
static const char *header_line(const uint8_t *p, size_t n, size_t *at, size_t *len)
{
    const uint8_t *nl = memchr(p + *at, '\n', n - *at);
    if (!nl)
        die("the header ends without a newline");
    const char *line = (const char *)p + *at;
    *len = (size_t)(nl - (p + *at));
    *at += *len + 1;
    return line;
}

static int cmd_decrypt(const char *keyfile, const char *in, const char *out)
{
    size_t keys_len, n;
    char *keys = (char *)slurp(keyfile, &keys_len);
    struct adbk_age_identity *ids;
    size_t id_count;
    struct adbk_error err = {0};
    if (adbk_age_identities_read(keys, keyfile, &ids, &id_count, &err) != ADBK_OK)
        die("%s", err.message);
    adbk_wipe(keys, keys_len);
    free(keys);
    uint8_t *p = slurp(in, &n);

    size_t at = 0, len;
    const char *line = header_line(p, n, &at, &len);
    if (len != strlen(intro) - 1 || memcmp(line, intro, len) != 0)
        die("%s is not an age v1 file", in);
    uint8_t file_key[FILE_KEY_SIZE];
    int found = 0;
    size_t stanzas = 0, x25519 = 0;
    for (;;) {
        size_t start = at;
        line = header_line(p, n, &at, &len);
        if (len >= 3 && memcmp(line, "---", 3) == 0) {
            /* The MAC covers the header up to and including "---". */
            uint8_t want[32], got[32];
            if (len < 4 || line[3] != ' ' || !b64_exact(line + 4, len - 4, got, sizeof got))
                die("bad MAC line");
            if (!found)
                die("no X25519 stanza of %zu (%zu X25519) opens with %s", stanzas, x25519,
                    keyfile);
            age_mac(file_key, p, start + 3, want);
            if (sodium_memcmp(want, got, sizeof want) != 0)
                die("the header MAC does not match");
            break;
        }
        if (len < 3 || memcmp(line, "-> ", 3) != 0)
            die("a header line that is neither a stanza nor the MAC");
        stanzas++;
        /* Its arguments: "X25519 <share>" for ours; other types (age writes
         * a random "grease" stanza too) are skipped, body and all. */
        const char *args = line + 3;
        size_t args_len = len - 3;
        int is_x25519 = args_len > 7 && memcmp(args, "X25519 ", 7) == 0;
        /* The body: base64 lines of 64 characters, ended by a shorter one. */
        char body_text[1024];
        size_t body_len = 0;
        for (;;) {
            const char *bl = header_line(p, n, &at, &len);
            if (body_len + len > sizeof body_text)
                die("a stanza body too long for this test");
            memcpy(body_text + body_len, bl, len);
            body_len += len;
            if (len < LINE_COLUMNS)
                break;
        }
        if (!is_x25519 || found)
            continue;
        x25519++;
        uint8_t e[X25519_SIZE], body[WRAPPED_SIZE];
        if (!b64_exact(args + 7, args_len - 7, e, sizeof e) ||
            !b64_exact(body_text, body_len, body, sizeof body))
            die("a malformed X25519 stanza");
        for (size_t i = 0; i < id_count && !found; i++)
            found = stanza_unwrap(e, body, &ids[i], file_key) == 1;
    }
    adbk_keys_free(ids, id_count, sizeof *ids);

    if (n - at < PAYLOAD_NONCE)
        die("no payload nonce");
    uint8_t key[32], cn[12];
    hkdf_label(file_key, p + at, PAYLOAD_NONCE, "payload", key);
    at += PAYLOAD_NONCE;
    struct buf b = {0};
    uint8_t *chunk = malloc(CHUNK);
    uint64_t i = 0;
    do {
        size_t clen = n - at > CHUNK + TAG ? CHUNK + TAG : n - at;
        int last = at + clen == n;
        if (clen < TAG)
            die("a payload chunk shorter than its tag");
        stream_nonce(i, last, cn);
        if (crypto_aead_chacha20poly1305_ietf_decrypt(chunk, NULL, NULL, p + at, clen, NULL, 0,
                                                      cn, key) != 0)
            die("payload chunk %llu does not authenticate", (unsigned long long)i);
        put(&b, chunk, clen - TAG);
        at += clen;
        i++;
    } while (at < n);
    spill(out, b.p, b.len);
    free(chunk);
    free(b.p);
    free(p);
    return 0;
}

/* ------------------------------------------------------------ recipient-of */

static int cmd_recipient_of(const char *keyfile)
{
    size_t len, n;
    char *text = (char *)slurp(keyfile, &len);
    struct adbk_age_identity *ids;
    struct adbk_error err = {0};
    if (adbk_age_identities_read(text, keyfile, &ids, &n, &err) != ADBK_OK)
        die("%s", err.message);
    struct adbk_recipient r;
    char out[ADBK_KEY_TEXT];
    adbk_age_identity_recipient(&ids[0], &r);
    adbk_recipient_text(&r, out);
    puts(out);
    adbk_keys_free(ids, n, sizeof *ids);
    adbk_wipe(text, len);
    free(text);
    return 0;
}

int main(int argc, char **argv)
{
    if (!crypto_ready())
        die("libsodium could not start");
    if (argc == 5 && strcmp(argv[1], "encrypt") == 0)
        return cmd_encrypt(argv[2], argv[3], argv[4]);
    if (argc == 5 && strcmp(argv[1], "decrypt") == 0)
        return cmd_decrypt(argv[2], argv[3], argv[4]);
    if (argc == 3 && strcmp(argv[1], "recipient-of") == 0)
        return cmd_recipient_of(argv[2]);
    fprintf(stderr, "usage: age_interop encrypt RECIPIENT IN OUT\n"
                    "       age_interop decrypt KEYFILE IN OUT\n"
                    "       age_interop recipient-of KEYFILE\n");
    return 2;
}
