/*
 * test_crypto.c - the cryptography of signed and encrypted archives
 * (format/lib/crypto.c, keys.c; FORMAT.md 12, 13) against values from
 * outside our code: RFC 5869's HKDF test cases, BIP 173's Bech32 vectors, a
 * key pair age-keygen made, RFC 7693's BLAKE2b-512 of "abc", and keys and
 * digests computed once with Python's hmac and hashlib. Where no outside
 * value exists (a random ephemeral share), round trips and every way a
 * sealed or signed thing must refuse to open. The real age program is the
 * other half of the check: tests/crypto/.
 */
#include "harness.h"

#include "crypto.h"

#include <ctype.h>
#include <sodium.h>

/* Hex to bytes: the length of the result (at most cap). */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; hex[0] && hex[1] && n < cap; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int bytes_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n) == 0;
}

/* A record type as Seal takes it (crypto.h: REC_*): its four ASCII letters
 * read as a little-endian u32, so that they are stored first letter first. */
static uint32_t rec_type(const char name[5])
{
    return (uint32_t)(uint8_t)name[0] | (uint32_t)(uint8_t)name[1] << 8 |
           (uint32_t)(uint8_t)name[2] << 16 | (uint32_t)(uint8_t)name[3] << 24;
}

static void ready(void)
{
    if (!crypto_ready()) {
        fprintf(stderr, "libsodium could not start\n");
        exit(1);
    }
}

/* ------------------------------------------------------------ HKDF */

/* RFC 5869 appendix A, test cases 1-3 (SHA-256). */
static const struct {
    const char *ikm, *salt, *info, *okm;
} rfc5869[] = {
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
     "f0f1f2f3f4f5f6f7f8f9",
     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
     "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
     "404142434445464748494a4b4c4d4e4f",
     "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
     "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
     "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
     "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
     "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
     "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
     "cc30c58179ec3e87c14c01d5c1f3434f1d87"},
    {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
};

TEST(hkdf_gives_rfc5869_test_cases)
{
    for (size_t c = 0; c < sizeof rfc5869 / sizeof rfc5869[0]; c++) {
        uint8_t ikm[128], salt[128], info[128], want[128], got[128];
        size_t ikm_len = unhex(rfc5869[c].ikm, ikm, sizeof ikm);
        size_t salt_len = unhex(rfc5869[c].salt, salt, sizeof salt);
        size_t info_len = unhex(rfc5869[c].info, info, sizeof info);
        size_t okm_len = unhex(rfc5869[c].okm, want, sizeof want);
        hkdf_sha256(ikm, ikm_len, salt, salt_len, info, info_len, got, okm_len);
        if (!bytes_equal(want, got, okm_len))
            TEST_FAIL_AT("RFC 5869 test case %zu: OKM differs", c + 1);
    }
}

/* Payload_Key and MAC_Key (FORMAT.md 13.3) of File_Key 00..0f and
 * Archive_Id 10..1f, computed with Python's hmac module. */
TEST(keys_derive_gives_payload_and_mac_keys_of_the_spec)
{
    uint8_t file_key[16], id[16], want[32];
    for (int i = 0; i < 16; i++) {
        file_key[i] = (uint8_t)i;
        id[i] = (uint8_t)(16 + i);
    }
    struct archive_keys k;
    keys_derive(file_key, id, &k);
    unhex("03fc494d2b6d811da6f600051eeec4f24ffced6ad3e3b05c303cc065006b98e6", want, 32);
    EXPECT_TRUE(bytes_equal(want, k.payload, 32));
    unhex("6d4e345089f3f24758a98972509fbe506fa3a8e9c8f79f7c3015113b52a3c79d", want, 32);
    EXPECT_TRUE(bytes_equal(want, k.mac, 32));
}

/* ------------------------------------------------------------ Bech32 */

static int equal_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}

/* BIP 173, "Test vectors": strings with a valid Bech32 checksum. Each
 * decodes, and encodes back to itself (case aside). */
