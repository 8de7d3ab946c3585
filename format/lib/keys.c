/*
 * keys.c - the text form of keys (adbk_format.h, "keys"): Bech32 as BIP 173
 * gives it, age's X25519 keys as age-keygen writes them ("age1..." public,
 * "AGE-SECRET-KEY-1..." secret), adbk's Ed25519 signing keys in the same
 * style ("adbk-sign1...", "ADBK-SIGN-SECRET-KEY-1..."), and key files, one
 * key a line.
 *
 * Bech32 is written here from BIP 173 (libsodium has none); every curve
 * operation is libsodium's. What a key is used for is crypto.c's business.
 * No message ever quotes the text it was given: that text may be a secret
 * key, pasted where a public one belongs.
 */
#include "crypto.h"
#include "internal.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ Bech32 (BIP 173) */

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
#define CHECKSUM_LEN 6u
/* The constant a valid checksum's polymod gives: 1 for Bech32. BIP 350's
 * Bech32m (0x2bc830a3) is another encoding, which age does not use. */
#define BECH32_CONST 1u

/* BIP 173's BCH checksum over GF(32): the generator's five coefficients. */
static uint32_t polymod_step(uint32_t chk, unsigned v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if (top >> i & 1)
            chk ^= gen[i];
    return chk;
}

/* The polymod of the expanded HRP (each character's high bits, a zero, the
 * low bits), the data values, and n_zero zero values (the checksum's room
 * when encoding). */
static uint32_t polymod(const char *hrp, size_t hrp_len, const uint8_t *data5, size_t n,
                        size_t n_zero)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk, (unsigned char)hrp[i] >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < hrp_len; i++)
        chk = polymod_step(chk, (unsigned char)hrp[i] & 31);
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk, data5[i]);
    for (size_t i = 0; i < n_zero; i++)
        chk = polymod_step(chk, 0);
    return chk;
}

bool bech32_encode(const char *hrp, const uint8_t *data5, size_t n, char *out)
{
    size_t hrp_len = strlen(hrp);
    out[0] = '\0';
    if (hrp_len == 0 || hrp_len + 1 + n + CHECKSUM_LEN > BECH32_MAX)
        return false;
    uint32_t chk = polymod(hrp, hrp_len, data5, n, CHECKSUM_LEN) ^ BECH32_CONST;
    char *o = out;
    memcpy(o, hrp, hrp_len);
    o += hrp_len;
    *o++ = '1';
    for (size_t i = 0; i < n; i++)
        *o++ = charset[data5[i] & 31];
    for (unsigned i = 0; i < CHECKSUM_LEN; i++)
        *o++ = charset[chk >> (5 * (CHECKSUM_LEN - 1 - i)) & 31];
    *o = '\0';
    return true;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int charset_value(char c)
{
    const char *at = c ? strchr(charset, c) : NULL;
    return at ? (int)(at - charset) : -1;
}

const char *bech32_decode(const char *s, char *hrp, uint8_t *data5, size_t *n)
{
    size_t len = strlen(s);
    bool lower = false, upper = false;
    hrp[0] = '\0';
    *n = 0;
    if (len > BECH32_MAX)
        return "longer than a Bech32 string may be (90 characters)";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126)
            return "holds a character outside US-ASCII 33-126";
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper)
        return "mixes upper and lower case";
    const char *sep = strrchr(s, '1'); /* the last '1': the HRP may hold others */
    if (!sep)
        return "has no Bech32 separator '1'";
    size_t hrp_len = (size_t)(sep - s), data_len = len - hrp_len - 1;
    if (hrp_len == 0)
        return "has an empty human-readable part";
    if (data_len < CHECKSUM_LEN)
        return "is shorter than a Bech32 checksum";
    for (size_t i = 0; i < hrp_len; i++) /* the checksum covers the lower-case form */
        hrp[i] = ascii_lower(s[i]);
    hrp[hrp_len] = '\0';
    for (size_t i = 0; i < data_len; i++) {
        int v = charset_value(ascii_lower(sep[1 + i]));
        if (v < 0) {
            hrp[0] = '\0';
            return "holds a character outside the Bech32 alphabet";
        }
        data5[i] = (uint8_t)v;
    }
    if (polymod(hrp, hrp_len, data5, data_len, 0) != BECH32_CONST) {
        hrp[0] = '\0';
        return "Bech32 checksum does not match";
    }
    *n = data_len - CHECKSUM_LEN;
    return NULL;
}

/* n bytes as 5-bit values, the last one padded with zero bits (BIP 173's
 * convertbits(data, 8, 5, pad=True)): ceil(8n / 5) of them. */
