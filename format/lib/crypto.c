/*
 * crypto.c - the cryptography of signed (1.2) and encrypted (2.0) archives,
 * FORMAT.md sections 12 and 13, as crypto.h declares it: HKDF, the keys of
 * an archive, sealing, the header MAC, age's X25519 recipient stanza, the
 * BLAKE2b digests and Ed25519 signatures.
 *
 * Every primitive is libsodium's; this file only says which one, with which
 * nonce, key and context string. HKDF-SHA-256 is written here from RFC 5869
 * over libsodium's HMAC-SHA-256, since libsodium 1.0.18 has no HKDF. Where a
 * record's bytes lie is records.c's business, and the text form of keys is
 * keys.c's; nothing here allocates, prints or knows a file.
 */
#include "crypto.h"

#include "le.h"

#include <assert.h>
#include <sodium.h>
#include <string.h>

/* The sizes crypto.h promises are libsodium's. */
_Static_assert(X25519_SIZE == crypto_scalarmult_BYTES &&
               X25519_SIZE == crypto_scalarmult_SCALARBYTES, "X25519 sizes");
_Static_assert(WRAPPED_SIZE == FILE_KEY_SIZE + crypto_aead_chacha20poly1305_ietf_ABYTES,
               "wrapped file key");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32 &&
               crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "age's stanza AEAD");
_Static_assert(SEAL_TAG == crypto_aead_xchacha20poly1305_ietf_ABYTES, "seal tag");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24 &&
               crypto_aead_xchacha20poly1305_ietf_KEYBYTES ==
                   sizeof ((struct archive_keys *)0)->payload, "seal nonce and key");
_Static_assert(MAC_SIZE == crypto_auth_hmacsha256_BYTES, "HMAC-SHA-256");
_Static_assert(SIGN_PUBLIC == crypto_sign_PUBLICKEYBYTES &&
               SIGN_SECRET == crypto_sign_SECRETKEYBYTES &&
               SIGNATURE_SIZE == crypto_sign_BYTES, "Ed25519 sizes");
_Static_assert(sizeof ((struct adbk_sign_key *)0)->secret == crypto_sign_SECRETKEYBYTES &&
               sizeof ((struct adbk_sign_key *)0)->public_key == crypto_sign_PUBLICKEYBYTES,
               "adbk_sign_key holds libsodium's Ed25519 keys");
_Static_assert(sizeof ((struct adbk_age_identity *)0)->secret == X25519_SIZE &&
               sizeof ((struct adbk_recipient *)0)->key == X25519_SIZE, "X25519 keys");
_Static_assert(SIG_TRAILER == 4 + 2 + DIGEST_SIZE + SIGN_PUBLIC + SIGNATURE_SIZE,
               "signature trailer (FORMAT.md 12)");
/* struct digest_list keeps libsodium's state in bytes of its own, so that
 * crypto.h need not include sodium.h. Those bytes are not aligned as the
 * state's type asks (64 bytes, CRYPTO_ALIGN): giving struct digest_list that
 * alignment would make every struct holding one need aligned_alloc, and
 * UBSan rightly flags a calloc'd one. So the dlist_ functions copy the
 * state into a variable of its own type and back. */
_Static_assert(sizeof ((struct digest_list *)0)->state >= sizeof(crypto_generichash_state),
               "digest_list holds a crypto_generichash_state");

#define HASH_LEN crypto_auth_hmacsha256_BYTES /* HKDF's HashLen */

/* HKDF info strings (FORMAT.md 13.3, 13.4); sizeof - 1: without the NUL. */
static const char info_payload[] = "adbk 2.0 payload";
static const char info_header[] = "adbk 2.0 header";
static const char info_x25519[] = "age-encryption.org/v1/X25519";
/* The context an index hash is signed in (FORMAT.md 12): 16 bytes, no NUL. */
static const char sign_context[] = "adbk-signature-1";
#define SIGN_CONTEXT (sizeof sign_context - 1)
_Static_assert(sizeof sign_context - 1 == 16, "the signed message's context is 16 bytes");

bool crypto_ready(void)
{
    /* sodium_init is thread-safe and returns 1 once it has run: calling it
     * each time is the "once", without a flag of our own to race on. */
    return sodium_init() >= 0;
}

void crypto_random(void *buf, size_t n)
{
    randombytes_buf(buf, n);
}

void crypto_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

void adbk_wipe(void *p, size_t n)
{
    sodium_memzero(p, n);
}

/* ------------------------------------------------------------ HKDF (RFC 5869) */

void hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    assert(out_len <= 255 * HASH_LEN); /* RFC 5869 2.3: L <= 255 * HashLen */
    static const uint8_t no_salt[HASH_LEN]; /* 2.2: "a string of HashLen zeros" */
    crypto_auth_hmacsha256_state st;
    uint8_t prk[HASH_LEN], t[HASH_LEN];

    /* Extract: PRK = HMAC-Hash(salt, IKM). */
    if (salt_len == 0) {
        salt = no_salt;
        salt_len = sizeof no_salt;
    }
    crypto_auth_hmacsha256_init(&st, salt, salt_len);
    crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
    crypto_auth_hmacsha256_final(&st, prk);

    /* Expand: T(i) = HMAC-Hash(PRK, T(i-1) | info | i), T(0) empty; the
     * output is the first L bytes of T(1) | T(2) | ... */
    size_t done = 0;
    for (uint8_t i = 1; done < out_len; i++) {
        crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
        if (i > 1)
            crypto_auth_hmacsha256_update(&st, t, sizeof t);
        crypto_auth_hmacsha256_update(&st, info, info_len);
        crypto_auth_hmacsha256_update(&st, &i, 1);
        crypto_auth_hmacsha256_final(&st, t);
        size_t n = out_len - done < HASH_LEN ? out_len - done : HASH_LEN;
        memcpy(out + done, t, n);
        done += n;
    }
    sodium_memzero(prk, sizeof prk);
    sodium_memzero(t, sizeof t);
    sodium_memzero(&st, sizeof st);
}

/* ------------------------------------------------------------ keys of an archive */

void keys_derive(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t archive_id[16],
                 struct archive_keys *k)
{
    hkdf_sha256(file_key, FILE_KEY_SIZE, archive_id, 16, (const uint8_t *)info_payload,
                sizeof info_payload - 1, k->payload, sizeof k->payload);
    hkdf_sha256(file_key, FILE_KEY_SIZE, archive_id, 16, (const uint8_t *)info_header,
                sizeof info_header - 1, k->mac, sizeof k->mac);
}

/* The 24-byte nonce of Seal (13.3): Type as stored, u64 M, u64 C, 4 zero
 * bytes. type is the REC_* constant, the little-endian u32 of the record
 * type's ASCII letters, so le_put32 gives them back in their stored order. */
static void seal_nonce(uint32_t type, uint64_t member, uint64_t chunk,
                       uint8_t n[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES])
{
    le_put32(n + 0, type);
    le_put64(n + 4, member);
    le_put64(n + 12, chunk);
    memset(n + 20, 0, 4);
}

void seal(const struct archive_keys *k, uint32_t type, uint64_t member, uint64_t chunk,
          const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t len, uint8_t *ct)
{
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    seal_nonce(type, member, chunk, nonce);
    /* libsodium encrypts in place when ct == pt (it XORs the stream, then
     * MACs the ciphertext). */
    crypto_aead_xchacha20poly1305_ietf_encrypt(ct, NULL, pt, len, ad, ad_len, NULL, nonce,
                                               k->payload);
}

bool unseal(const struct archive_keys *k, uint32_t type, uint64_t member, uint64_t chunk,
            const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
    if (ct_len < SEAL_TAG)
        return false;
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    seal_nonce(type, member, chunk, nonce);
    /* The tag is checked before anything is decrypted, so pt may be ct. */
    return crypto_aead_xchacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, ct_len, ad, ad_len,
                                                      nonce, k->payload) == 0;
}

void header_mac(const struct archive_keys *k, const uint8_t *a, size_t a_len, const uint8_t *b,
                size_t b_len, uint8_t mac[MAC_SIZE])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k->mac, sizeof k->mac);
    crypto_auth_hmacsha256_update(&st, a, a_len);
    crypto_auth_hmacsha256_update(&st, b, b_len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_memzero(&st, sizeof st);
}

bool mac_equal(const uint8_t a[MAC_SIZE], const uint8_t b[MAC_SIZE])
{
    return sodium_memcmp(a, b, MAC_SIZE) == 0;
}

/* ------------------------------------------------------------ X25519 stanza */

/* age's wrap key (age v1, "The X25519 recipient type"): HKDF-SHA-256 of the
 * shared secret, salted with the ephemeral share and the recipient's public
 * key. False when the shared secret is all zero: the other key is a
 * low-order point, and the "secret" would be known to anyone. */