TEST(bech32_accepts_bip173_valid_strings)
{
    static const char *const valid[] = {
        "A12UEL5L",
        "a12uel5l",
        "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharacters"
        "bio1tt5tgs",
        "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
        "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
        "c8247j",
        "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        "?1ezyfcl",
    };
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        char hrp[BECH32_MAX + 1], back[BECH32_MAX + 1];
        uint8_t data[BECH32_MAX];
        size_t n;
        const char *bad = bech32_decode(valid[i], hrp, data, &n);
        if (bad) {
            TEST_FAIL_AT("%s: refused: %s", valid[i], bad);
            continue;
        }
        EXPECT_TRUE(bech32_encode(hrp, data, n, back));
        if (!equal_ignoring_case(valid[i], back))
            TEST_FAIL_AT("%s encodes back as %s", valid[i], back);
    }
}

/* BIP 173's strings with an invalid checksum or form (the reasons are the
 * BIP's), mixed case, and a valid Bech32m string (BIP 350), which is not
 * Bech32. */
TEST(bech32_refuses_bip173_invalid_strings)
{
    static const struct {
        const char *s, *why;
    } invalid[] = {
        {"\x20" "1nwldj5", "HRP character out of range"},
        {"\x7f" "1axkwrx", "HRP character out of range"},
        {"\x80" "1eym55h", "HRP character out of range"},
        {"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharacters"
         "bio1569pvx",
         "overall max length exceeded"},
        {"pzry9x0s0muk", "no separator character"},
        {"1pzry9x0s0muk", "empty HRP"},
        {"x1b4n0q5v", "invalid data character"},
        {"li1dgmt3", "too short checksum"},
        {"de1lg7wt" "\xff", "invalid character in checksum"},
        {"A1G7SGD8", "checksum calculated with uppercase form of HRP"},
        {"10a06t8", "empty HRP"},
        {"1qzzfhee", "empty HRP"},
        {"a12UEL5L", "mixed case"},
        {"A12uEL5L", "mixed case"},
        {"a12uel5m", "last checksum character changed"},
        {"a1lqfn3a", "a Bech32m checksum (BIP 350)"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        char hrp[BECH32_MAX + 1];
        uint8_t data[BECH32_MAX];
        size_t n;
        if (!bech32_decode(invalid[i].s, hrp, data, &n))
            TEST_FAIL_AT("invalid vector %zu accepted (%s)", i, invalid[i].why);
    }
}

TEST(bech32_says_what_is_wrong)
{
    char hrp[BECH32_MAX + 1];
    uint8_t data[BECH32_MAX];
    size_t n;
    EXPECT_STR("Bech32 checksum does not match", bech32_decode("a12uel5m", hrp, data, &n));
    EXPECT_STR("mixes upper and lower case", bech32_decode("a12UEL5L", hrp, data, &n));
    EXPECT_STR("has no Bech32 separator '1'", bech32_decode("pzry9x0s0muk", hrp, data, &n));
}

/* ------------------------------------------------------------ sealing */

static void test_keys(struct archive_keys *k, uint8_t seed)
{
    uint8_t file_key[FILE_KEY_SIZE], id[16];
    memset(file_key, seed, sizeof file_key);
    memset(id, 0xA5, sizeof id);
    keys_derive(file_key, id, k);
}

TEST(seal_round_trip_and_in_place)
{
    struct archive_keys k;
    test_keys(&k, 1);
    uint8_t ad[16], pt[100], ct[100 + SEAL_TAG], back[100];
    memset(ad, 0x77, sizeof ad);
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(i * 7);
    seal(&k, rec_type("AMBR"), 7, 3, ad, sizeof ad, pt, sizeof pt, ct);
    EXPECT_TRUE(!bytes_equal(pt, ct, sizeof pt));
    REQUIRE_TRUE(unseal(&k, rec_type("AMBR"), 7, 3, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(bytes_equal(pt, back, sizeof pt));

    /* In place, both ways: the same bytes as out of place. */
    uint8_t buf[100 + SEAL_TAG];
    memcpy(buf, pt, sizeof pt);
    seal(&k, rec_type("AMBR"), 7, 3, ad, sizeof ad, buf, sizeof pt, buf);
    EXPECT_TRUE(bytes_equal(ct, buf, sizeof buf));
    REQUIRE_TRUE(unseal(&k, rec_type("AMBR"), 7, 3, ad, sizeof ad, buf, sizeof buf, buf));
    EXPECT_TRUE(bytes_equal(pt, buf, sizeof pt));

    /* Nothing sealed: the tag alone still authenticates place and AD. */
    uint8_t tag[SEAL_TAG];
    seal(&k, rec_type("AIDX"), 0, 0, ad, sizeof ad, NULL, 0, tag);
    EXPECT_TRUE(unseal(&k, rec_type("AIDX"), 0, 0, ad, sizeof ad, tag, sizeof tag, buf));
    EXPECT_TRUE(!unseal(&k, rec_type("AIDX"), 0, 1, ad, sizeof ad, tag, sizeof tag, buf));
    EXPECT_TRUE(!unseal(&k, rec_type("AIDX"), 0, 0, ad, sizeof ad, tag, SEAL_TAG - 1, buf));
}

/* The nonce is FORMAT.md 13.3's, built here by hand from the spec's words:
 * the record type's four ASCII bytes, u64 LE M, u64 LE C, four zero bytes. */
TEST(seal_is_xchacha20poly1305_with_the_spec_nonce)
{
    struct archive_keys k;
    test_keys(&k, 2);
    uint8_t ad[24], pt[40];
    for (size_t i = 0; i < sizeof ad; i++)
        ad[i] = (uint8_t)(3 * i);
    for (size_t i = 0; i < sizeof pt; i++)
        pt[i] = (uint8_t)(100 + i);
    uint8_t nonce[24] = {'A', 'E', 'N', 'D', 0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0,
                         0x2A, 0,   0,   0,   0,    0,    0,    0,    0,    0, 0, 0};
    uint8_t want[sizeof pt + 16], got[sizeof pt + 16];
    crypto_aead_xchacha20poly1305_ietf_encrypt(want, NULL, pt, sizeof pt, ad, sizeof ad, NULL,
                                               nonce, k.payload);
    seal(&k, rec_type("AEND"), 0x0102030405ull, 42, ad, sizeof ad, pt, sizeof pt, got);
    EXPECT_TRUE(bytes_equal(want, got, sizeof got));
}

TEST(unseal_refuses_any_flipped_bit)
{
    struct archive_keys k;
    test_keys(&k, 3);
    uint8_t ad[16], pt[33], ct[33 + SEAL_TAG], back[33];
    memset(ad, 0x3A, sizeof ad);
    memset(pt, 0x5C, sizeof pt);
    seal(&k, rec_type("ACHK"), 1, 2, ad, sizeof ad, pt, sizeof pt, ct);
    for (size_t bit = 0; bit < 8 * sizeof ct; bit++) { /* ciphertext, then tag */
        ct[bit / 8] ^= (uint8_t)(1u << bit % 8);
        if (unseal(&k, rec_type("ACHK"), 1, 2, ad, sizeof ad, ct, sizeof ct, back))
            TEST_FAIL_AT("opened with bit %zu of ciphertext+tag flipped", bit);
        ct[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    for (size_t bit = 0; bit < 8 * sizeof ad; bit++) {
        ad[bit / 8] ^= (uint8_t)(1u << bit % 8);
        if (unseal(&k, rec_type("ACHK"), 1, 2, ad, sizeof ad, ct, sizeof ct, back))
            TEST_FAIL_AT("opened with bit %zu of AD flipped", bit);
        ad[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    EXPECT_TRUE(unseal(&k, rec_type("ACHK"), 1, 2, ad, sizeof ad, ct, sizeof ct, back));
}

TEST(unseal_refuses_another_place_or_key)
{
    struct archive_keys k, other;
    test_keys(&k, 4);
    test_keys(&other, 5);
    uint8_t ad[8] = {0}, pt[20] = {0x28, 0xB5, 0x2F, 0xFD}, ct[20 + SEAL_TAG], back[20];
    seal(&k, rec_type("ACHK"), 9, 4, ad, sizeof ad, pt, sizeof pt, ct);
    EXPECT_TRUE(unseal(&k, rec_type("ACHK"), 9, 4, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(!unseal(&k, rec_type("AMBR"), 9, 4, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(!unseal(&k, rec_type("ACHK"), 8, 4, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(!unseal(&k, rec_type("ACHK"), 9, 5, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(
        !unseal(&k, rec_type("ACHK"), 9 + (1ull << 32), 4, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(!unseal(&other, rec_type("ACHK"), 9, 4, ad, sizeof ad, ct, sizeof ct, back));
    EXPECT_TRUE(!unseal(&k, rec_type("ACHK"), 9, 4, ad, sizeof ad - 1, ct, sizeof ct, back));

    /* Another Archive_Id: the same File_Key gives other keys. */
    uint8_t file_key[FILE_KEY_SIZE], id[16];
    memset(file_key, 4, sizeof file_key);
    memset(id, 0xA6, sizeof id);
    keys_derive(file_key, id, &other);
    EXPECT_TRUE(!unseal(&other, rec_type("ACHK"), 9, 4, ad, sizeof ad, ct, sizeof ct, back));
}

TEST(header_mac_is_hmac_sha256_of_both_parts)
{
    struct archive_keys k;
    test_keys(&k, 6);
    const uint8_t a[] = "header record frame", b[] = "key record body";
    uint8_t both[sizeof a + sizeof b], want[MAC_SIZE], got[MAC_SIZE];
    memcpy(both, a, sizeof a);
    memcpy(both + sizeof a, b, sizeof b);
    crypto_auth_hmacsha256(want, both, sizeof both, k.mac);
    header_mac(&k, a, sizeof a, b, sizeof b, got);
    EXPECT_TRUE(mac_equal(want, got));
    got[31] ^= 1;
    EXPECT_TRUE(!mac_equal(want, got));
}

/* ------------------------------------------------------------ keys */

/* A key pair age-keygen (age 1.1.1) made: its secret and public key. */
static const char age_secret[] =
    "AGE-SECRET-KEY-186T9CLA08V08F6UEUDGYX95A25RKZMA6KLE9D75JHQTGGMVNXJEQTDWDDP";
static const char age_public[] = "age1ug2n73cs727nsyp5ly8uznwm389fl32thp9lknmg7z6n0rqmcqwsqp270l";

TEST(identity_of_age_keygen_gives_its_recipient)
{
    struct adbk_age_identity id;
    struct adbk_recipient r;
    struct adbk_error err = {0};
    char text[ADBK_KEY_TEXT];
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &id, &err), &err);
    adbk_age_identity_recipient(&id, &r);
    adbk_recipient_text(&r, text);
    EXPECT_STR(age_public, text);
    adbk_age_identity_text(&id, text);
    EXPECT_STR(age_secret, text);
    adbk_wipe(&id, sizeof id);
}

TEST(recipient_parse_reads_an_age_keygen_key)
{
    struct adbk_recipient r;
    struct adbk_age_identity id;
    struct adbk_error err = {0};
    char text[ADBK_KEY_TEXT];
    REQUIRE_STATUS(ADBK_OK, adbk_recipient_parse(age_public, &r, &err), &err);
    adbk_recipient_text(&r, text);
    EXPECT_STR(age_public, text);
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &id, &err), &err);
    EXPECT_TRUE(bytes_equal(id.public_key, r.key, 32));
    /* Surrounding white space is no part of a key. */
    EXPECT_STATUS(ADBK_OK, adbk_recipient_parse("  age1ug2n73cs727nsyp5ly8uznwm389fl32thp9lknmg"
                                                "7z6n0rqmcqwsqp270l\r\n", &r, &err), &err);
}

/* Bech32 is case-insensitive, one case at a time. */
TEST(identity_parse_takes_either_case_not_both)
{
    struct adbk_age_identity a, b;
    struct adbk_error err = {0};
    char lower[sizeof age_secret], mixed[sizeof age_secret];
    for (size_t i = 0; i < sizeof age_secret; i++)
        lower[i] = (char)tolower((unsigned char)age_secret[i]);
    memcpy(mixed, age_secret, sizeof mixed);
    mixed[20] = (char)tolower((unsigned char)mixed[20]);
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &a, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(lower, &b, &err), &err);
    EXPECT_TRUE(bytes_equal(a.secret, b.secret, 32));
    EXPECT_STATUS(ADBK_E_ARG, adbk_age_identity_parse(mixed, &b, &err), &err);
    EXPECT_TRUE(strstr(err.message, "upper and lower case") != NULL);
}

/* No message quotes the key text: it may be a secret. */
static void expect_no_secret(const struct adbk_error *err)
{
    if (strstr(err->message, "86T9CLA") || strstr(err->message, "86t9cla"))
        TEST_FAIL_AT("the message quotes the secret key: %s", err->message);
}

TEST(key_parse_says_what_is_wrong)
{
    struct adbk_recipient r;
    struct adbk_age_identity id;
    struct adbk_sign_public sp;
    struct adbk_error err = {0};

    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse(age_secret, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "a secret key where a public key belongs") != NULL);
    expect_no_secret(&err);

    EXPECT_STATUS(ADBK_E_ARG, adbk_age_identity_parse(age_public, &id, &err), &err);
    EXPECT_TRUE(strstr(err.message, "a public key where a secret key belongs") != NULL);

    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse("ssh-ed25519 AAAAC3Nza", &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "not an age recipient (age1...)") != NULL);

    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_public_parse(age_public, &sp, &err), &err);
    EXPECT_TRUE(strstr(err.message, "not an adbk signing public key") != NULL);

    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse("", &r, &err), &err);

    char bad[sizeof age_public];
    memcpy(bad, age_public, sizeof bad);
    bad[10] = bad[10] == 'q' ? 'p' : 'q';
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse(bad, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "Bech32 checksum does not match") != NULL);

    char bad_secret[sizeof age_secret];
    memcpy(bad_secret, age_secret, sizeof bad_secret);
    bad_secret[30] = bad_secret[30] == 'Q' ? 'P' : 'Q';
    EXPECT_STATUS(ADBK_E_ARG, adbk_age_identity_parse(bad_secret, &id, &err), &err);
    EXPECT_TRUE(strstr(err.message, "Bech32 checksum does not match") != NULL);
    expect_no_secret(&err);
}

/* A valid Bech32 string of the right kind but the wrong length. */
TEST(key_parse_refuses_a_key_of_the_wrong_length)
{
    uint8_t data5[BECH32_MAX] = {0};
    char text[BECH32_MAX + 1];
    struct adbk_recipient r;
    struct adbk_error err = {0};
    REQUIRE_TRUE(bech32_encode("age", data5, 51, text)); /* 255 bits: 31 bytes */
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse(text, &r, &err), &err);
    REQUIRE_TRUE(bech32_encode("age", data5, 53, text)); /* 265 bits: 33 bytes */
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse(text, &r, &err), &err);
    data5[51] = 1; /* 52 values, 4 bits of padding, not zero */
    REQUIRE_TRUE(bech32_encode("age", data5, 52, text));
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipient_parse(text, &r, &err), &err);
    EXPECT_TRUE(strstr(err.message, "padding") != NULL);
}

TEST(sign_keys_round_trip_through_text)
{
    struct adbk_sign_key k, back;
    struct adbk_sign_public p, pback;
    struct adbk_error err = {0};
    char text[ADBK_KEY_TEXT], ptext[ADBK_KEY_TEXT];
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&k, &err), &err);
    adbk_sign_key_text(&k, text);
    EXPECT_TRUE(strncmp(text, "ADBK-SIGN-SECRET-KEY-1", 22) == 0);
    EXPECT_EQ_U64(80, strlen(text));
    REQUIRE_STATUS(ADBK_OK, adbk_sign_key_parse(text, &back, &err), &err);
    EXPECT_TRUE(bytes_equal(k.secret, back.secret, sizeof k.secret));
    EXPECT_TRUE(bytes_equal(k.public_key, back.public_key, sizeof k.public_key));

    adbk_sign_key_public(&k, &p);
    adbk_sign_public_text(&p, ptext);
    EXPECT_TRUE(strncmp(ptext, "adbk-sign1", 10) == 0);
    REQUIRE_STATUS(ADBK_OK, adbk_sign_public_parse(ptext, &pback, &err), &err);
    EXPECT_TRUE(bytes_equal(k.public_key, pback.key, 32));

    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_public_parse(text, &pback, &err), &err);
    EXPECT_TRUE(strstr(err.message, "a secret key where a public key belongs") != NULL);
    EXPECT_TRUE(strstr(err.message, text + 22) == NULL);
    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_key_parse(ptext, &back, &err), &err);
    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_key_parse(age_secret, &back, &err), &err);
    adbk_wipe(&k, sizeof k);
    adbk_wipe(&back, sizeof back);
}