static size_t bytes_to_5(const uint8_t *bytes, size_t n, uint8_t *data5)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | bytes[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data5[o++] = (uint8_t)(acc >> bits & 31);
        }
    }
    if (bits)
        data5[o++] = (uint8_t)(acc << (5 - bits) & 31);
    return o;
}

/* n 5-bit values back as bytes (convertbits(data, 5, 8, pad=False)): NULL
 * and *len bytes, or what is wrong. At most cap bytes. */
static const char *bytes_from_5(const uint8_t *data5, size_t n, uint8_t *bytes, size_t cap,
                                size_t *len)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 5 | data5[i]) & 0xfff;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return "holds more bytes than a key";
            bytes[o++] = (uint8_t)(acc >> bits);
        }
    }
    *len = o;
    /* A string another encoder made from these bytes has fewer than 5 bits
     * of padding, all zero: anything else is a second spelling of a key. */
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        return "has invalid Bech32 padding";
    return NULL;
}

/* ------------------------------------------------------------ key kinds */

enum key_kind { K_RECIPIENT, K_IDENTITY, K_SIGN_PUBLIC, K_SIGN_SECRET, K_COUNT };

static const struct {
    const char *hrp; /* lower case; secret keys are written in upper case */
    bool secret;
    const char *name; /* for messages, which put "an" before every one */
} kinds[K_COUNT] = {
    [K_RECIPIENT] = {"age", false, "age recipient (age1...)"},
    [K_IDENTITY] = {"age-secret-key-", true, "age identity (AGE-SECRET-KEY-1...)"},
    [K_SIGN_PUBLIC] = {"adbk-sign", false, "adbk signing public key (adbk-sign1...)"},
    [K_SIGN_SECRET] = {"adbk-sign-secret-key-", true,
                       "adbk signing secret key (ADBK-SIGN-SECRET-KEY-1...)"},
};

#define KEY_BYTES 32u /* every kind's payload: an X25519 key or an Ed25519 seed */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The kind whose HRP the text before its last '1' is, case aside; K_COUNT
 * when none. */
static enum key_kind kind_of(const char *s, size_t len)
{
    const char *sep = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '1')
            sep = s + i;
    if (!sep)
        return K_COUNT;
    size_t hrp_len = (size_t)(sep - s);
    for (int k = 0; k < K_COUNT; k++) {
        const char *h = kinds[k].hrp;
        if (strlen(h) != hrp_len)
            continue;
        size_t i = 0;
        while (i < hrp_len && ascii_lower(s[i]) == h[i])
            i++;
        if (i == hrp_len)
            return (enum key_kind)k;
    }
    return K_COUNT;
}

/* Parses text (surrounding white space ignored) as a key of kind want: its
 * 32 bytes into out. Nothing of text reaches a message, nor stays on the
 * stack. */
static adbk_status parse_key(const char *text, enum key_kind want, uint8_t out[KEY_BYTES],
                             struct adbk_error *err)
{
    const char *want_name = kinds[want].name;
    while (is_space(*text))
        text++;
    size_t len = strlen(text);
    while (len && is_space(text[len - 1]))
        len--;
    if (len == 0)
        return err_set(err, ADBK_E_ARG, "no key where an %s belongs: the text is empty",
                       want_name);
    if (len > BECH32_MAX)
        return err_set(err, ADBK_E_ARG, "not an %s: %zu characters, longer than any key",
                       want_name, len);

    enum key_kind got = kind_of(text, len);
    if (got != want) {
        if (got != K_COUNT && kinds[got].secret && !kinds[want].secret)
            return err_set(err, ADBK_E_ARG,
                           "a secret key where a public key belongs: an %s is expected",
                           want_name);
        if (got != K_COUNT && !kinds[got].secret && kinds[want].secret)
            return err_set(err, ADBK_E_ARG,
                           "a public key where a secret key belongs: an %s is expected",
                           want_name);
        if (got != K_COUNT)
            return err_set(err, ADBK_E_ARG, "not an %s but an %s", want_name, kinds[got].name);
        return err_set(err, ADBK_E_ARG, "not an %s", want_name);
    }

