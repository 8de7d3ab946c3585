/*
 * crypto.h - the cryptography of signed (1.2) and encrypted (2.0) archives,
 * FORMAT.md sections 12 and 13, over libsodium: key derivation, sealing,
 * the header MAC, age's X25519 recipient stanza, the BLAKE2b digests and
 * Ed25519 signatures (crypto.c); the text form of keys (keys.c: Bech32 as
 * BIP 173 gives it, age's key encodings, adbk's signing keys).
 *
 * Nothing here is a primitive of its own: every cipher, MAC, hash and curve
 * operation is libsodium's; HKDF (RFC 5869) is the few lines of glue over
 * libsodium's HMAC-SHA-256 that libsodium 1.0.18 lacks. No function prints,
 * exits or allocates except where it says so; secrets on the stack are wiped
 * (sodium_memzero) before returning.
 */
#ifndef ADBK_CRYPTO_H
#define ADBK_CRYPTO_H

#include "adbk_format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FILE_KEY_SIZE 16u   /* File_Key (13.3), age's file key size */
#define X25519_SIZE 32u     /* X25519 public and secret keys, ephemeral shares */
#define WRAPPED_SIZE 32u    /* an X25519 stanza's body: File_Key + Poly1305 tag */
#define SEAL_TAG 16u        /* XChaCha20-Poly1305 tag */
#define DIGEST_SIZE 32u     /* BLAKE2b-256: Frame_Digest, Span_Digest, Prefix_Digest */
#define MAC_SIZE 32u        /* HMAC-SHA-256: Header_MAC */
#define SIGN_PUBLIC 32u     /* Ed25519 public key */
#define SIGN_SECRET 64u     /* Ed25519 secret key as libsodium keeps it (seed + public) */
#define SIGNATURE_SIZE 64u
#define SIG_TRAILER 134u    /* the signature trailer (12) */

/* libsodium's sodium_init, once; false when it fails (no entropy source). */
bool crypto_ready(void);

/* Random bytes from libsodium (the system's CSPRNG). */
void crypto_random(void *buf, size_t n);

/* Wipes n bytes at p so the compiler cannot skip it. */
void crypto_wipe(void *p, size_t n);

/* HKDF-SHA-256 (RFC 5869): extract with salt (may be empty), expand with
 * info (info_len bytes) to out_len bytes (at most 255 x 32). */
void hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                 const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/* ------------------------------------------------------------ keys of an archive */

/* The keys of one encrypted archive (13.3). */
struct archive_keys {
    uint8_t payload[32]; /* Payload_Key: every sealed part */
    uint8_t mac[32];     /* MAC_Key: Header_MAC */
};
void keys_derive(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t archive_id[16],
                 struct archive_keys *k);

/* Seal (13.3): ct (len + SEAL_TAG bytes; may be pt itself, in place)
 * receives the ciphertext of pt followed by the tag. type is the record
 * type as stored (REC_*), member M, chunk C. */
void seal(const struct archive_keys *k, uint32_t type, uint64_t member, uint64_t chunk,
          const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t len, uint8_t *ct);
/* Opens what seal made: ct is ct_len bytes (tag included, ct_len >= SEAL_TAG);
 * pt (ct_len - SEAL_TAG bytes; may be ct itself) receives the plaintext.
 * False, with pt's content unspecified, when the tag does not verify. */
bool unseal(const struct archive_keys *k, uint32_t type, uint64_t member, uint64_t chunk,
            const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt);

/* Header_MAC (13.4): HMAC-SHA-256 with k->mac over a then b. */
void header_mac(const struct archive_keys *k, const uint8_t *a, size_t a_len, const uint8_t *b,
                size_t b_len, uint8_t mac[MAC_SIZE]);
/* Constant-time comparison of two MACs. */
bool mac_equal(const uint8_t a[MAC_SIZE], const uint8_t b[MAC_SIZE]);

/* ------------------------------------------------------------ X25519 stanza */

/* Wraps file_key for the recipient public key (13.4, age's X25519 stanza):
 * a new ephemeral share and the wrapped key. False when the recipient key
 * gives an all-zero shared secret (a low-order point: no real key does). */
bool stanza_wrap(const uint8_t file_key[FILE_KEY_SIZE], const uint8_t recipient[X25519_SIZE],
                 uint8_t ephemeral[X25519_SIZE], uint8_t body[WRAPPED_SIZE]);
/* Unwraps with the identity (secret key): 1 and file_key when the stanza
 * was made for it, 0 when not, -1 when the share gives an all-zero shared
 * secret (a low-order point: age's readers must then refuse the file). */
int stanza_unwrap(const uint8_t ephemeral[X25519_SIZE], const uint8_t body[WRAPPED_SIZE],
                  const struct adbk_age_identity *id, uint8_t file_key[FILE_KEY_SIZE]);

/* ------------------------------------------------------------ digests, signatures */

/* BLAKE2b-256 of n bytes: a Frame_Digest (12). */
void frame_digest(const void *p, size_t n, uint8_t out[DIGEST_SIZE]);

/* A Span_Digest or Prefix_Digest being built: BLAKE2b-256 of the frame
 * digests added in order. */
struct digest_list {
    /* crypto_generichash_state's bytes, opaque here (size checked in
     * crypto.c). libsodium declares that state 64-byte aligned; these bytes
     * need no alignment (crypto.c works on an aligned copy), so a struct
     * holding a digest_list may come from malloc. */
    uint8_t state[384];
};
void dlist_init(struct digest_list *d);
void dlist_add(struct digest_list *d, const uint8_t frame[DIGEST_SIZE]);
void dlist_final(struct digest_list *d, uint8_t out[DIGEST_SIZE]);

/* The signed message's index hash: BLAKE2b-512 of n bytes. */
void index_hash(const void *p, size_t n, uint8_t out[64]);

/* Ed25519 (pure) over "adbk-signature-1" || index_hash (12). */
void sign_index(const struct adbk_sign_key *key, const uint8_t ihash[64],
                uint8_t sig[SIGNATURE_SIZE]);
bool verify_index(const uint8_t public_key[SIGN_PUBLIC], const uint8_t ihash[64],
                  const uint8_t sig[SIGNATURE_SIZE]);

/* ------------------------------------------------------------ Bech32 (keys.c) */

/* Bech32 as BIP 173 gives it (checksum constant 1, not BIP 350's Bech32m),
 * the text form of every key. BECH32_MAX is BIP 173's limit on a whole
 * string; age's encoder has none, but every key here fits (the longest, a
 * signing secret key, is 80 characters). */
#define BECH32_MAX 90u

/* Encodes the human-readable part hrp (lower case, characters 33-126) and n
 * 5-bit values into out (BECH32_MAX + 1 bytes): the string in lower case,
 * NUL-terminated. False, out empty, when it would exceed BECH32_MAX. */
bool bech32_encode(const char *hrp, const uint8_t *data5, size_t n, char *out);
/* Decodes s (NUL-terminated): its human-readable part, lower-cased, into hrp
 * (BECH32_MAX + 1 bytes), the values of its data part without the checksum
 * into data5 (BECH32_MAX bytes), *n of them. NULL when s is valid Bech32,
 * else a constant sentence saying what is wrong, which never quotes s. */
const char *bech32_decode(const char *s, char *hrp, uint8_t *data5, size_t *n);

#endif