/* ------------------------------------------------------------ key files */

TEST(key_file_skips_comments_blank_lines_and_crlf)
{
    /* As age-keygen writes it, with CRLF line ends, and the key again in
     * lower case without a line end. */
    char text[1024], lower[sizeof age_secret];
    for (size_t i = 0; i < sizeof age_secret; i++)
        lower[i] = (char)tolower((unsigned char)age_secret[i]);
    snprintf(text, sizeof text,
             "# created: 2026-12-07T04:06:51Z\r\n"
             "# public key: %s\r\n"
             "%s\r\n"
             "\r\n"
             "   \t\n"
             "  # an indented comment\n"
             "%s",
             age_public, age_secret, lower);
    struct adbk_age_identity *ids = NULL;
    size_t n = 0;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_age_identities_read(text, "keys.txt", &ids, &n, &err), &err);
    EXPECT_EQ_U64(2, n);
    EXPECT_TRUE(bytes_equal(ids[0].secret, ids[1].secret, 32));
    struct adbk_recipient r;
    char rtext[ADBK_KEY_TEXT];
    adbk_age_identity_recipient(&ids[0], &r);
    adbk_recipient_text(&r, rtext);
    EXPECT_STR(age_public, rtext);
    adbk_keys_free(ids, n, sizeof *ids);

    struct adbk_recipient *rs = NULL;
    snprintf(text, sizeof text, "# recipients\n%s\r\n\n%s", age_public, age_public);
    REQUIRE_STATUS(ADBK_OK, adbk_recipients_read(text, "recipients.txt", &rs, &n, &err), &err);
    EXPECT_EQ_U64(2, n);
    adbk_keys_free(rs, n, sizeof *rs);
}