    char s[BECH32_MAX + 1], hrp[BECH32_MAX + 1];
    uint8_t data5[BECH32_MAX];
    size_t n5 = 0, n = 0;
    memcpy(s, text, len);
    s[len] = '\0';
    const char *bad = bech32_decode(s, hrp, data5, &n5);
    if (!bad)
        bad = bytes_from_5(data5, n5, out, KEY_BYTES, &n);
    if (!bad && n != KEY_BYTES)
        bad = "holds fewer bytes than a key";
    sodium_memzero(s, sizeof s);
    sodium_memzero(data5, sizeof data5);
    if (bad) {
        sodium_memzero(out, KEY_BYTES);
        return err_set(err, ADBK_E_ARG, "not a valid %s: %s", want_name, bad);
    }
    return ADBK_OK;
}

/* The text of key (32 bytes) as kind: secret kinds in upper case, as age
 * writes its identities. */
static void key_text(enum key_kind kind, const uint8_t key[KEY_BYTES], char *out)
{
    uint8_t data5[(KEY_BYTES * 8 + 4) / 5];
    size_t n = bytes_to_5(key, KEY_BYTES, data5);
    /* Always fits: 32 bytes under the longest HRP make 80 characters of 90. */
    (void)bech32_encode(kinds[kind].hrp, data5, n, out);
    sodium_memzero(data5, sizeof data5);
    if (kinds[kind].secret)
        for (char *c = out; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 'a' + 'A');
}
_Static_assert(ADBK_KEY_TEXT >= BECH32_MAX + 1, "a key's text fits ADBK_KEY_TEXT");

static adbk_status need_sodium(struct adbk_error *err)
{
    if (crypto_ready())
        return ADBK_OK;
    return err_set(err, ADBK_E_IO, "libsodium could not start (no source of randomness)");
}

/* ------------------------------------------------------------ public API */

adbk_status adbk_recipient_parse(const char *text, struct adbk_recipient *out,
                                 struct adbk_error *err)
{
    return parse_key(text, K_RECIPIENT, out->key, err);
}

adbk_status adbk_age_identity_parse(const char *text, struct adbk_age_identity *out,
                                    struct adbk_error *err)
{
    adbk_status st = need_sodium(err);
    if (st == ADBK_OK)
        st = parse_key(text, K_IDENTITY, out->secret, err);
    if (st != ADBK_OK)
        return st;
    crypto_scalarmult_base(out->public_key, out->secret);
    return ADBK_OK;
}

adbk_status adbk_sign_key_parse(const char *text, struct adbk_sign_key *out,
                                struct adbk_error *err)
{
    uint8_t seed[KEY_BYTES];
    adbk_status st = need_sodium(err);
    if (st == ADBK_OK)
        st = parse_key(text, K_SIGN_SECRET, seed, err);
    if (st == ADBK_OK)
        crypto_sign_seed_keypair(out->public_key, out->secret, seed);
    sodium_memzero(seed, sizeof seed);
    return st;
}

adbk_status adbk_sign_public_parse(const char *text, struct adbk_sign_public *out,
                                   struct adbk_error *err)
{
    return parse_key(text, K_SIGN_PUBLIC, out->key, err);
}

void adbk_recipient_text(const struct adbk_recipient *r, char *out)
{
    key_text(K_RECIPIENT, r->key, out);
}

void adbk_age_identity_text(const struct adbk_age_identity *id, char *out)
{
    key_text(K_IDENTITY, id->secret, out);
}

void adbk_sign_public_text(const struct adbk_sign_public *p, char *out)
{
    key_text(K_SIGN_PUBLIC, p->key, out);
}

void adbk_sign_key_text(const struct adbk_sign_key *k, char *out)
{
    /* The text holds the seed, from which libsodium's 64-byte secret key
     * (seed and public key) is made again when it is parsed. */
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, k->secret);
    key_text(K_SIGN_SECRET, seed, out);
    sodium_memzero(seed, sizeof seed);
}

void adbk_age_identity_recipient(const struct adbk_age_identity *id, struct adbk_recipient *out)
{
    memcpy(out->key, id->public_key, sizeof out->key);
}

void adbk_sign_key_public(const struct adbk_sign_key *k, struct adbk_sign_public *out)
{
    memcpy(out->key, k->public_key, sizeof out->key);
}

adbk_status adbk_sign_keygen(struct adbk_sign_key *out, struct adbk_error *err)
{
    adbk_status st = need_sodium(err);
    if (st == ADBK_OK)
        crypto_sign_keypair(out->public_key, out->secret);
    return st;
}

/* ------------------------------------------------------------ key files */

/* One line of a key file: [p, p + len), white space trimmed; false for a
 * line that holds no key (empty, or a comment). */
static bool key_line(const char *line, size_t line_len, const char **p, size_t *len)
{
    while (line_len && is_space(*line)) {
        line++;
        line_len--;
    }
    while (line_len && is_space(line[line_len - 1]))
        line_len--;
    *p = line;
    *len = line_len;
    return line_len > 0 && line[0] != '#';
}