static bool wrap_key(const uint8_t secret[X25519_SIZE], const uint8_t point[X25519_SIZE],
                     const uint8_t ephemeral[X25519_SIZE], const uint8_t recipient[X25519_SIZE],
                     uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES])
{
    uint8_t shared[X25519_SIZE], salt[2 * X25519_SIZE];
    /* libsodium refuses an all-zero result itself; say it here too, since
     * the rule is the format's (13.4), not an accident of the library. */
    bool ok = crypto_scalarmult(shared, secret, point) == 0 &&
              !sodium_is_zero(shared, sizeof shared);
    if (ok) {
        memcpy(salt, ephemeral, X25519_SIZE);
        memcpy(salt + X25519_SIZE, recipient, X25519_SIZE);
        hkdf_sha256(shared, sizeof shared, salt, sizeof salt, (const uint8_t *)info_x25519,
                    sizeof info_x25519 - 1, key, crypto_aead_chacha20poly1305_ietf_KEYBYTES);
    }
    sodium_memzero(shared, sizeof shared);
    return ok;
}

/* The stanza body's AEAD nonce: 12 zero bytes (each wrap key is used once). */
static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

bool stanza_wrap(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t recipient[X25519_SIZE],
                 uint8_t ephemeral[X25519_SIZE], uint8_t body[WRAPPED_SIZE])
{
    uint8_t e[X25519_SIZE], key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    crypto_random(e, sizeof e);
    crypto_scalarmult_base(ephemeral, e);
    bool ok = wrap_key(e, recipient, ephemeral, recipient, key);
    if (ok)
        crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, FILE_KEY_SIZE, NULL, 0,
                                                  NULL, zero_nonce, key);
    sodium_memzero(e, sizeof e);
    sodium_memzero(key, sizeof key);
    return ok;
}

int stanza_unwrap(const uint8_t ephemeral[X25519_SIZE], const uint8_t body[WRAPPED_SIZE],
                  const struct adbk_age_identity *id, uint8_t file_key[FILE_KEY_SIZE])
{
    uint8_t key[crypto_aead_chacha20poly1305_ietf_KEYBYTES];
    if (!wrap_key(id->secret, ephemeral, ephemeral, id->public_key, key)) {
        sodium_memzero(file_key, FILE_KEY_SIZE);
        return -1; /* an all-zero shared secret: a low-order share, never an honest one */
    }
    bool ok = crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body, WRAPPED_SIZE,
                                                        NULL, 0, zero_nonce, key) == 0;
    if (!ok)
        sodium_memzero(file_key, FILE_KEY_SIZE);
    sodium_memzero(key, sizeof key);
    return ok ? 1 : 0;
}

/* ------------------------------------------------------------ digests, signatures */

void frame_digest(const void *p, size_t n, uint8_t out[DIGEST_SIZE])
{
    crypto_generichash(out, DIGEST_SIZE, p, n, NULL, 0);
}

/* Each call is a copy in, the update, a copy out: 2 x 384 bytes moved per
 * frame, against a BLAKE2b of the frame itself. */
void dlist_init(struct digest_list *d)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, DIGEST_SIZE);
    memcpy(d->state, &st, sizeof st);
}

void dlist_add(struct digest_list *d, const uint8_t frame[DIGEST_SIZE])
{
    crypto_generichash_state st;
    memcpy(&st, d->state, sizeof st);
    crypto_generichash_update(&st, frame, DIGEST_SIZE);
    memcpy(d->state, &st, sizeof st);
}

void dlist_final(struct digest_list *d, uint8_t out[DIGEST_SIZE])
{
    crypto_generichash_state st;
    memcpy(&st, d->state, sizeof st);
    crypto_generichash_final(&st, out, DIGEST_SIZE);
}

void index_hash(const void *p, size_t n, uint8_t out[64])
{
    crypto_generichash(out, 64, p, n, NULL, 0);
}

/* The signed message (12): the context, then the index hash. */
static void signed_message(const uint8_t ihash[64], uint8_t msg[SIGN_CONTEXT + 64])
{
    memcpy(msg, sign_context, SIGN_CONTEXT);
    memcpy(msg + SIGN_CONTEXT, ihash, 64);
}

void sign_index(const struct adbk_sign_key *key, const uint8_t ihash[64],
                uint8_t sig[SIGNATURE_SIZE])
{
    uint8_t msg[SIGN_CONTEXT + 64];
    signed_message(ihash, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, key->secret);
}

bool verify_index(const uint8_t public_key[SIGN_PUBLIC], const uint8_t ihash[64],
                  const uint8_t sig[SIGNATURE_SIZE])
{
    uint8_t msg[SIGN_CONTEXT + 64];
    signed_message(ihash, msg);
    return crypto_sign_verify_detached(sig, msg, sizeof msg, public_key) == 0;
}