TEST(key_file_error_names_the_file_and_line)
{
    char text[1024];
    snprintf(text, sizeof text, "# created: now\n%s\n\nnot a key\n", age_secret);
    struct adbk_age_identity *ids = (struct adbk_age_identity *)1;
    size_t n = 7;
    struct adbk_error err = {0};
    EXPECT_STATUS(ADBK_E_ARG, adbk_age_identities_read(text, "keys.txt", &ids, &n, &err), &err);
    EXPECT_TRUE(strstr(err.message, "keys.txt line 4:") != NULL);
    EXPECT_TRUE(ids == NULL);
    EXPECT_EQ_U64(0, n);

    /* A secret among recipients: named, not quoted. */
    struct adbk_recipient *rs = NULL;
    snprintf(text, sizeof text, "%s\r\n%s\r\n", age_public, age_secret);
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipients_read(text, "to.txt", &rs, &n, &err), &err);
    EXPECT_TRUE(strstr(err.message, "to.txt line 2:") != NULL);
    EXPECT_TRUE(strstr(err.message, "a secret key where a public key belongs") != NULL);
    expect_no_secret(&err);
}

TEST(key_file_without_a_key_is_refused)
{
    struct adbk_age_identity *ids = NULL;
    struct adbk_recipient *rs = NULL;
    struct adbk_sign_key k;
    size_t n;
    struct adbk_error err = {0};
    EXPECT_STATUS(ADBK_E_ARG, adbk_age_identities_read("", "empty.txt", &ids, &n, &err), &err);
    EXPECT_TRUE(strstr(err.message, "empty.txt") != NULL);
    EXPECT_STATUS(ADBK_E_ARG, adbk_recipients_read("# only a comment\r\n\r\n", "c.txt", &rs, &n,
                                                   &err), &err);
    EXPECT_TRUE(strstr(err.message, "c.txt holds no key") != NULL);
    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_key_read("\n\n", "sign.key", &k, &err), &err);
}