/* The next line of text at *at, without its '\n'; false at the end. */
static bool next_line(const char **at, const char **line, size_t *len)
{
    if (!**at)
        return false;
    const char *nl = strchr(*at, '\n');
    *line = *at;
    *len = nl ? (size_t)(nl - *at) : strlen(*at);
    *at = nl ? nl + 1 : *at + *len;
    return true;
}

typedef adbk_status (*parse_fn)(const char *text, void *out, struct adbk_error *err);

static adbk_status parse_recipient_v(const char *t, void *o, struct adbk_error *e)
{
    return adbk_recipient_parse(t, o, e);
}
static adbk_status parse_identity_v(const char *t, void *o, struct adbk_error *e)
{
    return adbk_age_identity_parse(t, o, e);
}
static adbk_status parse_sign_key_v(const char *t, void *o, struct adbk_error *e)
{
    return adbk_sign_key_parse(t, o, e);
}

/* Every key of a key file's text, each parsed by parse into an array of
 * elements of size bytes: *out (malloc'd; NULL on failure) and *n. Keys are
 * counted first, so the array is allocated once and no copy of a secret is
 * left behind by a realloc. */
static adbk_status read_keys(const char *text, const char *what, enum key_kind kind,
                             parse_fn parse, size_t size, void **out, size_t *n,
                             struct adbk_error *err)
{
    *out = NULL;
    *n = 0;
    if (!what)
        what = "key file";
    size_t count = 0;
    const char *line, *p, *at = text;
    size_t line_len, len;
    while (next_line(&at, &line, &line_len))
        count += key_line(line, line_len, &p, &len);
    if (count == 0)
        return err_set(err, ADBK_E_ARG, "%.300s holds no key: an %s is expected", what,
                       kinds[kind].name);

    uint8_t *keys = calloc(count, size);
    if (!keys)
        return err_set(err, ADBK_E_NOMEM, "out of memory reading the keys of %.300s", what);
    char buf[BECH32_MAX + 1];
    size_t got = 0, lineno = 0;
    adbk_status st = ADBK_OK;
    at = text;
    while (st == ADBK_OK && next_line(&at, &line, &line_len)) {
        lineno++;
        if (!key_line(line, line_len, &p, &len))
            continue;
        struct adbk_error e = {0};
        if (len > BECH32_MAX) {
            st = err_set(err, ADBK_E_ARG, "%.300s line %zu: not an %s: longer than any key",
                         what, lineno, kinds[kind].name);
            break;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        st = parse(buf, keys + got * size, &e);
        if (st != ADBK_OK)
            err_set(err, st, "%.300s line %zu: %s", what, lineno, e.message);
        else
            got++;
    }
    sodium_memzero(buf, sizeof buf);
    if (st != ADBK_OK) {
        adbk_keys_free(keys, count, size);
        return st;
    }
    *out = keys;
    *n = got;
    return ADBK_OK;
}

adbk_status adbk_recipients_read(const char *text, const char *what,
                                 struct adbk_recipient **out, size_t *n,
                                 struct adbk_error *err)
{
    void *keys;
    adbk_status st = read_keys(text, what, K_RECIPIENT, parse_recipient_v, sizeof **out, &keys,
                               n, err);
    *out = keys;
    return st;
}

adbk_status adbk_age_identities_read(const char *text, const char *what,
                                     struct adbk_age_identity **out, size_t *n,
                                     struct adbk_error *err)
{
    void *keys;
    adbk_status st = read_keys(text, what, K_IDENTITY, parse_identity_v, sizeof **out, &keys, n,
                               err);
    *out = keys;
    return st;
}

adbk_status adbk_sign_key_read(const char *text, const char *what, struct adbk_sign_key *out,
                               struct adbk_error *err)
{
    void *keys;
    size_t n;
    adbk_status st = read_keys(text, what, K_SIGN_SECRET, parse_sign_key_v, sizeof *out, &keys,
                               &n, err);
    if (st != ADBK_OK)
        return st;
    if (n != 1)
        st = err_set(err, ADBK_E_ARG, "%.300s holds %zu signing keys: one is needed",
                     what ? what : "key file", n);
    else
        memcpy(out, keys, sizeof *out);
    adbk_keys_free(keys, n, sizeof *out);
    return st;
}

void adbk_keys_free(void *keys, size_t count, size_t elem_size)
{
    if (!keys)
        return;
    sodium_memzero(keys, count * elem_size);
    free(keys);
}