TEST(sign_key_file_holds_exactly_one_key)
{
    struct adbk_sign_key k, got;
    struct adbk_error err = {0};
    char key[ADBK_KEY_TEXT], text[512];
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&k, &err), &err);
    adbk_sign_key_text(&k, key);
    snprintf(text, sizeof text, "# adbk signing key\r\n%s\r\n", key);
    REQUIRE_STATUS(ADBK_OK, adbk_sign_key_read(text, "sign.key", &got, &err), &err);
    EXPECT_TRUE(bytes_equal(k.secret, got.secret, sizeof k.secret));
    snprintf(text, sizeof text, "%s\n%s\n", key, key);
    EXPECT_STATUS(ADBK_E_ARG, adbk_sign_key_read(text, "sign.key", &got, &err), &err);
    EXPECT_TRUE(strstr(err.message, "sign.key") != NULL);
    adbk_wipe(&k, sizeof k);
    adbk_wipe(&got, sizeof got);
}

/* ------------------------------------------------------------ X25519 stanza */

TEST(stanza_unwraps_with_its_identity_only)
{
    ready();
    struct adbk_age_identity id, other;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &id, &err), &err);
    crypto_random(other.secret, sizeof other.secret);
    crypto_scalarmult_base(other.public_key, other.secret);

    uint8_t file_key[FILE_KEY_SIZE], got[FILE_KEY_SIZE], e[X25519_SIZE], body[WRAPPED_SIZE];
    crypto_random(file_key, sizeof file_key);
    REQUIRE_TRUE(stanza_wrap(file_key, id.public_key, e, body));
    REQUIRE_TRUE(stanza_unwrap(e, body, &id, got) == 1);
    EXPECT_TRUE(bytes_equal(file_key, got, sizeof got));
    EXPECT_TRUE(!stanza_unwrap(e, body, &other, got));

    /* Every bit of the share and the body counts. */
    for (size_t bit = 0; bit < 8 * WRAPPED_SIZE; bit++) {
        body[bit / 8] ^= (uint8_t)(1u << bit % 8);
        if (stanza_unwrap(e, body, &id, got) == 1)
            TEST_FAIL_AT("unwrapped with bit %zu of the body flipped", bit);
        body[bit / 8] ^= (uint8_t)(1u << bit % 8);
    }
    e[5] ^= 0x10;
    EXPECT_TRUE(!stanza_unwrap(e, body, &id, got));
    adbk_wipe(&id, sizeof id);
    adbk_wipe(&other, sizeof other);
}

/* Two wraps of one key for one recipient share nothing: a new ephemeral. */
TEST(stanza_wrap_uses_a_new_ephemeral_share)
{
    ready();
    struct adbk_recipient r;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_recipient_parse(age_public, &r, &err), &err);
    uint8_t file_key[FILE_KEY_SIZE] = {1}, e1[32], e2[32], b1[32], b2[32];
    REQUIRE_TRUE(stanza_wrap(file_key, r.key, e1, b1));
    REQUIRE_TRUE(stanza_wrap(file_key, r.key, e2, b2));
    EXPECT_TRUE(!bytes_equal(e1, e2, 32));
    EXPECT_TRUE(!bytes_equal(b1, b2, 32));
}

/* A low-order point as recipient or as ephemeral share gives an all-zero
 * shared secret: refused both ways (FORMAT.md 13.4). */
TEST(stanza_refuses_an_all_zero_shared_secret)
{
    ready();
    uint8_t zero[X25519_SIZE] = {0}, one[X25519_SIZE] = {1};
    uint8_t file_key[FILE_KEY_SIZE] = {0}, e[X25519_SIZE], body[WRAPPED_SIZE] = {0};
    EXPECT_TRUE(!stanza_wrap(file_key, zero, e, body));
    EXPECT_TRUE(!stanza_wrap(file_key, one, e, body));
    struct adbk_age_identity id;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_age_identity_parse(age_secret, &id, &err), &err);
    EXPECT_TRUE(stanza_unwrap(zero, body, &id, file_key) == -1);
    adbk_wipe(&id, sizeof id);
}

/* ------------------------------------------------------------ digests, signatures */

TEST(digests_are_blake2b)
{
    uint8_t d256[32], d512[64], want[64];
    frame_digest("abc", 3, d256);
    unhex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319", want, 32);
    EXPECT_TRUE(bytes_equal(want, d256, 32)); /* Python's hashlib.blake2b(digest_size=32) */
    index_hash("abc", 3, d512);
    unhex("ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
          "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
          want, 64);
    EXPECT_TRUE(bytes_equal(want, d512, 64)); /* RFC 7693 appendix A */
}

/* A Span_Digest is BLAKE2b-256 of the frames' digests laid end to end. */
TEST(digest_list_hashes_the_concatenated_digests)
{
    uint8_t frames[3][DIGEST_SIZE], all[3 * DIGEST_SIZE], want[DIGEST_SIZE], got[DIGEST_SIZE];
    struct digest_list d;
    dlist_init(&d);
    for (int i = 0; i < 3; i++) {
        char frame[16];
        snprintf(frame, sizeof frame, "frame %d", i);
        frame_digest(frame, strlen(frame), frames[i]);
        memcpy(all + i * DIGEST_SIZE, frames[i], DIGEST_SIZE);
        dlist_add(&d, frames[i]);
    }
    dlist_final(&d, got);
    frame_digest(all, sizeof all, want);
    EXPECT_TRUE(bytes_equal(want, got, sizeof got));

    dlist_init(&d); /* no frame: the digest of nothing */
    dlist_final(&d, got);
    frame_digest("", 0, want);
    EXPECT_TRUE(bytes_equal(want, got, sizeof got));
}

/* A digest_list asks for no alignment, so a struct holding one may come
 * from malloc (libsodium's own state type asks for 64 bytes; UBSan would
 * flag a misaligned one). */
TEST(digest_list_works_at_any_address)
{
    uint8_t raw[sizeof(struct digest_list) + 1], frame[DIGEST_SIZE] = {1}, want[DIGEST_SIZE],
        got[DIGEST_SIZE];
    EXPECT_EQ_U64(1, _Alignof(struct digest_list));
    struct digest_list *d = (struct digest_list *)(void *)(raw + 1);
    dlist_init(d);
    dlist_add(d, frame);
    dlist_final(d, got);
    frame_digest(frame, sizeof frame, want);
    EXPECT_TRUE(bytes_equal(want, got, sizeof got));
}

TEST(signature_verifies_and_refuses_changes)
{
    struct adbk_sign_key k, other;
    struct adbk_error err = {0};
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&k, &err), &err);
    REQUIRE_STATUS(ADBK_OK, adbk_sign_keygen(&other, &err), &err);
    uint8_t ihash[64], sig[SIGNATURE_SIZE];
    index_hash("an index body", 13, ihash);
    sign_index(&k, ihash, sig);
    EXPECT_TRUE(verify_index(k.public_key, ihash, sig));
    EXPECT_TRUE(!verify_index(other.public_key, ihash, sig));
    ihash[63] ^= 0x80;
    EXPECT_TRUE(!verify_index(k.public_key, ihash, sig));
    ihash[63] ^= 0x80;
    sig[0] ^= 1;
    EXPECT_TRUE(!verify_index(k.public_key, ihash, sig));
    sig[0] ^= 1;

    /* The message is FORMAT.md 12's, built here by hand: the 16-byte
     * context, then the 64-byte index hash; plain Ed25519 checks it. */
    uint8_t msg[80];
    memcpy(msg, "adbk-signature-1", 16);
    memcpy(msg + 16, ihash, 64);
    EXPECT_TRUE(crypto_sign_verify_detached(sig, msg, sizeof msg, k.public_key) == 0);
    EXPECT_TRUE(crypto_sign_verify_detached(sig, ihash, 64, k.public_key) != 0);
    adbk_wipe(&k, sizeof k);
    adbk_wipe(&other, sizeof other);
}

TEST_MAIN()
